import { randomUUID } from 'node:crypto';
import { InvalidKeyError } from './types.ts';

/**
 * Object keys are made by the server from ids it generated, never from a user's path or file
 * name (DESIGN rule 9). The pattern is strict on purpose: lower-case segments separated by
 * single slashes, no segment starting with a dot (so no `.` or `..`), nothing absolute. The
 * first segment may start with `_` for the server's own namespaces such as `_health/`.
 */
const KEY_PATTERN = /^[a-z0-9_][a-z0-9_-]*(\/[a-z0-9][a-z0-9._-]*)*$/;
/** A list prefix is a key's beginning: the same alphabet, and it may end with a slash. */
const PREFIX_PATTERN = /^([a-z0-9_][a-z0-9_-]*(\/[a-z0-9][a-z0-9._-]*)*\/?)?$/;
export const MAX_KEY_LENGTH = 512;

export function assertValidKey(key: unknown): asserts key is string {
  if (typeof key !== 'string') throw new InvalidKeyError(key, 'must be a string');
  if (key.length === 0) throw new InvalidKeyError(key, 'must not be empty');
  if (key.length > MAX_KEY_LENGTH) throw new InvalidKeyError(key, `longer than ${MAX_KEY_LENGTH}`);
  if (!KEY_PATTERN.test(key)) {
    throw new InvalidKeyError(
      key,
      'keys are server-made: lower-case [a-z0-9_-] segments joined by "/", segments after the ' +
        'first may contain "." but not start with it',
    );
  }
}

export function assertValidPrefix(prefix: unknown): asserts prefix is string {
  if (typeof prefix !== 'string') throw new InvalidKeyError(prefix, 'prefix must be a string');
  if (prefix.length > MAX_KEY_LENGTH) throw new InvalidKeyError(prefix, 'prefix too long');
  if (!PREFIX_PATTERN.test(prefix) || prefix.includes('//')) {
    throw new InvalidKeyError(prefix, 'not a valid key prefix');
  }
}

export function isValidKey(key: unknown): key is string {
  try {
    assertValidKey(key);
    return true;
  } catch {
    return false;
  }
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function assertUuid(id: string): void {
  if (!UUID_PATTERN.test(id)) throw new InvalidKeyError(id, 'expected a lower-case UUID');
}

const KIND_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;

function assertKind(kind: string): void {
  if (!KIND_PATTERN.test(kind)) throw new InvalidKeyError(kind, 'kind must match [a-z][a-z0-9-]{0,31}');
}

/**
 * `datasets/ab/<uuid>`: the two-character fan-out keeps any one directory of the file backend
 * (and any one S3 listing page under a prefix) small.
 */
export function datasetKey(uuid: string): string {
  assertUuid(uuid);
  return `datasets/${uuid.slice(0, 2)}/${uuid}`;
}

/** Prefix for a dataset's extra files (Galaxy's `dataset_N_files`); never collides with datasetKey. */
export function datasetExtraFilesPrefix(uuid: string): string {
  assertUuid(uuid);
  return `datasets/${uuid.slice(0, 2)}/${uuid}_files/`;
}

/** A fresh key for any other kind of object, e.g. `newObjectKey('uploads')` → `uploads/3f/3f…`. */
export function newObjectKey(kind: string): string {
  assertKind(kind);
  const id = randomUUID();
  return `${kind}/${id.slice(0, 2)}/${id}`;
}

/**
 * Where attempt `attempt` of job `jobUuid` writes its output number `index`. Attempt-scoped, so
 * two attempts of one job never write the same object and only the accepted one is kept.
 */
export function jobOutputKey(jobUuid: string, attempt: number, index: number): string {
  assertUuid(jobUuid);
  if (!Number.isInteger(attempt) || attempt < 1 || !Number.isInteger(index) || index < 0) {
    throw new InvalidKeyError(`${attempt}/${index}`, 'attempt must be a positive integer and index a non-negative one');
  }
  return `jobs/${jobUuid.slice(0, 2)}/${jobUuid}/${attempt}/out-${index}`;
}

/** Prefix under which attempt `attempt` of a job puts datasets found by `<discover_datasets>`. */
export function jobDiscoveredPrefix(jobUuid: string, attempt: number): string {
  assertUuid(jobUuid);
  if (!Number.isInteger(attempt) || attempt < 1) throw new InvalidKeyError(String(attempt), 'attempt must be a positive integer');
  return `jobs/${jobUuid.slice(0, 2)}/${jobUuid}/${attempt}/discovered/`;
}

/** Everything every attempt of a job wrote lies under this prefix, one `<attempt>/` folder each. */
export function jobObjectsPrefix(jobUuid: string): string {
  assertUuid(jobUuid);
  return `jobs/${jobUuid.slice(0, 2)}/${jobUuid}/`;
}
