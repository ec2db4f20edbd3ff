import type { SniffSample } from '../types.ts';
import { headers } from './prefix.ts';

/** JSON: starts with '{' or '['; when the whole file is in the sample it must also parse. */
export function sniffJson(sample: SniffSample): boolean {
  if (sample.text === undefined) return false;
  const start = sample.text.slice(0, 100).trim();
  if (!start.startsWith('{') && !start.startsWith('[')) return false;
  if (sample.truncated) return true;
  try {
    JSON.parse(sample.text);
    return true;
  } catch {
    return false;
  }
}

/** HTML: one of the first lines opens with an <html tag. */
export function sniffHtml(sample: SniffSample): boolean {
  return headers(sample, undefined).some((words) => words.length > 0 && words[0].toLowerCase().includes('<html'));
}

/** Generic XML: an XML declaration at the very start. */
export function sniffXml(sample: SniffSample): boolean {
  return sample.text !== undefined && sample.text.startsWith('<?xml ');
}
