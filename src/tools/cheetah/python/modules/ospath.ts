/**
 * `os` and `os.path`, string functions only.
 *
 * Filesystem queries (exists, isfile, isdir, getsize, listdir...) raise a clear error instead of
 * answering: Nebula renders commands away from the job's files (no shared filesystem), so any
 * answer would be a guess that silently changes the command line.
 */
import { pyErr } from '../../errors.ts';
import { PyFunction, PyModule, tuple } from '../values.ts';

function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw pyErr.type(`${what}: expected str`);
  return v;
}

export function basename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

export function dirname(p: string): string {
  const i = p.lastIndexOf('/');
  if (i < 0) return '';
  const head = p.slice(0, i + 1);
  return /^\/+$/.test(head) ? head : head.replace(/\/+$/, '');
}

function join(parts: string[]): string {
  let out = '';
  for (const part of parts) {
    if (part.startsWith('/')) out = part;
    else if (out === '' || out.endsWith('/')) out += part;
    else out += `/${part}`;
  }
  return out;
}

function splitext(p: string): [string, string] {
  const base = basename(p);
  const dot = base.lastIndexOf('.');
  if (dot <= 0 || /^\.+$/.test(base.slice(0, dot + 1))) return [p, ''];
  const cut = p.length - base.length + dot;
  return [p.slice(0, cut), p.slice(cut)];
}

function normpath(p: string): string {
  if (p === '') return '.';
  const initial = p.startsWith('//') && !p.startsWith('///') ? 2 : p.startsWith('/') ? 1 : 0;
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' && ((initial === 0 && out.length > 0 && out[out.length - 1] !== '..') || (initial > 0 && out.length > 0)))
      out.pop();
    else if (part === '..' && initial > 0) continue;
    else out.push(part);
  }
  const joined = '/'.repeat(initial) + out.join('/');
  return joined || '.';
}

function refuse(name: string): PyFunction {
  return new PyFunction(name, () => {
    throw pyErr.unsupported(`os.path.${name}() is not available: Nebula renders commands away from the job's files`);
  });
}

export function createOsPathModule(): PyModule {
  const f = (name: string, impl: (a: unknown[]) => unknown) => [name, new PyFunction(name, impl)] as const;
  return new PyModule(
    'os.path',
    new Map<string, unknown>([
      f('basename', (a) => basename(str(a[0], 'basename'))),
      f('dirname', (a) => dirname(str(a[0], 'dirname'))),
      f('join', (a) => join(a.map((x) => str(x, 'join')))),
      f('split', (a) => tuple([dirname(str(a[0], 'split')), basename(a[0] as string)])),
      f('splitext', (a) => tuple(splitext(str(a[0], 'splitext')))),
      f('normpath', (a) => normpath(str(a[0], 'normpath'))),
      f('isabs', (a) => str(a[0], 'isabs').startsWith('/')),
      f('abspath', (a) => {
        const p = str(a[0], 'abspath');
        if (!p.startsWith('/')) throw pyErr.unsupported('os.path.abspath() of a relative path is not available: the job directory is unknown when rendering');
        return normpath(p);
      }),
      ['sep', '/'],
      ...['exists', 'isfile', 'isdir', 'islink', 'getsize', 'getmtime', 'realpath', 'lexists', 'expanduser', 'expandvars'].map(
        (n) => [n, refuse(n)] as const,
      ),
    ]),
  );
}

export function createOsModule(path: PyModule): PyModule {
  const refuseOs = (name: string) =>
    new PyFunction(name, () => {
      throw pyErr.unsupported(`os.${name}() is not available in Nebula templates`);
    });
  return new PyModule(
    'os',
    new Map<string, unknown>([
      ['path', path],
      ['sep', '/'],
      ['linesep', '\n'],
      ['pathsep', ':'],
      ['curdir', '.'],
      ['pardir', '..'],
      ...['listdir', 'getcwd', 'system', 'popen', 'remove', 'unlink', 'mkdir', 'makedirs', 'walk', 'environ', 'getenv', 'stat'].map(
        (n) => [n, refuseOs(n)] as const,
      ),
    ]),
  );
}
