#!/usr/bin/env node
// Runs the TypeScript sources through tsx so that every process (server, worker,
// job executor, test child) runs exactly the code in the checkout, with no build step to forget.
import { register } from 'tsx/esm/api';
register();
if (process.argv[2] === 'job-exec') {
  // Started once per job attempt where the tool runs: load the executor alone, not the server.
  const { jobExecCommand } = await import('../src/cli/job-exec.ts');
  await jobExecCommand().parseAsync(process.argv.slice(1));
} else {
  await import('../src/cli/main.ts');
}
