import type { TaskDefinition } from '../tasks/interfaces.ts';
import { exportHistoryTask } from './export-task.ts';
import { importHistoryTask } from './import-task.ts';
import { deleteObjectsTask, purgeHistoryTask } from './purge.ts';

/** Background work of histories: chunked, checkpointed purge, object deletion, export and import. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const historyTasks: TaskDefinition<any>[] = [purgeHistoryTask, deleteObjectsTask, exportHistoryTask, importHistoryTask];
