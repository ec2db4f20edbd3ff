/**
 * Runs one s3rver on 127.0.0.1 with a free port and prints `{"port":N}` on stdout once it
 * listens. It lives in its own process because s3rver's ListObjectsV2 continuation tokens
 * use DES, which Node 20 only allows with --openssl-legacy-provider at process start.
 *
 * argv: <data directory> <bucket> [port] (0 or absent: any free port)
 */
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';

/** The slice of s3rver's (untyped) API this script uses. */
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass;

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
