/** Python regular expressions as tool tests write them, compiled for JavaScript. */
import { pythonRegexToJs } from '../tools/parameters/validators.ts';

export class TestRegexError extends Error {
  override name = 'TestRegexError';
}

/** `flags`: JS flags; Python's inline `(?s)`/`(?i)`/`(?m)` prefixes are turned into flags too. */
export function pythonRegex(pattern: string, flags = ''): RegExp {
  let source = pythonRegexToJs(pattern);
  const inline = /^\(\?([aiLmsux]+)\)/.exec(source);
  if (inline) {
    source = source.slice(inline[0].length);
    for (const f of inline[1]!) if ('ims'.includes(f) && !flags.includes(f)) flags += f;
  }
  try {
    return new RegExp(source, flags);
  } catch (err) {
    throw new TestRegexError(`invalid regular expression ${JSON.stringify(pattern)}: ${(err as Error).message}`);
  }
}

/** Python's re.match: anchored at the start only. */
export function pyMatch(pattern: string, text: string, flags = ''): RegExpExecArray | null {
  const re = pythonRegex(pattern, flags);
  return new RegExp(`^(?:${re.source})`, re.flags).exec(text);
}
