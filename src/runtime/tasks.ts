import type { TaskDefinition } from '../tasks/interfaces.ts';
import { schedulePeriodic } from '../tasks/sql/periodic.ts';
import type { Queryable } from '../db/pool.ts';
import { datasetTasks } from '../datasets/tasks.ts';
import { historyTasks } from '../histories/tasks.ts';
import { uploadTasks } from '../uploads/tasks.ts';
import { EXPIRE_SESSIONS_TASK_KIND } from '../uploads/items.ts';
import { jobTasks } from '../jobs/tasks.ts';
import { pruneResolutions } from '../containers/cache.ts';
import { selftestTask } from './selftest.ts';

/** Drops finished task rows after a day; the dead-letter is kept until an operator acts. */
const cleanupFinishedTasks: TaskDefinition<{ olderThanHours?: number }> = {
  kind: 'nebula.tasks.cleanup',
  run: async (payload, ctx) => {
    const hours = payload.olderThanHours ?? 24;
    const { rowCount } = await ctx.pool.query(
      `DELETE FROM nebula_tasks WHERE state IN ('done', 'cancelled') AND finished_at < now() - make_interval(hours => $1)`,
      [hours],
    );
    ctx.log.info({ deleted: rowCount }, 'finished tasks cleaned up');
  },
};

/** Drops container resolutions that expired a day ago; fresh lookups replace them on demand. */
const pruneContainerResolutions: TaskDefinition = {
  kind: 'nebula.containers.prune',
  run: async (_payload, ctx) => {
    ctx.log.info({ deleted: await pruneResolutions(ctx.pool) }, 'expired container resolutions pruned');
  },
};

/** Every task kind this build knows; each area of Nebula adds its definitions here. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function allTaskDefinitions(): TaskDefinition<any>[] {
  return [cleanupFinishedTasks, pruneContainerResolutions, selftestTask, ...historyTasks, ...datasetTasks, ...uploadTasks, ...jobTasks];
}

export async function declarePeriodicTasks(db: Queryable): Promise<void> {
  await schedulePeriodic(db, { name: 'tasks-cleanup', kind: cleanupFinishedTasks.kind, everySeconds: 600 });
  await schedulePeriodic(db, { name: 'container-resolutions-prune', kind: pruneContainerResolutions.kind, everySeconds: 3600 });
  await schedulePeriodic(db, { name: 'tus-sessions-expiry', kind: EXPIRE_SESSIONS_TASK_KIND, everySeconds: 3600 });
}
