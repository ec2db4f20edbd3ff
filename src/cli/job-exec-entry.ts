/** Entry of the bundled executor (bin/executor-bundle.js; `npm run build:executor`). */
import { jobExecCommand } from './job-exec.ts';

await jobExecCommand().parseAsync(process.argv.slice(1));
