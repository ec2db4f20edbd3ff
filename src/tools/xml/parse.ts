/** Expanded tool XML → ToolSource. */
import { ToolLoadError } from '../errors.ts';
import type { ConfigFileDef, ExitCodeRule, RegexRule, StdioLevel, StdioSpec, ToolCommand, ToolSource } from '../model.ts';
import { attr, boolAttr, loc, numberAttr, requireAttr } from './attrs.ts';
import { childElements, firstChild, ownText, textOf, type XmlElement } from './dom.ts';
import { expandMacros, type MacroFileReader } from './macros.ts';
import { parseInputs } from './parse-inputs.ts';
import { parseOutputs } from './parse-outputs.ts';
import { parseTests } from './parse-tests.ts';

const STDIO_LEVELS: StdioLevel[] = ['fatal', 'fatal_oom', 'warning', 'log', 'qc'];

/** Parse a tool XML document. `readFile` resolves `<import>`s relative to the tool directory. */
export function parseToolXml(xml: string, file: string, readFile: MacroFileReader): ToolSource {
  let expanded: ReturnType<typeof expandMacros>;
  try {
    expanded = expandMacros(xml, file, readFile);
  } catch (err) {
    // The tree is not usable yet, but the id is usually readable: name the tool in the error.
    const id = /<tool\b[^>]*?\bid\s*=\s*["']([^"']*)["']/.exec(xml)?.[1];
    if (err instanceof ToolLoadError && id && !err.toolId) throw new ToolLoadError(err.detail, err.location, id);
    throw err;
  }
  const root = expanded.root;
  if (root.tag !== 'tool') throw new ToolLoadError(`root element is <${root.tag}>, expected <tool>`, loc(root));
  const id = requireAttr(root, 'id');
  try {
    return buildToolSource(root, file, expanded.templateMacros, expanded.unresolvedTokens);
  } catch (err) {
    if (err instanceof ToolLoadError && !err.toolId) throw new ToolLoadError(err.detail, err.location, id);
    throw err;
  }
}

function buildToolSource(
  root: XmlElement,
  file: string,
  templateMacros: Record<string, string>,
  unresolved: { token: string; file: string; line: number }[],
): ToolSource {
  const one = (tag: string) => firstChild(root, tag);
  const requirementsEl = one('requirements');
  const optionsEl = one('options');
  const edam = (tag: string, inner: string) =>
    childElements(one(tag) ?? root, inner).map((e) => textOf(e).trim()).filter(Boolean);
  return {
    id: requireAttr(root, 'id'),
    name: attr(root, 'name') ?? requireAttr(root, 'id'),
    version: attr(root, 'version') ?? '1.0.0',
    profile: attr(root, 'profile') ?? '16.01',
    description: one('description') ? textOf(one('description')!).trim() : '',
    toolType: attr(root, 'tool_type'),
    pythonTemplateVersion: attr(root, 'python_template_version'),
    hidden: boolAttr(root, 'hidden', false),
    license: attr(root, 'license'),
    file,
    requirements: requirementsEl
      ? childElements(requirementsEl, 'requirement').map((r) => ({
          type: attr(r, 'type') ?? 'package',
          name: textOf(r).trim(),
          version: attr(r, 'version'),
        }))
      : [],
    containers: requirementsEl
      ? childElements(requirementsEl, 'container').map((c) => ({ type: attr(c, 'type') ?? 'docker', identifier: textOf(c).trim() }))
      : [],
    versionCommand: one('version_command') ? textOf(one('version_command')!).trim() : undefined,
    command: one('command') ? parseCommand(one('command')!) : undefined,
    configFiles: parseConfigFiles(one('configfiles')),
    environmentVariables: childElements(one('environment_variables') ?? emptyElement(file), 'environment_variable').map((e) => ({
      ...loc(e),
      name: requireAttr(e, 'name'),
      template: ownText(e),
      inject: attr(e, 'inject'),
      strip: boolAttr(e, 'strip', false),
    })),
    stdio: parseStdio(one('stdio')),
    inputs: parseInputs(one('inputs')),
    outputs: parseOutputs(one('outputs')),
    tests: parseTests(one('tests')),
    help: one('help') ? textOf(one('help')!) : '',
    citations: childElements(one('citations') ?? emptyElement(file), 'citation').map((c) => ({
      type: attr(c, 'type') ?? 'doi',
      text: textOf(c).trim(),
    })),
    edamTopics: edam('edam_topics', 'edam_topic'),
    edamOperations: edam('edam_operations', 'edam_operation'),
    sanitize: optionsEl ? boolAttr(optionsEl, 'sanitize', true) : true,
    templateMacros,
    warnings: unresolved.map((u) => `${u.file}:${u.line}: ${u.token} looks like a macro token but no token defines it`),
  };
}

function emptyElement(file: string): XmlElement {
  return { kind: 'element', tag: '', attrs: new Map(), children: [], file, line: 0 };
}

function parseCommand(el: XmlElement): ToolCommand {
  const detect = attr(el, 'detect_errors');
  if (detect !== undefined && !['default', 'exit_code', 'aggressive'].includes(detect)) {
    throw new ToolLoadError(`detect_errors="${detect}" is not one of default, exit_code, aggressive`, loc(el));
  }
  return {
    ...loc(el),
    // Galaxy uses the element's leading text; CDATA is merged into it by the DOM layer.
    text: ownText(el),
    detectErrors: detect as ToolCommand['detectErrors'],
    interpreter: attr(el, 'interpreter'),
    strict: el.attrs.has('strict') ? boolAttr(el, 'strict', false) : undefined,
    oomExitCode: numberAttr(el, 'oom_exit_code', true),
    useSharedHome: attr(el, 'use_shared_home'),
  };
}

function parseConfigFiles(el: XmlElement | undefined): ConfigFileDef[] {
  if (!el) return [];
  const out: ConfigFileDef[] = [];
  for (const c of childElements(el)) {
    const common = { ...loc(c), name: attr(c, 'name') ?? '', filename: attr(c, 'filename') };
    if (c.tag === 'configfile') out.push({ kind: 'configfile', ...common, name: requireAttr(c, 'name'), text: ownText(c) });
    else if (c.tag === 'inputs') out.push({ kind: 'inputs', ...common, dataStyle: attr(c, 'data_style') ?? 'skip' });
    else if (c.tag === 'file_sources') out.push({ kind: 'file_sources', ...common });
  }
  return out;
}

function parseLevel(el: XmlElement): StdioLevel {
  const level = (attr(el, 'level') ?? 'fatal').toLowerCase();
  if (!(STDIO_LEVELS as string[]).includes(level)) {
    throw new ToolLoadError(`stdio level "${level}" is not one of ${STDIO_LEVELS.join(', ')}`, loc(el));
  }
  return level as StdioLevel;
}

/** "3", "1:5", ":5", "3:", "-1:" (Galaxy also accepts "inf"/"-inf" ends). */
export function parseExitCodeRange(raw: string, el: XmlElement): { from: number; to: number } {
  const bound = (s: string, open: number): number => {
    const t = s.trim();
    if (t === '') return open;
    if (/^[-+]?inf$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
    const n = Number(t);
    if (!Number.isFinite(n)) throw new ToolLoadError(`exit_code range "${raw}" is not numeric`, loc(el));
    return n;
  };
  if (!raw.includes(':')) {
    const n = bound(raw, NaN);
    if (Number.isNaN(n)) return { from: -Infinity, to: Infinity };
    return { from: n, to: n };
  }
  const [a, b] = raw.split(':', 2) as [string, string];
  return { from: bound(a, -Infinity), to: bound(b, Infinity) };
}

function parseStdio(el: XmlElement | undefined): StdioSpec {
  const spec: StdioSpec = { exitCodes: [], regexes: [] };
  if (!el) return spec;
  for (const e of childElements(el, 'exit_code')) {
    const rule: ExitCodeRule = { ...parseExitCodeRange(attr(e, 'range') ?? '', e), level: parseLevel(e), description: attr(e, 'description') };
    spec.exitCodes.push(rule);
  }
  for (const r of childElements(el, 'regex')) {
    const source = (attr(r, 'source') ?? 'both').toLowerCase();
    if (!['stdout', 'stderr', 'both'].includes(source)) throw new ToolLoadError(`regex source "${source}" is not stdout, stderr or both`, loc(r));
    const rule: RegexRule = { match: requireAttr(r, 'match'), source: source as RegexRule['source'], level: parseLevel(r), description: attr(r, 'description') };
    try {
      new RegExp(rule.match, 'i');
    } catch {
      throw new ToolLoadError(`regex match="${rule.match}" is not a valid regular expression`, loc(r));
    }
    spec.regexes.push(rule);
  }
  return spec;
}
