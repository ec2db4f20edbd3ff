/**
 * job.finish: applies the report of the CURRENT attempt, once. Compare-and-set on (job, attempt,
 * state running) under a row lock: a report of an older attempt, or a second finish of the same
 * one, changes nothing. Outputs point at the attempt-scoped objects the executor wrote; an object
 * key the server did not hand out is refused.
 */
import type { PoolClient } from '../../db/pool.ts';
import { applyDataManagerOutput } from '../../datatables/index.ts';
import { createHdas } from '../../model/datasets.ts';
import type { ObjectStore } from '../../objectstore/index.ts';
import { jobDiscoveredPrefix, jobOutputKey } from '../../objectstore/keys.ts';
import type { TaskDefinition } from '../../tasks/index.ts';
import type { DiscoveredOutput, JobReport } from '../interfaces.ts';
import { wakeDependents } from './fail.ts';
import { getJob, type JobRow } from './queries.ts';
import { dropPendingMonitor, wakeWaitingSubmits } from './requeue.ts';
import { outputSlots } from './spec.ts';
import { enqueueAttemptSweep, sweepDelaySeconds } from './sweep.ts';

async function applyOutputs(client: PoolClient, job: JobRow, report: JobReport): Promise<string[]> {
  const problems: string[] = [];
  for (const slot of await outputSlots(client, job.id)) {
    const reported = report.outputs.find((o) => o.name === slot.name);
    const expectedKey = jobOutputKey(job.uuid, job.attempt, slot.index);
    if (reported && reported.objectKey !== expectedKey) {
      problems.push(`output ${slot.name} was reported at an object key the server did not hand out`);
    }
    const usable = reported && reported.objectKey === expectedKey;
    const state = report.state === 'ok' && usable ? reported.state : 'error';
    if (state === 'error' && report.state === 'ok' && !reported) problems.push(`the tool produced no output ${slot.name}`);
    await client.query(
      `UPDATE datasets SET state = $2, object_key = COALESCE($3, object_key), file_size = $4, update_time = now() WHERE id = $1`,
      [slot.datasetId, state, usable ? expectedKey : null, usable ? reported.size : 0],
    );
    await client.query(
      `UPDATE hdas SET extension = COALESCE($2, extension), metadata = COALESCE($3, metadata), peek = $4, blurb = $5,
              info = $6, update_time = now() WHERE id = $1`,
      [
        slot.hdaId,
        usable ? reported.ext : null,
        usable ? JSON.stringify(reported.metadata ?? {}) : null,
        usable ? reported.peek : null,
        usable ? reported.blurb : state === 'error' ? 'error' : null,
        state === 'error' ? (report.messages.join('\n') || report.stderr.slice(0, 2000) || null) : null,
      ],
    );
  }
  return problems;
}

/** Discovered datasets: elements of the job's `<collection>` outputs, or new history datasets. */
async function applyDiscovered(client: PoolClient, job: JobRow, discovered: DiscoveredOutput[], prefix: string): Promise<void> {
  if (discovered.length === 0 || job.history_id === null) return;
  const { rows: collections } = await client.query<{ name: string; collection_id: number }>(
    `SELECT o.name, c.collection_id FROM job_output_collections o JOIN hdcas c ON c.id = o.hdca_id
      WHERE o.job_id = $1 AND c.job_source_id = $1`,
    [job.id],
  );
  const valid = discovered.filter((d) => d.objectKey.startsWith(prefix) && !d.objectKey.slice(prefix.length).includes('..'));
  const hdas = await createHdas(
    client,
    job.history_id,
    valid.map((d) => ({
      name: d.designation,
      extension: d.ext,
      state: d.state,
      creatingJobId: job.id,
      visible: !collections.some((c) => c.name === d.parent),
    })),
  );
  const elementsByCollection = new Map<number, Array<{ identifier: string; hdaId: number }>>();
  for (let i = 0; i < valid.length; i++) {
    const d = valid[i]!;
    const hda = hdas[i]!;
    await client.query('UPDATE datasets SET object_key = $2, file_size = $3 WHERE id = $1', [hda.dataset_id, d.objectKey, d.size]);
    await client.query('UPDATE hdas SET metadata = $2, peek = $3, blurb = $4 WHERE id = $1', [hda.id, JSON.stringify(d.metadata ?? {}), d.peek, d.blurb]);
    await client.query('INSERT INTO job_outputs (job_id, name, hda_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
      job.id,
      `__new_primary_file_${d.parent}|${d.designation}__`,
      hda.id,
    ]);
    const collection = collections.find((c) => c.name === d.parent);
    if (collection) {
      const list = elementsByCollection.get(collection.collection_id) ?? [];
      list.push({ identifier: d.designation, hdaId: hda.id });
      elementsByCollection.set(collection.collection_id, list);
    }
  }
  for (const [collectionId, elements] of elementsByCollection) {
    await client.query(
      `INSERT INTO collection_elements (collection_id, element_index, element_identifier, hda_id)
       SELECT $1, idx - 1, ident, h FROM unnest($2::text[], $3::bigint[]) WITH ORDINALITY AS t(ident, h, idx)
       ON CONFLICT DO NOTHING`,
      [collectionId, elements.map((e) => e.identifier), elements.map((e) => e.hdaId)],
    );
    await client.query('UPDATE collections SET element_count = $2, update_time = now() WHERE id = $1', [collectionId, elements.length]);
  }
}

export async function finishJob(
  client: PoolClient,
  jobId: number,
  attempt: number,
  opts: { store?: ObjectStore; sweepDelaySeconds: number },
): Promise<'applied' | 'stale' | 'no-report'> {
  const { store } = opts;
  const job = await getJob(client, jobId, { forUpdate: true });
  if (!job || job.state !== 'running' || job.attempt !== attempt) return 'stale';
  const { rows } = await client.query<{ report: JobReport }>('SELECT report FROM job_reports WHERE job_id = $1 AND attempt = $2', [jobId, attempt]);
  const report = rows[0]?.report;
  if (!report) return 'no-report';
  const problems = await applyOutputs(client, job, report);
  await applyDiscovered(client, job, report.discovered ?? [], jobDiscoveredPrefix(job.uuid, attempt));
  // A data manager's entries are merged in this transaction, or the job fails and no table changes.
  if (store && report.state === 'ok' && problems.length === 0) problems.push(...(await applyDataManagerOutput(client, store, job, report.outputs)).problems);
  const state = report.state === 'ok' && problems.length === 0 ? 'ok' : 'error';
  const info = [...report.messages, ...problems].join('\n') || null;
  await client.query(
    `UPDATE jobs SET state = $2, stdout = $3, stderr = $4, exit_code = $5, command_line = $6, metrics = $7, info = $8,
            finished_at = now(), update_time = now() WHERE id = $1`,
    [
      jobId, state, report.stdout ?? '', report.stderr ?? '', report.exitCode, report.commandLine ?? '',
      JSON.stringify({ ...report.metrics, signal: report.signal, attempt }), info,
    ],
  );
  await client.query(
    `UPDATE collections SET populated_state = $2, update_time = now()
      WHERE id IN (SELECT c.collection_id FROM job_output_collections o JOIN hdcas c ON c.id = o.hdca_id
                    WHERE o.job_id = $1 AND c.job_source_id = $1) AND populated_state = 'new'`,
    [jobId, state === 'ok' ? 'ok' : 'failed'],
  );
  await wakeDependents(client, jobId);
  await dropPendingMonitor(client, jobId);
  await wakeWaitingSubmits(client, job.destination);
  await enqueueAttemptSweep(client, job, opts.sweepDelaySeconds);
  return 'applied';
}

export const finishTask: TaskDefinition<{ jobId: number; attempt: number }> = {
  kind: 'job.finish',
  run: async (payload, ctx) => {
    const outcome = await ctx.completeWith((client) =>
      finishJob(client, payload.jobId, payload.attempt, { store: ctx.services.store, sweepDelaySeconds: sweepDelaySeconds(ctx) }),
    );
    ctx.log.debug({ jobId: payload.jobId, attempt: payload.attempt, outcome }, 'job.finish');
  },
};
