/**
 * Cheetah 3 template engine for Galaxy tool wrappers (`<command>`, `<configfile>`).
 *
 *   const t = compileTemplate(source, { toolId: 'cat1', file: 'cat.xml', firstLine: 12 });
 *   const text = t.render({ input1: wrapper, queries: [...] });
 *
 * Compile once and render many times; the compiled form holds no per-render state.
 */
import { buildTemplate, renderTree, type TemplateTree } from './template.ts';

export { CheetahRuntimeError, CheetahSyntaxError, PyException } from './errors.ts';
export { evaluateExpression, pyTruthy, type ExpressionOptions } from './expression.ts';
export { PyFloat, tuple } from './python/values.ts';
export * from './protocol.ts';

export type Namespace = Record<string, unknown> | ((name: string) => unknown);

export interface CompiledTemplate {
  render(namespace: Namespace): string;
}

export interface CompileOptions {
  toolId: string;
  file: string;
  /** Line of the template's first line within `file` (for error messages). Default 1. */
  firstLine?: number;
  /**
   * Resolve bare names in directive expressions (`#if x == 1`) through the namespace when they are
   * not local variables. Cheetah (and so Galaxy) raises NameError there; off by default.
   */
  lenientBareNames?: boolean;
}

function namespaceLookup(ns: Namespace): (name: string) => unknown {
  if (typeof ns === 'function') return ns;
  return (name) => (Object.prototype.hasOwnProperty.call(ns, name) ? (ns[name] ?? null) : undefined);
}

class Template implements CompiledTemplate {
  constructor(
    private readonly tree: TemplateTree,
    private readonly opts: Required<CompileOptions>,
  ) {}
  render(namespace: Namespace): string {
    return renderTree(this.tree, namespaceLookup(namespace), this.opts);
  }
}

export function compileTemplate(source: string, opts: CompileOptions): CompiledTemplate {
  const full: Required<CompileOptions> = { firstLine: 1, lenientBareNames: false, ...opts };
  const tree = buildTemplate(source, { toolId: full.toolId, file: full.file, firstLine: full.firstLine });
  return new Template(tree, full);
}
