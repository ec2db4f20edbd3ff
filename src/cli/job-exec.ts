/** `nebula job-exec`: runs one attempt of one job; started by a runner, never by hand in production. */
import { Command } from 'commander';
import { ExecutorSettingsError, readExecutorSettings, runExecutor } from '../jobs/executor/index.ts';

export function jobExecCommand(): Command {
  return new Command('job-exec')
    .description('run one job attempt (NEBULA_SERVER_URL, NEBULA_JOB_ID, NEBULA_JOB_ATTEMPT, NEBULA_JOB_TOKEN from the environment)')
    .action(async () => {
      const stop = new AbortController();
      // A runner's cancel sends SIGTERM to the executor's process group: stop the tool, report nothing.
      process.once('SIGTERM', () => stop.abort());
      process.once('SIGINT', () => stop.abort());
      const log = (message: string) => process.stderr.write(`nebula job-exec: ${message}\n`);
      let settings;
      try {
        settings = readExecutorSettings();
      } catch (error) {
        if (!(error instanceof ExecutorSettingsError)) throw error;
        log(error.message);
        process.exit(2);
      }
      const result = await runExecutor(settings, { stop: stop.signal, log });
      if (result.error) log(result.error);
      else if (result.outcome && result.outcome.outcome !== 'reported') log(`${result.outcome.outcome}: ${result.outcome.reason}`);
      process.exit(result.exitCode);
    });
}
