/** Where test files come from: the tool's own `test-data/`, then each `--test-data` directory. */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';

export class TestDataError extends Error {
  override name = 'TestDataError';
}

export function testDataDirs(toolDirectory: string, extra: string[]): string[] {
  return [path.join(toolDirectory, 'test-data'), ...extra.map((d) => path.resolve(d))];
}

/** Test file names are relative; anything escaping the test-data directory is refused. */
export function resolveTestFile(name: string, dirs: string[]): string {
  if (path.isAbsolute(name) || name.split(/[\\/]/).includes('..')) {
    throw new TestDataError(`test file name ${JSON.stringify(name)} must be relative and stay inside test-data`);
  }
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  throw new TestDataError(`test file ${JSON.stringify(name)} not found in ${dirs.join(', ')}`);
}
