/** The job lifecycle (server side): creating jobs, their transitions as tasks, and their spec. */
export { configureJobs, type JobsSettings } from './settings.ts';
export { runTool, DEFAULT_RESOURCES, type RunToolRequest, type RunToolDeps } from './run-tool.ts';
export type { CreatedJobs } from './create.ts';
export { JobRequestError } from './errors.ts';
export { buildJobSpec } from './spec.ts';
export { requestCancel } from './cancel.ts';
export { chooseDestination } from './destination.ts';
export { getJob, jobLockActive, setJobLock, type JobRow } from './queries.ts';
export { hashToken, tokenMatches } from './token.ts';
export { finishJob } from './finish.ts';
export { enqueueJobTask } from './requeue.ts';
