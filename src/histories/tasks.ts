import type { TaskDefinition } from '../tasks/interfaces.ts';

/** Background work of histories: chunked, checkpointed delete and purge. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const historyTasks: TaskDefinition<any>[] = [];
