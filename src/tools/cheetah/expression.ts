/**
 * One Python expression evaluated outside a template, as Python's `eval(source, globals, locals)`:
 * a bare name is looked up in `locals` first, then in the given modules (the globals), then in the
 * builtins. Galaxy evaluates output `<filter>`s this way. Same parser and evaluator as templates.
 */
import { PyException, PySyntaxError, toPyException } from './errors.ts';
import { createBuiltins } from './python/builtins.ts';
import { Evaluator, Scope } from './python/eval.ts';
import { createModuleLoader } from './python/modules/index.ts';
import { parseExpression } from './python/parser.ts';
import { truthy } from './python/values.ts';

export interface ExpressionOptions {
  /** Modules bound as globals under their own names (`re`, `os`, `json`, `shlex`). */
  modules?: string[];
}

/** The value of `source`; a Python-level failure (syntax included) is thrown as a PyException. */
export function evaluateExpression(source: string, locals: Record<string, unknown>, options: ExpressionOptions = {}): unknown {
  const moduleGlobals = new Map<string, unknown>();
  const ev = new Evaluator({
    templateVars: new Map(),
    namespace: () => undefined,
    moduleGlobals,
    builtins: new Map(),
    lenientBareNames: false,
  });
  for (const [k, v] of createBuiltins(ev)) ev.sources.builtins.set(k, v);
  const load = createModuleLoader(ev);
  for (const name of options.modules ?? []) moduleGlobals.set(name, load(name));
  try {
    const expr = parseExpression(source.trim());
    return ev.eval(expr, new Scope(new Map(Object.entries(locals))));
  } catch (err) {
    if (err instanceof PySyntaxError) throw new PyException('SyntaxError', err.message);
    throw toPyException(err);
  }
}

/** Python truth of a value `evaluateExpression` returned. */
export function pyTruthy(value: unknown): boolean {
  return truthy(value);
}
