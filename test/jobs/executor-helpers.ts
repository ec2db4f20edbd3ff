/**
 * Helpers for the executor and runner tests: a tool bundle in a real object store, a JobSpec, and a
 * small HTTP server standing in for the jobs API (spec, heartbeat, report) that records what the
 * executor sent. The end-to-end test through J1's real endpoints lives beside these.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JobReport, JobSpec, SpecInput, SpecOutput } from '../../src/jobs/interfaces.ts';
import type { ObjectStore } from '../../src/objectstore/index.ts';
import { makeBundle, putBundle } from '../../src/toolstore/bundle.ts';
import type { ToolState } from '../../src/tools/parameters/values.ts';

export async function putToolBundle(store: ObjectStore, files: Record<string, { text: string; mode?: number }>): Promise<string> {
  const entries = Object.entries(files).map(([path, f]) => ({ path, mode: f.mode ?? 0o644, data: Buffer.from(f.text) }));
  const { bundle, gzipped } = makeBundle(entries);
  await putBundle(store, bundle, gzipped);
  return bundle.key;
}

export function makeSpec(options: {
  bundleKey: string;
  toolPath?: string;
  toolState: ToolState;
  inputs?: SpecInput[];
  outputs: { name: string; format: string; fromWorkDir?: string }[];
  walltimeSeconds?: number;
  attempt?: number;
  container?: JobSpec['container'];
}): JobSpec {
  const jobUuid = randomUUID();
  const attempt = options.attempt ?? 1;
  const outputs: SpecOutput[] = options.outputs.map((o, i) => ({ ...o, objectKey: `jobs/${jobUuid.slice(0, 2)}/${jobUuid}/${attempt}/out-${i}` }));
  return {
    jobId: 'f2db41e1fa331b3e',
    jobUuid,
    attempt,
    tool: { id: 'j2_test', version: '1.0', bundleKey: options.bundleKey, toolPath: options.toolPath ?? 'tool.xml' },
    toolState: options.toolState,
    inputs: options.inputs ?? [],
    outputs,
    discoveredPrefix: `jobs/${jobUuid.slice(0, 2)}/${jobUuid}/${attempt}/discovered/`,
    resources: { cores: 2, memoryMb: 512, walltimeSeconds: options.walltimeSeconds ?? 60 },
    user: { id: '1', email: 'j2@example.org' },
    historyId: 'abc',
    ...(options.container ? { container: options.container } : {}),
  };
}

export interface FakeJobServer {
  url: string;
  token: string;
  reports: JobReport[];
  heartbeats: number;
  /** Answer heartbeats with 409 from now on (the attempt was superseded). */
  supersede(): void;
  /** Resolves with the next report. */
  nextReport(): Promise<JobReport>;
  close(): Promise<void>;
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startFakeJobServer(spec: JobSpec): Promise<FakeJobServer> {
  const token = randomUUID();
  let superseded = false;
  const waiters: ((r: JobReport) => void)[] = [];
  const state = { reports: [] as JobReport[], heartbeats: 0 };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const text = await body(req);
      const reply = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      if (req.headers['x-nebula-job-token'] !== token) return reply(403, { err_msg: 'bad job token' });
      const url = new URL(req.url!, 'http://x');
      const base = `/api/jobs/${spec.jobId}`;
      if (req.method === 'GET' && url.pathname === `${base}/spec`) {
        if (Number(url.searchParams.get('attempt')) !== spec.attempt) return reply(409, { err_msg: 'stale attempt' });
        return reply(200, spec);
      }
      if (req.method === 'POST' && url.pathname === `${base}/heartbeat`) {
        state.heartbeats++;
        return superseded ? reply(409, { err_msg: 'superseded' }) : reply(200, {});
      }
      if (req.method === 'POST' && url.pathname === `${base}/report`) {
        if (superseded) return reply(409, { err_msg: 'superseded' });
        const report = JSON.parse(text) as JobReport;
        state.reports.push(report);
        waiters.splice(0).forEach((w) => w(report));
        return reply(200, {});
      }
      reply(404, { err_msg: `no route ${req.method} ${url.pathname}` });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    get reports() {
      return state.reports;
    },
    get heartbeats() {
      return state.heartbeats;
    },
    supersede() {
      superseded = true;
    },
    nextReport() {
      return new Promise((resolve) => waiters.push(resolve));
    },
    close() {
      return new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}

export function dataset(id: string, ext: string, name = id) {
  return { kind: 'dataset' as const, id, name, ext, metadata: {} };
}
