/** Galaxy's small text helpers for blurbs: util.commaify, inflector.cond_plural, util.nice_size. */

export function commaify(count: number): string {
  return String(count).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

const PLURALS: Record<string, string> = { sequence: 'sequences' };

export function countWith(count: number, word: string): string {
  const noun = count === 1 ? word : (PLURALS[word] ?? `${word}s`);
  return `${commaify(count)} ${noun}`;
}

export function niceSize(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  for (let index = 0; index < units.length; index++) {
    if (1024 ** (index + 1) > bytes) {
      const value = bytes / 1024 ** index;
      return index === 0 ? `${Math.trunc(value)} bytes` : `${value.toFixed(1)} ${units[index]}`;
    }
  }
  return `${bytes} bytes`;
}
