/** AST of the Python expression subset. */

export type Expr =
  | { type: 'const'; value: unknown }
  /** `dollar`: written `$name`, resolved through the searchList; `autocall`: NameMapper calls it when callable. */
  | { type: 'name'; id: string; dollar: boolean; autocall: boolean }
  /** `mapper`: part of a `$name.a.b` chain: attribute or dict key, auto-called when not followed by `(`. */
  | { type: 'attr'; object: Expr; attr: string; mapper: boolean; autocall: boolean }
  | { type: 'subscript'; object: Expr; index: Expr }
  | { type: 'slice'; lower: Expr | null; upper: Expr | null; step: Expr | null }
  | { type: 'call'; func: Expr; args: Arg[] }
  | { type: 'unary'; op: '-' | '+' | 'not' | '~'; operand: Expr }
  | { type: 'binary'; op: string; left: Expr; right: Expr }
  | { type: 'bool'; op: 'and' | 'or'; values: Expr[] }
  | { type: 'compare'; left: Expr; ops: string[]; comparators: Expr[] }
  | { type: 'ifexp'; test: Expr; body: Expr; orelse: Expr }
  | { type: 'list'; items: Expr[] }
  | { type: 'tuple'; items: Expr[] }
  | { type: 'set'; items: Expr[] }
  | { type: 'dict'; keys: Expr[]; values: Expr[] }
  | { type: 'starred'; value: Expr }
  | { type: 'lambda'; params: Param[]; body: Expr }
  | { type: 'comp'; kind: 'list' | 'set' | 'gen' | 'dict'; element: Expr; value: Expr | null; generators: Comprehension[] };

export interface Arg {
  kind: 'pos' | 'kw' | 'star' | 'starstar';
  name?: string;
  value: Expr;
}

export interface Param {
  name: string;
  default: Expr | null;
  kind: 'normal' | 'star' | 'starstar';
}

/** Assignment target: a name, an item/attribute of something, or a tuple of targets. */
export type Target =
  | { type: 'name'; id: string }
  | { type: 'subscript'; object: Expr; index: Expr }
  | { type: 'attr'; object: Expr; attr: string }
  | { type: 'tuple'; items: Target[] };

export interface Comprehension {
  target: Target;
  iter: Expr;
  ifs: Expr[];
}
