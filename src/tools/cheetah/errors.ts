/**
 * Errors of the Cheetah engine.
 *
 * Two layers: `PyException` is a Python-level exception raised while evaluating an expression
 * (a `#try` block can catch it); `CheetahSyntaxError` and `CheetahRuntimeError` are what callers of
 * the public API see, and their message always names the tool id, the file, the line and the
 * construct or expression at fault.
 */
import { PyAttributeError, PyRuntimeError } from './protocol.ts';

/** Where in a template something happened. */
export interface SourceLocation {
  toolId: string;
  file: string;
  line: number;
}

function describe(loc: SourceLocation): string {
  return `tool '${loc.toolId}', ${loc.file}, line ${loc.line}`;
}

export class CheetahSyntaxError extends Error {
  override name = 'CheetahSyntaxError';
  constructor(
    readonly location: SourceLocation,
    readonly construct: string,
    readonly detail: string,
  ) {
    super(`Cheetah syntax error in ${describe(location)}: ${detail} (in: ${construct})`);
  }
}

export class CheetahRuntimeError extends Error {
  override name = 'CheetahRuntimeError';
  constructor(
    readonly location: SourceLocation,
    readonly expression: string,
    readonly pyType: string,
    readonly detail: string,
  ) {
    super(`Cheetah error in ${describe(location)}: ${pyType}: ${detail} (evaluating: ${expression})`);
  }
}

/** A Python exception raised during evaluation; `#except` clauses match on `pyType`. */
export class PyException extends Error {
  /** Set by the innermost template node the exception passes through. */
  line?: number;
  expression?: string;
  constructor(
    readonly pyType: string,
    message: string,
  ) {
    super(message);
    this.name = pyType;
  }
}

/** Syntax error raised by the expression parser; the template layer adds the location. */
export class PySyntaxError extends Error {
  override name = 'SyntaxError';
}

/** Turns anything thrown by evaluation (or by namespace values) into a PyException. */
export function toPyException(error: unknown): PyException {
  if (error instanceof PyException) return error;
  if (error instanceof PyAttributeError) return new PyException('AttributeError', error.message);
  if (error instanceof PyRuntimeError) return new PyException(error.pyType, error.message);
  if (error instanceof RangeError && /call stack/i.test(error.message)) {
    return new PyException('RecursionError', 'maximum recursion depth exceeded');
  }
  if (error instanceof Error) return new PyException('Error', error.message);
  return new PyException('Error', String(error));
}

export const pyErr = {
  type: (msg: string) => new PyException('TypeError', msg),
  value: (msg: string) => new PyException('ValueError', msg),
  key: (msg: string) => new PyException('KeyError', msg),
  index: (msg: string) => new PyException('IndexError', msg),
  attr: (msg: string) => new PyException('AttributeError', msg),
  name: (msg: string) => new PyException('NameError', msg),
  notFound: (msg: string) => new PyException('NotFound', msg),
  zeroDiv: (msg: string) => new PyException('ZeroDivisionError', msg),
  unsupported: (msg: string) => new PyException('UnsupportedError', msg),
};
