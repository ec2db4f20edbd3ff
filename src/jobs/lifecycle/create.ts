/**
 * Creating jobs: in the caller's ONE transaction, the job rows (state new), their output
 * datasets (state new), job_inputs / job_outputs, implicit collections of a map-over, and a
 * job.schedule task per job. Nothing runs until that transaction commits.
 */
import { randomUUID } from 'node:crypto';
import type { Queryable } from '../../db/pool.ts';
import { createCollection, createHdca, getHdca, type Hdca, type NewCollection } from '../../model/collections.ts';
import { createHdas, getHda, type Hda } from '../../model/datasets.ts';
import { datasetKey } from '../../objectstore/keys.ts';
import type { ToolState } from '../../tools/parameters/values.ts';
import type { PlannedCollectionOutput, PlannedOutput } from './outputs.ts';
import { getJob, type JobRow } from './queries.ts';
import { enqueueJobTask } from './requeue.ts';
import type { RecordedCollectionInput, RecordedInput } from './resolve.ts';

export interface PlannedJob {
  state: ToolState;
  /** The request's inputs for this job (what search and rerun compare and give back). */
  params: unknown;
  inputs: RecordedInput[];
  inputCollections: RecordedCollectionInput[];
  outputs: PlannedOutput[];
  collectionOutputs: PlannedCollectionOutput[];
  /** For a map-over: element identifiers from the mapped collection's root to this job's dataset. */
  leafPath?: string[];
  /** Data table rows the job's selects chose, kept on the job for its executor. */
  dataTableRows?: Record<string, { columns: string[]; rows: string[][] }> | null;
}

export interface CreateJobsRequest {
  userId: number;
  historyId: number;
  tool: { id: string; version: string; bundleKey: string | null; toolPath: string | null; containerImage: string | null };
  resources: { cores: number; memoryMb: number; walltimeSeconds: number };
  jobs: PlannedJob[];
  mapOver?: { collectionType: string; onString: string; toolName: string; inputs: RecordedCollectionInput[] };
  /** Rerun of a failed job whose outputs the new job takes over (Galaxy's rerun_remap_job_id). */
  remapJobId?: number;
  rerunOfJobId?: number;
}

export interface CreatedJobs {
  jobs: JobRow[];
  outputs: Array<{ outputName: string; hda: Hda }>;
  implicitCollections: Array<{ outputName: string; hdca: Hdca }>;
  outputCollections: Array<{ outputName: string; hdca: Hdca }>;
}

async function insertJob(db: Queryable, request: CreateJobsRequest, job: PlannedJob): Promise<number> {
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO jobs (user_id, history_id, tool_id, tool_version, state, params, tool_bundle_key, tool_path, tool_state,
                       cores, memory_mb, walltime_seconds, container_image, rerun_of_job_id)
     VALUES ($1, $2, $3, $4, 'new', $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
    [
      request.userId, request.historyId, request.tool.id, request.tool.version, JSON.stringify(job.params ?? {}),
      request.tool.bundleKey, request.tool.toolPath, JSON.stringify(job.state), request.resources.cores,
      request.resources.memoryMb, request.resources.walltimeSeconds, request.tool.containerImage,
      request.rerunOfJobId ?? request.remapJobId ?? null,
    ],
  );
  const jobId = rows[0]!.id;
  if (job.dataTableRows) await db.query('UPDATE jobs SET data_table_rows = $2 WHERE id = $1', [jobId, JSON.stringify(job.dataTableRows)]);
  if (job.inputs.length) {
    await db.query(
      `INSERT INTO job_inputs (job_id, name, hda_id) SELECT $1, n, h FROM unnest($2::text[], $3::bigint[]) AS t(n, h)`,
      [jobId, job.inputs.map((i) => i.name), job.inputs.map((i) => i.hda.id)],
    );
  }
  const collectionInputs = [...job.inputCollections, ...(request.mapOver?.inputs ?? [])];
  if (collectionInputs.length) {
    await db.query(
      `INSERT INTO job_input_collections (job_id, name, hdca_id) SELECT $1, n, h FROM unnest($2::text[], $3::bigint[]) AS t(n, h)`,
      [jobId, collectionInputs.map((i) => i.name), collectionInputs.map((i) => i.hdcaId)],
    );
  }
  return jobId;
}

async function linkOutputs(db: Queryable, jobId: number, names: string[], hdaIds: number[]): Promise<void> {
  await db.query(
    `INSERT INTO job_outputs (job_id, name, hda_id) SELECT $1, n, h FROM unnest($2::text[], $3::bigint[]) AS t(n, h)`,
    [jobId, names, hdaIds],
  );
}

/**
 * The remapped job's outputs: the failed job's HDAs, each pointed at a fresh dataset. An output
 * the failed job did not have (its `<filter>` held this time) gets a new HDA, as in Galaxy.
 */
async function remapOutputs(db: Queryable, request: CreateJobsRequest, remapJobId: number, jobId: number, outputs: PlannedOutput[]): Promise<Hda[]> {
  const { rows } = await db.query<{ name: string; hda_id: number }>('SELECT name, hda_id FROM job_outputs WHERE job_id = $1', [remapJobId]);
  const byName = new Map(rows.map((r) => [r.name, r.hda_id]));
  const fresh = await newOutputHdas(db, request, jobId, outputs.filter((o) => !byName.has(o.name)));
  const hdas: Hda[] = [];
  for (const output of outputs) {
    const hdaId = byName.get(output.name);
    if (hdaId === undefined) {
      hdas.push(fresh.shift()!);
      continue;
    }
    const uuid = randomUUID();
    const { rows: ds } = await db.query<{ id: number }>(
      `INSERT INTO datasets (uuid, state, object_key) VALUES ($1, 'new', $2) RETURNING id`,
      [uuid, datasetKey(uuid)],
    );
    await db.query(
      `UPDATE hdas SET dataset_id = $2, creating_job_id = $3, extension = $4, info = NULL, blurb = NULL, peek = NULL,
              metadata = '{}', update_time = now() WHERE id = $1`,
      [hdaId, ds[0]!.id, jobId, output.ext],
    );
    hdas.push((await getHda(db, hdaId))!);
  }
  // Jobs paused because the old outputs failed can run now that the outputs are being remade.
  const { rows: dependents } = await db.query<{ id: number; cores: number; memory_mb: number }>(
    `UPDATE jobs j SET state = 'new', paused_reason = NULL, update_time = now()
      WHERE j.state = 'paused' AND j.id IN (SELECT job_id FROM job_inputs WHERE hda_id = ANY($1))
      RETURNING j.id, j.cores, j.memory_mb`,
    [hdas.map((h) => h.id)],
  );
  for (const d of dependents) {
    await db.query(
      `UPDATE datasets d SET state = 'new', update_time = now() FROM job_outputs o JOIN hdas h ON h.id = o.hda_id
        WHERE o.job_id = $1 AND d.id = h.dataset_id AND d.state = 'paused'`,
      [d.id],
    );
    await enqueueJobTask(db, 'job.schedule', d);
  }
  return hdas;
}

function newOutputHdas(db: Queryable, request: CreateJobsRequest, jobId: number, outputs: PlannedOutput[]): Promise<Hda[]> {
  return createHdas(
    db,
    request.historyId,
    outputs.map((o) => ({
      name: o.label,
      extension: o.ext,
      dbkey: o.dbkey,
      state: 'new' as const,
      // Elements of an implicit collection are shown through the collection.
      visible: request.mapOver ? false : o.visible,
      creatingJobId: jobId,
    })),
  );
}

/**
 * A `<collection>` output of a job that is not mapped over: with static elements, a collection
 * of the job's part datasets (a rerun that remaps keeps the failed job's collection); otherwise
 * an empty one the job's discovered datasets fill when it finishes.
 */
async function createOutputCollection(
  db: Queryable,
  request: CreateJobsRequest,
  jobId: number,
  c: PlannedCollectionOutput,
  hdaByOutput: Map<string, Hda>,
): Promise<Hdca> {
  if (c.elements.length && request.remapJobId !== undefined) {
    const { rows } = await db.query<{ hdca_id: number }>('SELECT hdca_id FROM job_output_collections WHERE job_id = $1 AND name = $2', [request.remapJobId, c.name]);
    if (rows[0]) return (await getHdca(db, rows[0].hdca_id))!;
  }
  let collectionId: number;
  if (c.elements.length) {
    collectionId = await createCollection(db, {
      collection_type: c.collectionType,
      elements: c.elements.map((e) => ({ identifier: e.identifier, hdaId: hdaByOutput.get(e.output)!.id })),
    });
  } else {
    const { rows } = await db.query<{ id: number }>(
      `INSERT INTO collections (collection_type, populated_state, element_count) VALUES ($1, 'new', 0) RETURNING id`,
      [c.collectionType],
    );
    collectionId = rows[0]!.id;
  }
  return createHdca(db, request.historyId, c.label, collectionId, { jobSourceId: jobId });
}

/** Builds a NewCollection tree of `type` from (path → hda id) leaves, keeping their order. */
function treeOf(type: string, leaves: Array<{ path: string[]; hdaId: number }>): NewCollection {
  const [, ...rest] = type.split(':');
  const childType = rest.join(':');
  const elements: NewCollection['elements'] = [];
  const groups = new Map<string, Array<{ path: string[]; hdaId: number }>>();
  for (const leaf of leaves) {
    const [head, ...tail] = leaf.path;
    if (tail.length === 0) elements.push({ identifier: head!, hdaId: leaf.hdaId });
    else {
      let group = groups.get(head!);
      if (!group) {
        group = [];
        groups.set(head!, group);
        elements.push({ identifier: head!, collection: { collection_type: childType, elements: [] } });
      }
      group.push({ path: tail, hdaId: leaf.hdaId });
    }
  }
  for (const element of elements) {
    if ('collection' in element) element.collection = treeOf(childType, groups.get(element.identifier)!);
  }
  return { collection_type: type, elements };
}

export async function createJobs(db: Queryable, request: CreateJobsRequest): Promise<CreatedJobs> {
  const created: CreatedJobs = { jobs: [], outputs: [], implicitCollections: [], outputCollections: [] };
  const leavesByOutput = new Map<string, { type: string; leaves: Array<{ path: string[]; hdaId: number }> }>();
  const addLeaf = (output: string, type: string, path: string[], hdaId: number) => {
    const entry = leavesByOutput.get(output) ?? { type, leaves: [] };
    entry.leaves.push({ path, hdaId });
    leavesByOutput.set(output, entry);
  };
  const jobIds: number[] = [];
  for (const job of request.jobs) {
    const jobId = await insertJob(db, request, job);
    jobIds.push(jobId);
    const hdas = request.remapJobId !== undefined
      ? await remapOutputs(db, request, request.remapJobId, jobId, job.outputs)
      : await newOutputHdas(db, request, jobId, job.outputs);
    if (hdas.length) await linkOutputs(db, jobId, job.outputs.map((o) => o.name), hdas.map((h) => h.id));
    const hdaByOutput = new Map(job.outputs.map((o, i) => [o.name, hdas[i]!]));
    job.outputs.forEach((o, i) => created.outputs.push({ outputName: o.name, hda: hdas[i]! }));
    if (request.mapOver && job.leafPath) {
      // Each output becomes an implicit collection; a static collection output nests its
      // elements under the mapped element (a paired output over a list gives list:paired).
      const parts = new Set(job.collectionOutputs.flatMap((c) => c.elements.map((e) => e.output)));
      for (const o of job.outputs) if (!parts.has(o.name)) addLeaf(o.name, request.mapOver.collectionType, job.leafPath, hdaByOutput.get(o.name)!.id);
      for (const c of job.collectionOutputs) {
        for (const e of c.elements) {
          addLeaf(c.name, `${request.mapOver.collectionType}:${c.collectionType}`, [...job.leafPath, e.identifier], hdaByOutput.get(e.output)!.id);
        }
      }
    } else if (!request.mapOver) {
      for (const c of job.collectionOutputs) {
        const hdca = await createOutputCollection(db, request, jobId, c, hdaByOutput);
        await db.query('INSERT INTO job_output_collections (job_id, name, hdca_id) VALUES ($1, $2, $3)', [jobId, c.name, hdca.id]);
        created.outputCollections.push({ outputName: c.name, hdca });
      }
    }
    await enqueueJobTask(db, 'job.schedule', { id: jobId, cores: request.resources.cores, memory_mb: request.resources.memoryMb });
  }
  if (request.mapOver) {
    for (const [outputName, { type, leaves }] of leavesByOutput) {
      const collectionId = await createCollection(db, treeOf(type, leaves));
      const name = `${request.mapOver.toolName} on ${request.mapOver.onString}`;
      const hdca = await createHdca(db, request.historyId, name, collectionId);
      await db.query(
        `INSERT INTO job_output_collections (job_id, name, hdca_id) SELECT j, $2, $3 FROM unnest($1::bigint[]) AS t(j)`,
        [jobIds, outputName, hdca.id],
      );
      created.implicitCollections.push({ outputName, hdca: (await getHdca(db, hdca.id))! });
    }
  }
  for (const id of jobIds) created.jobs.push((await getJob(db, id))!);
  return created;
}
