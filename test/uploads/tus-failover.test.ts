import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHistory } from '../../src/model/histories.ts';
import { getHda } from '../../src/model/datasets.ts';
import { S3ObjectStore } from '../../src/objectstore/s3.ts';
import { IdCodec } from '../../src/util/ids.ts';
import { freshDatabase, type TestDatabase } from '../helpers/db.ts';
import { freePort, NebulaProcess } from '../helpers/processes.ts';
import { startS3rver, type S3rverHandle } from '../helpers/s3rver.ts';

/**
 * A tus upload started on one API replica continues on another after the first is SIGKILLed in
 * the middle of a PATCH: the session lives in PostgreSQL, its bytes in S3 (s3rver).
 */
const ADMIN_KEY = 'tus-failover-admin-key-0123456789';
const ID_SECRET = 'tus-failover-id-secret';
let db: TestDatabase;
let s3: S3rverHandle;
let home: string;
const processes: NebulaProcess[] = [];

beforeAll(async () => {
  db = await freshDatabase();
  s3 = await startS3rver();
  home = mkdtempSync(path.join(os.tmpdir(), 'nebula-tus-'));
}, 60_000);
afterAll(async () => {
  await Promise.all(processes.map((p) => p.kill()));
  await s3?.stop();
  await db?.drop();
  rmSync(home, { recursive: true, force: true });
});

function env(port: number): Record<string, string> {
  const c = s3.s3Config('failover');
  return {
    DATABASE_URL: db.url,
    NEBULA_HOME: home,
    NEBULA_ADMIN_KEY: ADMIN_KEY,
    NEBULA_ID_SECRET: ID_SECRET,
    NEBULA_PORT: String(port),
    NEBULA_LOG_LEVEL: 'warn',
    NEBULA_CACHE_MAX_BYTES: '0',
    NEBULA_OBJECT_STORE: 's3',
    NEBULA_S3_BUCKET: c.bucket,
    NEBULA_S3_ENDPOINT: c.endpoint,
    NEBULA_S3_ACCESS_KEY_ID: c.accessKeyId,
    NEBULA_S3_SECRET_ACCESS_KEY: c.secretAccessKey,
    NEBULA_S3_FORCE_PATH_STYLE: 'true',
    NEBULA_S3_PREFIX: c.prefix,
    NEBULA_TASK_POLL_MS: '100',
  };
}

const tus = { 'x-api-key': ADMIN_KEY, 'tus-resumable': '1.0.0' };

async function patch(base: string, location: string, offset: number, body: Buffer) {
  return fetch(base + location, {
    method: 'PATCH',
    headers: { ...tus, 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' },
    body: new Uint8Array(body),
  });
}

it('resumes a tus upload on a second replica after the first is killed mid-PATCH', { timeout: 120_000 }, async () => {
  const [portA, portB] = [await freePort(), await freePort()];
  const a = new NebulaProcess(['serve', '--role', 'api'], env(portA)).start();
  const b = new NebulaProcess(['serve', '--role', 'api'], env(portB)).start();
  const worker = new NebulaProcess(['serve', '--role', 'worker'], env(await freePort())).start();
  processes.push(a, b, worker);
  const [baseA, baseB] = [`http://127.0.0.1:${portA}`, `http://127.0.0.1:${portB}`];
  await a.waitForHttp(`${baseA}/readyz`);
  await b.waitForHttp(`${baseB}/readyz`);

  const data = randomBytes(3 * 1024 * 1024);
  const created = await fetch(`${baseA}/api/upload/resumable_upload`, { method: 'POST', headers: { ...tus, 'upload-length': String(data.length) } });
  expect(created.status).toBe(201);
  const location = created.headers.get('location')!;
  const chunk = 1024 * 1024;
  const first = await patch(baseA, location, 0, data.subarray(0, chunk));
  expect(first.status).toBe(204);

  // Second chunk: send half of it to A, then kill A while it waits for the rest.
  await new Promise<void>((resolve) => {
    const req = request(baseA + location, {
      method: 'PATCH',
      headers: { ...tus, 'upload-offset': String(chunk), 'content-type': 'application/offset+octet-stream', 'content-length': String(chunk) },
    });
    req.on('error', () => resolve());
    req.on('response', () => resolve());
    req.write(data.subarray(chunk, chunk + chunk / 2), async () => {
      await new Promise((r) => setTimeout(r, 200));
      await a.kill('SIGKILL');
    });
  });

  // B knows the session and the offset of what was fully stored: only the first chunk.
  const head = await fetch(baseB + location, { method: 'HEAD', headers: tus });
  expect(head.status).toBe(200);
  let offset = Number(head.headers.get('upload-offset'));
  expect(offset).toBe(chunk);
  while (offset < data.length) {
    const res = await patch(baseB, location, offset, data.subarray(offset, offset + chunk));
    expect(res.status).toBe(204);
    offset = Number(res.headers.get('upload-offset'));
  }

  const { rows } = await db.pool.query<{ id: number }>('SELECT id FROM users WHERE is_admin LIMIT 1');
  const history = await createHistory(db.pool, rows[0].id, 'failover');
  const ids = new IdCodec(ID_SECRET);
  const res = await fetch(`${baseB}/api/tools/fetch`, {
    method: 'POST',
    headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' },
    body: JSON.stringify({
      history_id: ids.encode(history.id),
      targets: [{ destination: { type: 'hdas' }, elements: [{ src: 'files', ext: 'auto', to_posix_lines: true }] }],
      'files_0|file_data': { session_id: location.split('/').at(-1), name: 'random.bin' },
    }),
  });
  const body = (await res.json()) as { outputs: { id: string }[] };
  expect(res.status, JSON.stringify(body)).toBe(200);
  const hdaId = ids.decode(body.outputs[0].id)!;
  const deadline = Date.now() + 60_000;
  let hda = await getHda(db.pool, hdaId);
  while (hda && !['ok', 'error'].includes(hda.state) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    hda = await getHda(db.pool, hdaId);
  }
  expect(hda?.state, worker.output).toBe('ok');
  expect(hda?.file_size).toBe(data.length);
  const store = new S3ObjectStore(s3.s3Config('failover'));
  const chunks: Buffer[] = [];
  for await (const c of await store.get(hda!.object_key!)) chunks.push(c as Buffer);
  expect(Buffer.concat(chunks).equals(data)).toBe(true);
  await store.close?.();
});
