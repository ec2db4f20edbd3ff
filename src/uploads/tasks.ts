import type { TaskDefinition } from '../tasks/interfaces.ts';

/** Background work of uploads: fetching, sniffing, metadata. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const uploadTasks: TaskDefinition<any>[] = [];
