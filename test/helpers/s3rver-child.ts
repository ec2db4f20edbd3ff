/**
 * Runs one s3rver on 127.0.0.1 with a free port and prints `{"port":N}` on stdout once it
 * listens. It lives in its own process because s3rver's ListObjectsV2 continuation tokens
 * use DES, which Node 20 only allows with --openssl-legacy-provider at process start.
 *
 * argv: <data directory> <bucket> [port] (0 or absent: any free port)
 */
import { unlink } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';

/** The slice of s3rver's (untyped) API this script uses. */
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;
const require = createRequire(import.meta.url);
const S3rver = require('s3rver') as S3rverClass;

/**
 * s3rver's file store removes a key's directories once a delete leaves them empty. A put into the
 * same directory at that moment (between its mkdir and its open) fails with ENOENT on a write
 * stream that has no error handler, and the whole server exits: concurrent Nebula processes each
 * writing and deleting a `_health/<uuid>` probe at start were enough (test/objectstore/s3.test.ts
 * reproduces it). Here a delete removes the key's files only; empty directories cost nothing and
 * never show in a listing (s3rver lists keys from files).
 */
interface FilesystemStorePrototype {
  getResourcePath(bucket: string, key: string, resource: string): string;
  deleteObject(bucket: string, key: string): Promise<void>;
}
const FilesystemStore = require('s3rver/lib/stores/filesystem') as { prototype: FilesystemStorePrototype };
FilesystemStore.prototype.deleteObject = async function deleteObjectKeepingDirectories(this: FilesystemStorePrototype, bucket, key) {
  await Promise.all(
    ['object', 'object.md5', 'metadata.json'].map((resource) =>
      unlink(this.getResourcePath(bucket, key, resource)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      }),
    ),
  );
};

const [directory, bucket, portArgument] = process.argv.slice(2);
if (!directory || !bucket) {
  process.stderr.write('usage: s3rver-child.ts <directory> <bucket>\n');
  process.exit(2);
}

const server = new S3rver({
  address: '127.0.0.1',
  port: Number(portArgument ?? 0),
  directory,
  silent: true,
  configureBuckets: [{ name: bucket, configs: [] }],
});
const { port } = await server.run();
process.stdout.write(`${JSON.stringify({ port })}\n`);

// The parent closes our stdin when it is done (or dies): exit then, never linger.
process.stdin.resume();
process.stdin.on('end', () => {
  server.close().finally(() => process.exit(0));
});
process.on('SIGTERM', () => {
  server.close().finally(() => process.exit(0));
});
