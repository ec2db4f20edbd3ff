#!/usr/bin/env node
// Runs the TypeScript sources through tsx so that every process (server, worker,
// job executor, test child) runs exactly the code in the checkout, with no build step to forget.
import { register } from 'tsx/esm/api';
register();
await import('../src/cli/main.ts');
