import type { TaskDefinition } from '../tasks/interfaces.ts';
import { cancelTask } from './lifecycle/cancel.ts';
import { finishTask } from './lifecycle/finish.ts';
import { monitorTask } from './lifecycle/monitor.ts';
import { scheduleTask } from './lifecycle/schedule.ts';
import { submitTask } from './lifecycle/submit.ts';
import { sweepTask } from './lifecycle/sweep.ts';

/** The job lifecycle: every transition of a job is one of these tasks (see docs/jobs.md). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const jobTasks: TaskDefinition<any>[] = [scheduleTask, submitTask, monitorTask, finishTask, cancelTask, sweepTask];
