#!/usr/bin/env node
// Runs the TypeScript sources through tsx so that every process (server, worker,
// job executor, test child) runs exactly the code in the checkout, with no build step to forget.
// The one exception, the job executor, is taken from its bundle while that is up to date
// (bin/executor-bundle.js): it starts once per job attempt, so its start-up time counts.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { freshExecutorBundle } from './executor-bundle.js';

if (process.argv[2] === 'job-exec') {
  const bundle = process.env.NEBULA_EXECUTOR_FROM_SOURCES === '1' ? undefined : freshExecutorBundle(path.join(import.meta.dirname, '..'));
  if (bundle) {
    await import(pathToFileURL(bundle).href);
  } else {
    // Load the executor alone, not the server.
    const { register } = await import('tsx/esm/api');
    register();
    await import('../src/cli/job-exec-entry.ts');
  }
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
