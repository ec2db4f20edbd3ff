/**
 * A worker SIGKILLed while it runs an attempt in-process (the local runner's default): the
 * executor dies with it, the lifecycle notices (another worker on the host sees the dead owner:
 * 'gone'), starts attempt 2 on another worker, and the job ends ok with one report applied and
 * its output written once.
 *
 * Real processes: PostgreSQL, one `serve --role api`, workers `serve --role worker`, the file
 * object store, the real executor and bash.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { parseInProcessId } from '../../src/jobs/runners/in-process.ts';
import { createHistory } from '../../src/model/histories.ts';
import { createApiKey, createUser } from '../../src/model/users.ts';
import { FileObjectStore } from '../../src/objectstore/index.ts';
import { registerToolDirectory } from '../../src/toolstore/index.ts';
import { IdCodec } from '../../src/util/ids.ts';
import { freshDatabase, type TestDatabase } from '../helpers/db.ts';
import { NebulaProcess, freePort } from '../helpers/processes.ts';
import { clusterEnv } from './crash-helpers.ts';

const ID_SECRET = 'local-crash-test-secret';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let db: TestDatabase;
let home: string;
const processes: NebulaProcess[] = [];

beforeAll(async () => {
  db = await freshDatabase();
  home = mkdtempSync(path.join(os.tmpdir(), 'nebula-local-crash-'));
}, 120_000);

afterAll(async () => {
  await Promise.all(processes.map((p) => p.kill()));
  await db?.drop();
  if (home) rmSync(home, { recursive: true, force: true });
});

/** Appends a line when it starts (on this host, so the test sees every run), sleeps 3 s, writes its output. */
function toolXml(runsFile: string): string {
  return `<tool id="crash_sleepy" name="Sleepy" version="1.0">
  <command><![CDATA[
echo start >> '${runsFile}' &&
sleep 3 &&
echo 'result of $label' > '$out'
  ]]></command>
  <inputs>
    <param name="label" type="text" value="x"/>
  </inputs>
  <outputs>
    <data name="out" format="txt"/>
  </outputs>
</tool>
`;
}

it('a worker SIGKILLed during an in-process attempt: attempt 2 on another worker, one report, output written once', { timeout: 240_000 }, async () => {
  const port = await freePort();
  const objects = path.join(home, 'objects');
  const configFile = path.join(home, 'nebula.yaml');
  writeFileSync(
    configFile,
    toYaml({
      objectStore: { backend: 'file', path: objects, cache: { maxBytes: 0 } },
      jobs: {
        serverUrl: `http://127.0.0.1:${port}`,
        destinations: [{ id: 'local', runner: 'local', params: { concurrency: 2, stateDir: path.join(home, 'runner') } }],
        defaultDestination: 'local',
      },
    }),
  );
  const env = clusterEnv({ databaseUrl: db.url, home, configFile, port, idSecret: ID_SECRET });
  const store = new FileObjectStore(objects);
  const runsFile = path.join(home, 'runs.log');
  const toolDir = path.join(home, 'tool');
  mkdirSync(toolDir);
  writeFileSync(path.join(toolDir, 'sleepy.xml'), toolXml(runsFile));
  await registerToolDirectory(db.pool, store, toolDir);
  const user = await createUser(db.pool, { email: 'crash@example.org', username: 'crasher' });
  const key = await createApiKey(db.pool, user.id);
  const history = await createHistory(db.pool, user.id, 'local crash');
  const ids = new IdCodec(ID_SECRET);

  const api = new NebulaProcess(['serve', '--role', 'api'], env).start();
  const workerA = new NebulaProcess(['serve', '--role', 'worker'], env).start();
  processes.push(api, workerA);
  await api.waitForHttp(`http://127.0.0.1:${port}/api/version`, 60_000);

  const res = await fetch(`http://127.0.0.1:${port}/api/tools`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    body: JSON.stringify({ tool_id: 'crash_sleepy', history_id: ids.encode(history.id), inputs: { label: 'one' } }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  const jobId = ids.decode(((await res.json()) as { jobs: { id: string }[] }).jobs[0]!.id)!;
  const jobRow = async () =>
    (
      await db.pool.query<{ state: string; attempt: number; external_id: string | null; uuid: string; info: string | null; metrics: Record<string, unknown> }>(
        'SELECT state, attempt, external_id, uuid, info, metrics FROM jobs WHERE id = $1',
        [jobId],
      )
    ).rows[0]!;

  // Attempt 1 runs in worker A's process and its tool has started.
  const runningBy = Date.now() + 90_000;
  for (;;) {
    const row = await jobRow();
    const started = existsSync(runsFile) && readFileSync(runsFile, 'utf8').trim().split('\n').length === 1;
    if (row.state === 'running' && row.external_id && started) {
      expect(row.attempt).toBe(1);
      expect(parseInProcessId(row.external_id).pid).toBe(workerA.child!.pid);
      break;
    }
    if (!workerA.running || !api.running) throw new Error(`a Nebula process exited:\n${workerA.output}\n${api.output}`);
    if (Date.now() > runningBy) throw new Error(`attempt 1 never ran: ${JSON.stringify(row)}\n${workerA.output}`);
    await sleep(50);
  }

  await workerA.kill('SIGKILL');
  const workerB = new NebulaProcess(['serve', '--role', 'worker'], env).start();
  processes.push(workerB);

  const doneBy = Date.now() + 120_000;
  let row = await jobRow();
  while (!['ok', 'error', 'deleted'].includes(row.state)) {
    if (Date.now() > doneBy) throw new Error(`job not finished: ${JSON.stringify(row)}\n${workerB.output}`);
    if (!workerB.running) throw new Error(`worker B exited:\n${workerB.output}`);
    await sleep(200);
    row = await jobRow();
  }
  expect(row, `job info: ${row.info}`).toMatchObject({ state: 'ok', attempt: 2 });
  expect(parseInProcessId(row.external_id!).pid).toBe(workerB.child!.pid);
  expect(row.metrics.attempt).toBe(2);

  // Exactly one report, of attempt 2, applied.
  const { rows: reports } = await db.pool.query<{ attempt: number }>('SELECT attempt FROM job_reports WHERE job_id = $1', [jobId]);
  expect(reports).toEqual([{ attempt: 2 }]);

  // The output points at attempt 2's object, and no object of attempt 1 was ever written.
  const { rows: outputs } = await db.pool.query<{ state: string; object_key: string }>(
    `SELECT d.state, d.object_key FROM job_outputs jo JOIN hdas h ON h.id = jo.hda_id JOIN datasets d ON d.id = h.dataset_id
      WHERE jo.job_id = $1`,
    [jobId],
  );
  expect(outputs).toHaveLength(1);
  expect(outputs[0]!.state).toBe('ok');
  const prefix = `jobs/${row.uuid.slice(0, 2)}/${row.uuid}/`;
  expect(outputs[0]!.object_key.startsWith(`${prefix}2/`)).toBe(true);
  const written: string[] = [];
  for await (const o of store.list(prefix)) written.push(o.key);
  expect(written).toEqual([outputs[0]!.object_key]);
  const chunks: Buffer[] = [];
  for await (const c of await store.get(outputs[0]!.object_key)) chunks.push(c as Buffer);
  expect(Buffer.concat(chunks).toString()).toBe('result of one\n');
  // The tool started twice: once per attempt.
  expect(readFileSync(runsFile, 'utf8').trim().split('\n')).toEqual(['start', 'start']);
});
