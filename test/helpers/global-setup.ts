import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { ensureEmbeddedPostgres, stopEmbeddedPostgres } from '../../src/db/embedded.ts';

/**
 * One real PostgreSQL for the whole run: NEBULA_TEST_DATABASE_URL when given (a server
 * database the tests may create databases in), otherwise an embedded one in a temp dir,
 * the same code path `nebula serve` uses by default.
 */
export default async function setup(project: TestProject) {
  let url = process.env.NEBULA_TEST_DATABASE_URL;
  let home: string | undefined;
  if (!url) {
    home = mkdtempSync(path.join(os.tmpdir(), 'nebula-test-'));
    url = await ensureEmbeddedPostgres(home, () => {});
  }
  project.provide('databaseUrl', url);
  return async () => {
    if (home) {
      await stopEmbeddedPostgres(home);
      rmSync(home, { recursive: true, force: true });
    }
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}
