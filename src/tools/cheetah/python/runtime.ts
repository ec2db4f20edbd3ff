/** The operations builtins and methods need from the evaluator, without importing it. */
export interface Runtime {
  call(fn: unknown, args: unknown[], kwargs?: Record<string, unknown>): unknown;
  getAttr(obj: unknown, name: string): unknown;
  getItem(obj: unknown, key: unknown): unknown;
}

export type Method = (self: never, args: unknown[], kwargs: Record<string, unknown>, rt: Runtime) => unknown;

/** Reads positional-or-keyword argument `index`/`name`; `undefined` when absent. */
export function arg(args: unknown[], kwargs: Record<string, unknown>, index: number, name: string): unknown {
  if (index < args.length) return args[index];
  return Object.prototype.hasOwnProperty.call(kwargs, name) ? kwargs[name] : undefined;
}
