/**
 * A test Nebula for the job lifecycle: real PostgreSQL, the real API and a real task worker
 * running every task kind, a test tool registered through the tool store, and a FAKE runner.
 * The fake runner does what an executor does, through the real executor endpoints: it fetches
 * the spec with the job token, writes the outputs (the inputs concatenated) at the keys the spec
 * gives, and posts the report. It never runs a process; the real executor and runners have their
 * own tests (test/jobs/executor.test.ts, runner-*.test.ts).
 */
import path from 'node:path';
import { expect } from 'vitest';
import { configureJobs } from '../../src/jobs/lifecycle/settings.ts';
import type { AttemptStatus, JobReport, JobRunner, JobSpec, SubmitRequest } from '../../src/jobs/interfaces.ts';
import { createCollection, createHdca } from '../../src/model/collections.ts';
import { createHdas, setDatasetState } from '../../src/model/datasets.ts';
import { createHistory } from '../../src/model/histories.ts';
import { registerToolDirectory } from '../../src/toolstore/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

export type Behaviour = 'complete' | 'hold' | 'fail';

export interface FakeAttempt {
  request: SubmitRequest;
  state: AttemptStatus['state'];
  cancelled: boolean;
}

export class FakeRunner implements JobRunner {
  readonly name = 'fake';
  readonly attempts = new Map<string, FakeAttempt>();
  behaviour: Behaviour = 'complete';
  constructor(private readonly t: TestApp) {}

  async submit(request: SubmitRequest): Promise<{ externalId: string }> {
    if (!this.attempts.has(request.name)) {
      this.attempts.set(request.name, { request, state: 'running', cancelled: false });
      if (this.behaviour !== 'hold') setImmediate(() => void this.execute(request.name, this.behaviour === 'fail'));
    }
    return { externalId: request.name };
  }

  async status(externalId: string): Promise<AttemptStatus> {
    return { state: this.attempts.get(externalId)?.state ?? 'gone' } as AttemptStatus;
  }

  async cancel(externalId: string): Promise<void> {
    const a = this.attempts.get(externalId);
    if (a) Object.assign(a, { cancelled: true, state: 'exited' });
  }

  /** Token of an attempt, as the runner handed it to the executor. */
  token(name: string): string {
    return this.attempts.get(name)!.request.environment.NEBULA_JOB_TOKEN!;
  }

  async spec(request: SubmitRequest): Promise<JobSpec> {
    const env = request.environment;
    const res = await this.t.app.inject({
      method: 'GET',
      url: `/api/jobs/${env.NEBULA_JOB_ID}/spec?attempt=${env.NEBULA_JOB_ATTEMPT}`,
      headers: { 'x-nebula-job-token': env.NEBULA_JOB_TOKEN! },
    });
    expect(res.statusCode).toBe(200);
    return res.json() as JobSpec;
  }

  async report(request: SubmitRequest, report: JobReport) {
    return this.t.app.inject({
      method: 'POST',
      url: `/api/jobs/${request.environment.NEBULA_JOB_ID}/report`,
      headers: { 'x-nebula-job-token': request.environment.NEBULA_JOB_TOKEN!, 'content-type': 'application/json' },
      payload: JSON.stringify(report),
    });
  }

  /** Writes the outputs and builds the report an executor would send for this attempt. */
  async produce(request: SubmitRequest): Promise<JobReport> {
    const spec = await this.spec(request);
    const chunks: Buffer[] = [];
    for (const input of spec.inputs) {
      for await (const c of await this.t.store.get(input.objectKey)) chunks.push(c as Buffer);
    }
    const bytes = Buffer.concat(chunks);
    for (const output of spec.outputs) await this.t.store.put(output.objectKey, bytes);
    const now = new Date().toISOString();
    return {
      attempt: spec.attempt,
      state: 'ok',
      exitCode: 0,
      signal: null,
      commandLine: `cat ${spec.inputs.map((i) => i.name).join(' ')}`,
      stdout: 'concatenated',
      stderr: '',
      messages: [],
      outputs: spec.outputs.map((o) => ({
        name: o.name, objectKey: o.objectKey, size: bytes.length, ext: o.format,
        state: bytes.length ? 'ok' : 'empty', metadata: { dataLines: 1 }, peek: bytes.toString().slice(0, 100), blurb: '1 line',
      })),
      discovered: [],
      metrics: { startedAt: now, finishedAt: now, runtimeSeconds: 0, stagingSeconds: 0 },
    };
  }

  async execute(name: string, fail = false): Promise<void> {
    const attempt = this.attempts.get(name)!;
    const report = await this.produce(attempt.request);
    if (fail) Object.assign(report, { state: 'error', exitCode: 1, stderr: 'tool failed', messages: ['Fatal error: exit code 1'] });
    const res = await this.report(attempt.request, report);
    expect(res.statusCode).toBe(200);
    attempt.state = 'exited';
  }
}

export interface JobsTestApp extends TestApp {
  runner: FakeRunner;
  key: string;
  userId: number;
  other: { key: string; userId: number };
  history(userId?: number): Promise<{ id: number; encoded: string }>;
  dataset(historyId: number, text: string, opts?: { state?: 'ok' | 'running' | 'error'; ext?: string }): Promise<{ id: number; encoded: string; datasetId: number; objectKey: string }>;
  list(historyId: number, elements: Array<{ name: string; hdaId: number }>): Promise<string>;
  call(method: string, url: string, body?: unknown, key?: string | null): Promise<{ status: number; json: any }>;
  waitForJob(encodedId: string, states?: string[], timeoutMs?: number): Promise<any>;
  bytes(objectKey: string): Promise<string>;
}

export const TOOL_DIR = path.join(import.meta.dirname, 'fixtures', 'cat_tool');

export async function startJobsApp(): Promise<JobsTestApp> {
  const t = await startTestApp({ worker: true });
  t.ctx.config.jobs.destinations = [{ id: 'fake', runner: 'fake', params: {} }];
  t.ctx.config.jobs.defaultDestination = 'fake';
  const runner = new FakeRunner(t);
  configureJobs({ runners: { fake: runner }, monitorSeconds: 0.3, waitSeconds: 0.3, heartbeatStaleSeconds: 600 });
  await registerToolDirectory(t.db.pool, t.store, TOOL_DIR);
  const me = await t.user('alice');
  const other = await t.user('bob');
  const call = async (method: string, url: string, body?: unknown, key: string | null = me.key) => {
    const headers: Record<string, string> = {};
    if (key) headers['x-api-key'] = key;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await t.app.inject({ method: method as 'GET', url, headers, payload: body === undefined ? undefined : JSON.stringify(body) });
    let json: any;
    try {
      json = res.json();
    } catch {
      json = res.body;
    }
    return { status: res.statusCode, json };
  };
  return {
    ...t,
    runner,
    key: me.key,
    userId: me.user.id,
    other: { key: other.key, userId: other.user.id },
    async history(userId = me.user.id) {
      const h = await createHistory(t.db.pool, userId, 'jobs');
      return { id: h.id, encoded: t.ctx.ids.encode(h.id) };
    },
    async dataset(historyId, text, opts = {}) {
      const [hda] = await createHdas(t.db.pool, historyId, [{ name: `${text.slice(0, 10)}.txt`, extension: opts.ext ?? 'txt', state: opts.state ?? 'ok' }]);
      await t.store.put(hda!.object_key!, Buffer.from(text));
      await t.db.pool.query('UPDATE datasets SET file_size = $2 WHERE id = $1', [hda!.dataset_id, text.length]);
      if (opts.state) await setDatasetState(t.db.pool, hda!.dataset_id, opts.state);
      return { id: hda!.id, encoded: t.ctx.ids.encode(hda!.id), datasetId: hda!.dataset_id, objectKey: hda!.object_key! };
    },
    async list(historyId, elements) {
      const collectionId = await createCollection(t.db.pool, {
        collection_type: 'list',
        elements: elements.map((e) => ({ identifier: e.name, hdaId: e.hdaId })),
      });
      const hdca = await createHdca(t.db.pool, historyId, 'my list', collectionId);
      return t.ctx.ids.encode(hdca.id);
    },
    call,
    async waitForJob(encodedId, states = ['ok', 'error', 'deleted'], timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const res = await call('GET', `/api/jobs/${encodedId}?full=true`);
        if (states.includes(res.json.state)) return res.json;
        if (Date.now() > deadline) throw new Error(`job ${encodedId} still ${res.json.state} (${res.json.info ?? ''}) after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async bytes(objectKey) {
      const chunks: Buffer[] = [];
      for await (const c of await t.store.get(objectKey)) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString();
    },
  };
}

/**
 * The test app with the real local runner (its in-process executor) instead of the fake one,
 * behind an API listening on 127.0.0.1 for the executor's calls.
 */
export async function startLocalJobsApp(params: Record<string, unknown> = { concurrency: 2 }): Promise<JobsTestApp> {
  const t = await startJobsApp();
  t.ctx.config.jobs.serverUrl = await t.app.listen({ host: '127.0.0.1', port: 0 });
  t.ctx.config.jobs.destinations = [{ id: 'local', runner: 'local', params }];
  t.ctx.config.jobs.defaultDestination = 'local';
  configureJobs({ runners: {} });
  return t;
}

export function catRequest(historyId: string, input: unknown, extra: Record<string, unknown> = {}) {
  return { history_id: historyId, tool_id: 'nebula_test_cat', inputs: { input1: input, ...extra } };
}
