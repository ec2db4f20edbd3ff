/** Jobs as Galaxy's API shows them (model_class Job; `collection` and `element`/full views). */
import type { JobRow } from '../../jobs/lifecycle/queries.ts';
import type { IdCodec } from '../../util/ids.ts';

const iso = (d: Date | null) => (d ? d.toISOString().replace(/Z$/, '') : null);
export const GALAXY_VERSION = '23.0';

export function serializeJobSummary(ids: IdCodec, job: JobRow): Record<string, unknown> {
  return {
    model_class: 'Job',
    id: ids.encode(job.id),
    tool_id: job.tool_id,
    tool_version: job.tool_version,
    state: job.state,
    exit_code: job.exit_code,
    history_id: job.history_id === null ? null : ids.encode(job.history_id),
    create_time: iso(job.create_time),
    update_time: iso(job.update_time),
    galaxy_version: GALAXY_VERSION,
  };
}

export interface JobAssociation {
  name: string;
  hdaId: number;
  uuid: string;
}

interface MetricRow {
  plugin: string;
  name: string;
  title: string;
  value: string;
  raw_value: string;
}

function metricsOf(job: JobRow): MetricRow[] {
  const m = job.metrics as { runtimeSeconds?: number; stagingSeconds?: number; startedAt?: string; finishedAt?: string };
  const out: MetricRow[] = [
    { plugin: 'core', name: 'galaxy_slots', title: 'Cores Allocated', value: String(job.cores), raw_value: String(job.cores) },
    { plugin: 'core', name: 'galaxy_memory_mb', title: 'Memory Allocated (MB)', value: String(job.memory_mb), raw_value: String(job.memory_mb) },
  ];
  if (typeof m.runtimeSeconds === 'number') {
    out.push({ plugin: 'core', name: 'runtime_seconds', title: 'Job Runtime (Wall Clock)', value: `${Math.round(m.runtimeSeconds)} seconds`, raw_value: String(m.runtimeSeconds) });
  }
  if (typeof m.stagingSeconds === 'number') {
    out.push({ plugin: 'nebula', name: 'staging_seconds', title: 'Staging Time', value: `${Math.round(m.stagingSeconds)} seconds`, raw_value: String(m.stagingSeconds) });
  }
  if (m.startedAt) out.push({ plugin: 'core', name: 'start_epoch', title: 'Job Start Time', value: m.startedAt, raw_value: String(Date.parse(m.startedAt) / 1000) });
  if (m.finishedAt) out.push({ plugin: 'core', name: 'end_epoch', title: 'Job End Time', value: m.finishedAt, raw_value: String(Date.parse(m.finishedAt) / 1000) });
  return out;
}

/** Tool state values as Galaxy's `params`: each top-level value JSON-encoded, datasets by reference. */
function paramsOf(state: Record<string, unknown> | null): Record<string, string> {
  const replace = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(replace);
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.kind === 'dataset') return { values: [{ src: 'hda', id: o.id }] };
      if (o.kind === 'collection') return { values: [{ src: 'hdca', id: o.id }] };
      return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, replace(x)]));
    }
    return v;
  };
  return Object.fromEntries(Object.entries(state ?? {}).map(([k, v]) => [k, JSON.stringify(replace(v))]));
}

export function serializeJobDetails(
  ids: IdCodec,
  job: JobRow,
  opts: { full: boolean; isAdmin: boolean; inputs: JobAssociation[]; outputs: JobAssociation[]; userEmail?: string },
): Record<string, unknown> {
  const assoc = (list: JobAssociation[]) =>
    Object.fromEntries(list.map((a) => [a.name, { id: ids.encode(a.hdaId), src: 'hda', uuid: a.uuid }]));
  const details: Record<string, unknown> = {
    ...serializeJobSummary(ids, job),
    inputs: assoc(opts.inputs),
    outputs: assoc(opts.outputs),
    output_collections: {},
    params: paramsOf(job.tool_state),
  };
  if (opts.isAdmin) {
    details.external_id = job.external_id;
    details.handler = null;
    details.job_runner_name = job.runner;
    details.destination_id = job.destination;
    details.user_email = opts.userEmail ?? null;
  }
  if (opts.full || opts.isAdmin) details.command_line = job.command_line ?? '';
  if (opts.full) {
    Object.assign(details, {
      stdout: job.stdout ?? '',
      stderr: job.stderr ?? '',
      tool_stdout: job.stdout ?? '',
      tool_stderr: job.stderr ?? '',
      job_stdout: '',
      job_stderr: job.info && job.state === 'error' ? job.info : '',
      job_messages: job.info && job.state === 'error' ? job.info.split('\n').map((desc) => ({ desc, code_desc: null, error_level: 3 })) : [],
      traceback: null,
      dependencies: [],
      exit_code: job.exit_code,
      job_metrics: metricsOf(job),
      info: job.info,
      attempt: job.attempt,
    });
  }
  return details;
}
