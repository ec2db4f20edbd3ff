/**
 * Galaxy's parameter sanitizing (galaxy.util.sanitize_text and tools/parameters/sanitize.py).
 * Every character of a user value is kept if valid, replaced by its mapping if mapped, or
 * replaced by the invalid character ('X' by default). Nothing else reaches the shell.
 */

const ASCII_LOWER = 'abcdefghijklmnopqrstuvwxyz';
const ASCII_UPPER = ASCII_LOWER.toUpperCase();
const DIGITS = '0123456789';
const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
const WHITESPACE = ' \t\n\r\x0b\x0c';

/** Python's `string` module constants, as `<valid initial="string.printable">` may name them. */
const PY_STRING_CONSTANTS: Record<string, string> = {
  ascii_letters: ASCII_LOWER + ASCII_UPPER,
  ascii_lowercase: ASCII_LOWER,
  ascii_uppercase: ASCII_UPPER,
  letters: ASCII_LOWER + ASCII_UPPER,
  lowercase: ASCII_LOWER,
  uppercase: ASCII_UPPER,
  digits: DIGITS,
  hexdigits: DIGITS + 'abcdefABCDEF',
  octdigits: '01234567',
  punctuation: PUNCTUATION,
  whitespace: WHITESPACE,
  printable: DIGITS + ASCII_LOWER + ASCII_UPPER + PUNCTUATION + WHITESPACE,
};

export const DEFAULT_VALID_CHARS = ASCII_LOWER + ASCII_UPPER + DIGITS + ' -=_.()/+*^,:?!';

export const DEFAULT_MAPPED_CHARS: Readonly<Record<string, string>> = Object.freeze({
  '>': '__gt__',
  '<': '__lt__',
  "'": '__sq__',
  '"': '__dq__',
  '[': '__ob__',
  ']': '__cb__',
  '{': '__oc__',
  '}': '__cc__',
  '@': '__at__',
  '\n': '__cn__',
  '\r': '__cr__',
  '\t': '__tc__',
  '#': '__pd__',
});

export const DEFAULT_INVALID_CHAR = 'X';

/** A parsed `<sanitizer>`; build it with `sanitizerFromSpec`. */
export interface SanitizerSpec {
  sanitize: boolean;
  invalidChar: string;
  /** Valid entries (Galaxy keeps a list; multi-character `value=` entries never match a char). */
  valid: string[];
  mapping: Record<string, string>;
}

export interface SanitizerAction {
  action: 'add' | 'remove';
  preset?: string;
  value?: string;
  source?: string;
  target?: string;
}

export function defaultSanitizerSpec(): SanitizerSpec {
  return { sanitize: true, invalidChar: DEFAULT_INVALID_CHAR, valid: [...DEFAULT_VALID_CHARS], mapping: { ...DEFAULT_MAPPED_CHARS } };
}

/** `initial="default,string.digits"` → the list of valid characters (unknown names add nothing). */
export function validCharsByName(names: string): string[] {
  const out: string[] = [];
  for (const raw of names.split(',')) {
    const name = raw.trim();
    let chars = '';
    if (name.startsWith('string.')) chars = PY_STRING_CONSTANTS[name.slice('string.'.length)] ?? '';
    else if (name === 'default') chars = DEFAULT_VALID_CHARS;
    for (const c of chars) if (!out.includes(c)) out.push(c);
  }
  return out;
}

export function mappingByName(name: string): Record<string, string> {
  return name === 'default' ? { ...DEFAULT_MAPPED_CHARS } : {};
}

/** Apply `<valid initial>` + add/remove actions, Galaxy's way. */
export function applyValidActions(initial: string, actions: SanitizerAction[]): string[] {
  const valid = validCharsByName(initial);
  for (const a of actions) {
    const values: string[] = [];
    if (a.value !== undefined) values.push(a.value);
    values.push(...validCharsByName(a.preset ?? 'none'));
    for (const v of values) {
      if (a.action === 'add' && !valid.includes(v)) valid.push(v);
      if (a.action === 'remove') for (let i = valid.indexOf(v); i >= 0; i = valid.indexOf(v)) valid.splice(i, 1);
    }
  }
  return valid;
}

export function applyMappingActions(initial: string, actions: SanitizerAction[]): Record<string, string> {
  const mapping = mappingByName(initial);
  for (const a of actions) {
    const preset = mappingByName(a.preset ?? 'none');
    if (a.action === 'add') {
      Object.assign(mapping, preset);
      if (a.source !== undefined && a.target !== undefined) mapping[a.source] = a.target;
    } else {
      for (const k of Object.keys(preset)) delete mapping[k];
      if (a.source !== undefined) delete mapping[a.source];
    }
  }
  return mapping;
}

export function sanitizeText(text: string, spec?: SanitizerSpec): string {
  const valid = spec ? spec.valid : DEFAULT_VALID_CHARS;
  const mapping = spec ? spec.mapping : DEFAULT_MAPPED_CHARS;
  const invalid = spec ? spec.invalidChar : DEFAULT_INVALID_CHAR;
  let out = '';
  // Python iterates code points; so does for..of.
  for (const c of text) {
    if (valid.includes(c)) out += c;
    else if (Object.prototype.hasOwnProperty.call(mapping, c)) out += mapping[c];
    else out += invalid;
  }
  return out;
}

/** A parameter's sanitizing: its own `<sanitizer>` if any, else Galaxy's default. */
export function sanitizeParamValue(text: string, spec?: SanitizerSpec): string {
  if (spec && !spec.sanitize) return text;
  return sanitizeText(text, spec);
}
