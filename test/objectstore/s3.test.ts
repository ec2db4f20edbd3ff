import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ObjectStoreUnavailableError,
  S3ObjectStore,
  checkObjectStore,
  type S3Config,
} from '../../src/objectstore/index.ts';
import { attachmentDisposition } from '../../src/objectstore/s3.ts';
import { startS3rver, type S3rverHandle } from '../helpers/s3rver.ts';
import { patternStream, readAll, sha256Of } from './bytes.ts';
import { objectStoreContract } from './contract.ts';

let s3rver: S3rverHandle;
beforeAll(async () => {
  s3rver = await startS3rver();
});
afterAll(async () => {
  await s3rver?.stop();
});

objectStoreContract('s3 (s3rver)', async () => {
  const store = new S3ObjectStore(s3rver.s3Config('contract'));
  return { store, cleanup: () => store.close() };
});

/** A port on 127.0.0.1 that nothing listens on: bind one, then let it go. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return address.port;
}

let recorders = 0;

/** Records the name of every command the client sends, through the SDK's own middleware. */
function recordCommands(store: S3ObjectStore): string[] {
  const seen: string[] = [];
  store.client.middlewareStack.add(
    (next, context) => async (args) => {
      seen.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name: `recordCommandsForTest${++recorders}` },
  );
  return seen;
}

describe('S3ObjectStore specifics (s3rver)', () => {
  let store: S3ObjectStore;
  beforeAll(() => {
    store = new S3ObjectStore(s3rver.s3Config('specifics'), { partSize: 5 * 1024 * 1024, queueSize: 2 });
  });
  afterAll(async () => {
    await store.close();
  });

  it('uploads a stream larger than one part as a multipart upload', async () => {
    const seen = recordCommands(store);
    const size = 12 * 1024 * 1024 + 3;
    const put = await store.put('multipart/big', patternStream(size, 11));
    expect(put.size).toBe(size);
    expect(seen).toContain('CreateMultipartUploadCommand');
    expect(seen.filter((name) => name === 'UploadPartCommand').length).toBe(3);
    expect(seen).toContain('CompleteMultipartUploadCommand');
    expect(await sha256Of(await store.get('multipart/big'))).toEqual(await sha256Of(patternStream(size, 11)));
  });

  it('pages through more than 1000 keys', async () => {
    const count = 1050;
    const keys = Array.from({ length: count }, (_, i) => `paging/k${String(i).padStart(5, '0')}`);
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(keys.slice(i, i + 50).map((key) => store.put(key, 'p')));
    }
    const seen = recordCommands(store);
    const listed: string[] = [];
    for await (const item of store.list('paging/')) listed.push(item.key);
    expect(listed.sort()).toEqual(keys);
    expect(seen.filter((name) => name === 'ListObjectsV2Command').length).toBeGreaterThan(1);
  });

  it('keeps stores with different prefixes apart in one bucket', async () => {
    const other = new S3ObjectStore(s3rver.s3Config('elsewhere'));
    await other.put('shared/name', 'theirs');
    await store.put('shared/name', 'ours');
    expect((await readAll(await store.get('shared/name'))).toString()).toBe('ours');
    expect((await readAll(await other.get('shared/name'))).toString()).toBe('theirs');
    await other.close();
  });

  it('presigns a GET that fetch() can read, with a download name', async () => {
    await store.put('presigned/report', 'presigned bytes', { contentType: 'text/plain' });
    const url = await store.presignGet('presigned/report', { expiresSeconds: 60, filename: 'my "report".txt' });
    expect(url).toContain('X-Amz-Signature=');
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('presigned bytes');
    expect(response.headers.get('content-disposition')).toBe(attachmentDisposition('my "report".txt'));
  });

  it('presigns a PUT that fetch() can write', async () => {
    const url = await store.presignPut('presigned/upload', { expiresSeconds: 60, contentType: 'text/plain' });
    const response = await fetch(url, { method: 'PUT', body: 'sent by url', headers: { 'content-type': 'text/plain' } });
    expect(response.status).toBe(200);
    expect((await readAll(await store.get('presigned/upload'))).toString()).toBe('sent by url');
  });

  it('rejects presign expiries outside 1 s .. 7 days', async () => {
    await expect(store.presignGet('presigned/report', { expiresSeconds: 0 })).rejects.toThrow(/expiresSeconds/);
    await expect(store.presignGet('presigned/report', { expiresSeconds: 8 * 24 * 3600 })).rejects.toThrow(
      /expiresSeconds/,
    );
  });

  it('passes the health check', async () => {
    await expect(checkObjectStore(store)).resolves.toBeUndefined();
  });

  it('reports a missing bucket as unavailable, naming the bucket', async () => {
    const missing = new S3ObjectStore({ ...s3rver.s3Config(), bucket: 'no-such-bucket' });
    const error = await checkObjectStore(missing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ObjectStoreUnavailableError);
    expect(String((error as Error).message)).toContain('no-such-bucket');
    await missing.close();
  });
});

describe('S3ObjectStore against an unreachable endpoint', () => {
  let config: S3Config;
  beforeAll(async () => {
    config = { ...s3rver.s3Config(), endpoint: `http://127.0.0.1:${await closedPort()}` };
  });

  it('gives ObjectStoreUnavailableError naming the endpoint, on every operation', async () => {
    const store = new S3ObjectStore(config, { maxAttempts: 1 });
    const attempts: (() => Promise<unknown>)[] = [
      () => store.put('down/x', 'x'),
      () => store.get('down/x'),
      () => store.head('down/x'),
      () => store.delete('down/x'),
      async () => {
        for await (const _ of store.list('down/')) void _;
      },
    ];
    for (const attempt of attempts) {
      const error = await attempt().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ObjectStoreUnavailableError);
      expect((error as Error).message).toContain(config.endpoint);
    }
    await store.close();
  });

  it('fails the start-up check with the endpoint in the message, after the default retries', async () => {
    const store = new S3ObjectStore(config);
    await expect(checkObjectStore(store)).rejects.toThrow(config.endpoint as string);
    await expect(checkObjectStore(store)).rejects.toBeInstanceOf(ObjectStoreUnavailableError);
    await store.close();
  });
});

describe('the test S3 server itself', () => {
  it('survives puts and deletes racing in one directory (health probes of processes starting together)', async () => {
    // Unpatched, s3rver removed the emptied `_health/` directory under a concurrent put and exited
    // (ENOENT on an unhandled write stream): it took the crash tests' starting processes with it.
    const stores = [0, 1, 2, 3].map(() => new S3ObjectStore(s3rver.s3Config('race'), { maxAttempts: 1 }));
    const before = s3rver.unexpectedExits();
    const failures: string[] = [];
    await Promise.all(
      stores.map(async (store) => {
        for (let i = 0; i < 150; i++) {
          const key = `_health/${randomUUID()}`;
          await store.put(key, 'probe').then(() => store.delete(key)).catch((error: unknown) => failures.push(String(error)));
        }
      }),
    );
    await Promise.all(stores.map((store) => store.close()));
    expect(failures.slice(0, 3)).toEqual([]);
    expect(s3rver.unexpectedExits() - before).toBe(0);
  }, 120_000);
});
