/** `shlex.quote`, `shlex.split` (POSIX mode) and `shlex.join`. */
import { pyErr } from '../../errors.ts';
import { PyFunction, PyModule, iterate } from '../values.ts';

export function shellQuote(s: string): string {
  if (s === '') return "''";
  if (/^[\w@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'"'"'`)}'`;
}

export function shellSplit(s: string): string[] {
  const out: string[] = [];
  let word: string | null = null;
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (/\s/.test(c)) {
      if (word !== null) out.push(word);
      word = null;
      i++;
    } else if (c === '#' && word === null) {
      while (i < s.length && s[i] !== '\n') i++;
    } else if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) throw pyErr.value('No closing quotation');
      word = (word ?? '') + s.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      word = word ?? '';
      i++;
      while (true) {
        if (i >= s.length) throw pyErr.value('No closing quotation');
        if (s[i] === '"') break;
        if (s[i] === '\\' && i + 1 < s.length && '"\\$`\n'.includes(s[i + 1])) {
          word += s[i + 1];
          i += 2;
        } else word += s[i++];
      }
      i++;
    } else if (c === '\\') {
      if (i + 1 >= s.length) throw pyErr.value('No escaped character');
      word = (word ?? '') + s[i + 1];
      i += 2;
    } else {
      word = (word ?? '') + c;
      i++;
    }
  }
  if (word !== null) out.push(word);
  return out;
}

export function createShlexModule(): PyModule {
  return new PyModule(
    'shlex',
    new Map<string, unknown>([
      ['quote', new PyFunction('quote', (a) => shellQuote(String(a[0])))],
      ['split', new PyFunction('split', (a) => shellSplit(String(a[0])))],
      ['join', new PyFunction('join', (a) => [...iterate(a[0])].map((x) => shellQuote(String(x))).join(' '))],
    ]),
  );
}
