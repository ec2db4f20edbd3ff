/**
 * The small "Python object" protocol shared by the Cheetah engine and the values Nebula puts in
 * a template's namespace (dataset wrappers, parameter wrappers, collections, data-table fields).
 *
 * The engine evaluates Python expressions over plain JS values (string, number, boolean, null
 * for None, arrays for lists, Map or plain objects for dicts) and over objects that implement
 * any of these symbol-keyed methods. A method that is absent falls back to the plain JS
 * behaviour, so a wrapper implements only what it needs. Symbols keep these hooks out of the
 * way of attribute names that templates look up (a wrapper may well have an attribute "str").
 */
export const PY_STR = Symbol.for('nebula.py.str'); // () => string            str(x), "$x"
export const PY_BOOL = Symbol.for('nebula.py.bool'); // () => boolean         if x, not x
export const PY_GETATTR = Symbol.for('nebula.py.getattr'); // (name) => unknown   x.name ; throw PyAttributeError when missing
export const PY_GETITEM = Symbol.for('nebula.py.getitem'); // (key) => unknown    x[key]
export const PY_ITER = Symbol.for('nebula.py.iter'); // () => Iterable<unknown>   for v in x
export const PY_LEN = Symbol.for('nebula.py.len'); // () => number                len(x)
export const PY_EQ = Symbol.for('nebula.py.eq'); // (other) => boolean            x == other
export const PY_CONTAINS = Symbol.for('nebula.py.contains'); // (item) => boolean   item in x
export const PY_CALL = Symbol.for('nebula.py.call'); // (args, kwargs) => unknown  x(...)
export const PY_TYPE = Symbol.for('nebula.py.type'); // () => string   type name for error messages

export interface PyObject {
  [PY_STR]?(): string;
  [PY_BOOL]?(): boolean;
  [PY_GETATTR]?(name: string): unknown;
  [PY_GETITEM]?(key: unknown): unknown;
  [PY_ITER]?(): Iterable<unknown>;
  [PY_LEN]?(): number;
  [PY_EQ]?(other: unknown): boolean;
  [PY_CONTAINS]?(item: unknown): boolean;
  [PY_CALL]?(args: unknown[], kwargs: Record<string, unknown>): unknown;
  [PY_TYPE]?(): string;
}

/** Raised by a PY_GETATTR hook for a missing attribute; Cheetah's NameMapper then tries keys. */
export class PyAttributeError extends Error {
  override name = 'AttributeError';
}

/** A Python-level error raised on purpose by namespace values (e.g. Galaxy's "Unbound variable input."). */
export class PyRuntimeError extends Error {
  constructor(
    public readonly pyType: string,
    message: string,
  ) {
    super(message);
    this.name = pyType;
  }
}
