/**
 * A tool run request → planned jobs → one transaction (createJobs). Handles the legacy flat and
 * the 21.01 nested input forms (buildToolState accepts both), map-over batches, and rerun with
 * remap. The caller has already checked that the user may write to the history.
 */
import { withTransaction, type Pool } from '../../db/pool.ts';
import { getHdca } from '../../model/collections.ts';
import type { User } from '../../model/users.ts';
import type { ObjectStore } from '../../objectstore/types.ts';
import { loadRegisteredTool, ToolNotFoundError, type LoadedTool } from '../../toolstore/index.ts';
import { ToolParameterError } from '../../tools/errors.ts';
import { buildToolState, unflatten } from '../../tools/parameters/state.ts';
import type { DataRef, ToolState } from '../../tools/parameters/values.ts';
import type { IdCodec } from '../../util/ids.ts';
import type { Logger } from '../../util/log.ts';
import { isSubtypeOf } from '../../datatypes/index.ts';
import { evaluateOutputFilters } from '../../tools/outputs/filters.ts';
import { snapshotDataTables } from '../../datatables/index.ts';
import { createJobs, type CreatedJobs, type CreateJobsRequest, type PlannedJob } from './create.ts';
import { JobRequestError } from './errors.ts';
import { checkLinked, findBatchSites, mappedLeaves, replaceSites, type MappedLeaf } from './map-over.ts';
import { planOutputs } from './outputs.ts';
import { getJob } from './queries.ts';
import { InputResolver } from './resolve.ts';

export interface RunToolRequest {
  historyId: number;
  toolId: string;
  toolVersion?: string;
  inputs: Record<string, unknown>;
  /** Galaxy's rerun_remap_job_id: the failed job whose outputs this run replaces. */
  remapJobId?: number;
}

export interface RunToolDeps {
  pool: Pool;
  store: ObjectStore;
  ids: IdCodec;
  /** Where filters that raised are logged (Galaxy logs them and keeps the output). */
  log?: Logger;
}

export const DEFAULT_RESOURCES = { cores: 1, memoryMb: 1024, walltimeSeconds: 86400 };

async function loadTool(deps: RunToolDeps, toolId: string, version?: string): Promise<LoadedTool> {
  try {
    return await loadRegisteredTool(deps.pool, deps.store, toolId, version);
  } catch (err) {
    if (err instanceof ToolNotFoundError) {
      throw new JobRequestError(400, `Tool "${toolId.slice(0, 200)}"${version ? ` version "${version.slice(0, 100)}"` : ''} is not available`);
    }
    throw err;
  }
}

async function buildState(loaded: LoadedTool, payload: Record<string, unknown>, resolver: InputResolver): Promise<ToolState> {
  try {
    return await buildToolState(loaded.tool, payload, resolver.stateContext());
  } catch (err) {
    if (err instanceof ToolParameterError) throw new JobRequestError(400, `Tool ${loaded.tool.id}: ${err.message}`);
    throw err;
  }
}

function plannedJob(deps: RunToolDeps, loaded: LoadedTool, state: ToolState, params: unknown, resolver: InputResolver, leafPath?: string[]): PlannedJob {
  const hids = new Map(resolver.inputs.map((i) => [deps.ids.encode(i.hda.id), i.hda.hid]));
  const { included, problems } = evaluateOutputFilters(loaded.tool, state, { isSubtypeOf });
  for (const problem of problems) deps.log?.debug({ toolId: loaded.tool.id }, problem);
  const { datasets, collections } = planOutputs(loaded.tool, state, hids, included);
  return {
    state,
    params,
    inputs: resolver.inputs,
    inputCollections: resolver.collections,
    outputs: datasets,
    collectionOutputs: collections,
    leafPath,
  };
}

async function checkRemap(deps: RunToolDeps, user: User, jobId: number, toolId: string): Promise<void> {
  const job = await getJob(deps.pool, jobId);
  if (!job || (job.user_id !== user.id && !user.is_admin)) throw new JobRequestError(404, 'Job to remap not found');
  if (job.tool_id !== toolId) throw new JobRequestError(400, `Job to remap ran tool ${job.tool_id}, not ${toolId}`);
  if (job.state !== 'error') throw new JobRequestError(400, `Only a failed job can be remapped; this one is ${job.state}`);
}

export async function runTool(deps: RunToolDeps, user: User, request: RunToolRequest): Promise<CreatedJobs> {
  const loaded = await loadTool(deps, request.toolId, request.toolVersion);
  if (!loaded.bundle || !loaded.toolPath) {
    throw new JobRequestError(400, `Tool "${request.toolId}" is built in and cannot be run as a job`);
  }
  const { rerun_remap_job_id: _remap, ...inputs } = request.inputs;
  const payload = unflatten(inputs, loaded.tool.inputs);
  const sites = findBatchSites(payload);
  const jobs: PlannedJob[] = [];
  let mapOver: CreateJobsRequest['mapOver'];

  if (sites.length === 0) {
    const resolver = new InputResolver(deps.pool, deps.ids, user);
    const state = await buildState(loaded, payload, resolver);
    jobs.push(plannedJob(deps, loaded, state, inputs, resolver));
  } else {
    const probe = new InputResolver(deps.pool, deps.ids, user);
    const overCollections = sites.every((s) => s.refs.length === 1 && s.refs[0]!.src === 'hdca');
    if (overCollections) {
      const mapped: MappedLeaf[][] = [];
      const collectionInputs: Array<{ name: string; hdcaId: number }> = [];
      let collectionType = '';
      let onString = '';
      for (const site of sites) {
        const name = site.at.join('|');
        const { hdcaId, collection } = await probe.collection(site.refs[0]!, name);
        mapped.push(mappedLeaves(collection));
        collectionInputs.push({ name, hdcaId });
        if (!collectionType) {
          collectionType = collection.collection_type;
          onString = `collection ${(await getHdca(deps.pool, hdcaId))!.hid}`;
        }
      }
      checkLinked(mapped);
      if (mapped[0]!.length === 0) throw new JobRequestError(400, 'The collection to map over is empty');
      for (let k = 0; k < mapped[0]!.length; k++) {
        const resolver = new InputResolver(deps.pool, deps.ids, user);
        const values = mapped.map((leaves) => {
          resolver.allowElement(leaves[k]!.hda.id, leaves[k]!.path.at(-1)!);
          return { src: 'hda', id: deps.ids.encode(leaves[k]!.hda.id) } satisfies DataRef;
        });
        const jobPayload = replaceSites(payload, sites, values);
        const state = await buildState(loaded, jobPayload, resolver);
        jobs.push(plannedJob(deps, loaded, state, jobPayload, resolver, mapped[0]![k]!.path));
      }
      mapOver = { collectionType, onString, toolName: loaded.tool.name, inputs: collectionInputs };
    } else {
      if (sites.some((s) => s.refs.some((r) => r.src !== 'hda'))) {
        throw new JobRequestError(400, 'A batch parameter lists either one collection (src hdca) or datasets (src hda), not a mix');
      }
      const count = sites[0]!.refs.length;
      if (sites.some((s) => s.refs.length !== count)) throw new JobRequestError(400, 'Batch parameters must list the same number of datasets');
      for (let k = 0; k < count; k++) {
        const resolver = new InputResolver(deps.pool, deps.ids, user);
        const jobPayload = replaceSites(payload, sites, sites.map((s) => s.refs[k]));
        const state = await buildState(loaded, jobPayload, resolver);
        jobs.push(plannedJob(deps, loaded, state, jobPayload, resolver));
      }
    }
  }

  if (request.remapJobId !== undefined) {
    if (jobs.length !== 1) throw new JobRequestError(400, 'A remapping rerun must be a single job');
    await checkRemap(deps, user, request.remapJobId, loaded.tool.id);
  }
  for (const job of jobs) job.dataTableRows = await snapshotDataTables(deps.pool, loaded.tool, job.state);
  const container = loaded.tool.containers.find((c) => c.type === 'docker');
  return withTransaction(deps.pool, (client) =>
    createJobs(client, {
      userId: user.id,
      historyId: request.historyId,
      tool: {
        id: loaded.tool.id,
        version: loaded.tool.version,
        bundleKey: loaded.bundle!.key,
        toolPath: loaded.toolPath!,
        containerImage: container?.identifier ?? null,
      },
      resources: DEFAULT_RESOURCES,
      jobs,
      mapOver,
      remapJobId: request.remapJobId,
    }),
  );
}
