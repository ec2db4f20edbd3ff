/**
 * `nebula job-exec` runs the bundled executor only while the bundle is newer than every source
 * file (bin/executor-bundle.js), so an edited checkout never runs stale executor code.
 */
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EXECUTOR_BUNDLE, freshExecutorBundle } from '../../bin/executor-bundle.js';

let root: string;
const at = (file: string, secondsAgo: number) => utimes(file, new Date(Date.now() - secondsAgo * 1000), new Date(Date.now() - secondsAgo * 1000));

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'nebula-bundle-'));
  await mkdir(path.join(root, 'src', 'jobs', 'executor'), { recursive: true });
  await mkdir(path.dirname(path.join(root, EXECUTOR_BUNDLE)), { recursive: true });
  for (const file of ['package.json', 'src/cli.ts', 'src/jobs/executor/run.ts']) {
    await writeFile(path.join(root, file), '');
    await at(path.join(root, file), 60);
  }
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

it('is not used when it was never built', () => {
  expect(freshExecutorBundle(root)).toBeUndefined();
});

it('is used when newer than every source file, and not once a source file (deep or not) or package.json changes', async () => {
  const bundle = path.join(root, EXECUTOR_BUNDLE);
  await writeFile(bundle, '');
  await at(bundle, 30);
  expect(freshExecutorBundle(root)).toBe(bundle);
  for (const file of ['src/jobs/executor/run.ts', 'src/cli.ts', 'package.json']) {
    await at(path.join(root, file), 0);
    expect(freshExecutorBundle(root), `after ${file} changed`).toBeUndefined();
    await at(path.join(root, file), 60);
    expect(freshExecutorBundle(root)).toBe(bundle);
  }
});
