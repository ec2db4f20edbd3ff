// Runs one benchmark: `npm run bench -- NAME [args]`, where NAME is a file bench/NAME.ts.
// Plain JavaScript so that it can register the TypeScript loader before importing the benchmark.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

const here = path.dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
  .map((f) => f.slice(0, -3))
  .sort();

const [name, ...args] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  const what = name ? `unknown benchmark "${name}"` : 'no benchmark named';
  console.error(`${what}; available: ${available.join(', ') || '(none)'}`);
  console.error('usage: npm run bench -- NAME [args]');
  process.exit(2);
}

register();
// The benchmark reads its own arguments from process.argv after the name.
process.argv = [process.argv[0], path.join(here, `${name}.ts`), ...args];
try {
  await import(pathToFileURL(path.join(here, `${name}.ts`)).href);
} catch (err) {
  console.error(`benchmark ${name} failed:`, err instanceof Error ? err.stack ?? err.message : err);
  process.exitCode = 1;
}
