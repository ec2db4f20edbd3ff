/**
 * The order in which a worker takes job tasks: a job.finish (or job.cancel) enqueued after a
 * backlog of job.schedule tasks is claimed first, so finished attempts are applied while many
 * new jobs still wait for a slot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueJobTask } from '../../src/jobs/lifecycle/requeue.ts';
import { claimTasks } from '../../src/tasks/sql/claim.ts';
import { freshDatabase, type TestDatabase } from '../helpers/db.ts';

let db: TestDatabase;

beforeAll(async () => {
  db = await freshDatabase();
});

afterAll(async () => {
  await db.drop();
});

describe('job task priority', () => {
  it('claims job.finish and job.cancel before an older backlog of job.schedule', async () => {
    for (let id = 1; id <= 5; id++) await enqueueJobTask(db.pool, 'job.schedule', { id, cores: 1, memory_mb: 100 });
    await enqueueJobTask(db.pool, 'job.finish', { id: 1, cores: 1, memory_mb: 100 }, { payload: { attempt: 1 }, uniqueSuffix: ':1' });
    await enqueueJobTask(db.pool, 'job.cancel', { id: 2, cores: 1, memory_mb: 100 });
    const claim = () => claimTasks(db.pool, { owner: 'test', limit: 2, leaseSeconds: 60, queues: null });
    expect((await claim()).map((t) => t.kind).sort()).toEqual(['job.cancel', 'job.finish']);
    expect((await claim()).map((t) => [t.kind, (t.payload as { jobId: number }).jobId])).toEqual([
      ['job.schedule', 1],
      ['job.schedule', 2],
    ]);
  });
});
