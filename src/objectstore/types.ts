import type { Readable } from 'node:stream';

/** What `put` accepts: a stream is consumed as it arrives, never buffered whole. */
export type ObjectBody = Readable | Buffer | Uint8Array | string;

export interface PutOptions {
  contentType?: string;
  /** Expected byte count; when given, a body of any other length fails the put. */
  size?: number;
}

export interface PutResult {
  size: number;
  etag?: string;
}

/** Inclusive byte range, as in HTTP `Range: bytes=start-end`; `end` past the object is clamped. */
export interface ByteRange {
  start: number;
  end?: number;
}

export interface ObjectInfo {
  size: number;
  lastModified: Date;
  etag?: string;
}

export interface ListedObject {
  key: string;
  size: number;
}

export interface PresignGetOptions {
  expiresSeconds: number;
  /** Offered to the browser as the download name (Content-Disposition: attachment). */
  filename?: string;
}

export interface PresignPutOptions {
  expiresSeconds: number;
  contentType?: string;
}

/**
 * The one interface every backend implements. Keys are made by the server (see keys.ts) and
 * are validated by every method; objects are immutable by convention once written.
 */
export interface ObjectStore {
  /** A short human description for logs and errors, e.g. `file:/data/objects`. */
  readonly description: string;
  put(key: string, body: ObjectBody, options?: PutOptions): Promise<PutResult>;
  /** Rejects with ObjectNotFoundError before any byte flows when the object is missing. */
  get(key: string, range?: ByteRange): Promise<Readable>;
  head(key: string): Promise<ObjectInfo | null>;
  /** Idempotent: deleting a missing object succeeds. */
  delete(key: string): Promise<void>;
  /** Every object whose key starts with `prefix`, in no particular order. */
  list(prefix: string): AsyncIterable<ListedObject>;
  /** Only where the backend can hand out URLs (s3). */
  presignGet?(key: string, options: PresignGetOptions): Promise<string>;
  presignPut?(key: string, options: PresignPutOptions): Promise<string>;
  close?(): Promise<void>;
}

export class ObjectStoreError extends Error {
  override name = 'ObjectStoreError';
}

export class ObjectNotFoundError extends ObjectStoreError {
  override name = 'ObjectNotFoundError';
  constructor(readonly key: string) {
    super(`object not found: ${key}`);
  }
}

export class InvalidKeyError extends ObjectStoreError {
  override name = 'InvalidKeyError';
  constructor(
    readonly key: unknown,
    reason: string,
  ) {
    super(`invalid object key ${JSON.stringify(key)}: ${reason}`);
  }
}

/** The range starts at or beyond the end of the object (HTTP 416). */
export class InvalidRangeError extends ObjectStoreError {
  override name = 'InvalidRangeError';
  constructor(
    readonly key: string,
    readonly range: ByteRange,
    readonly size?: number,
  ) {
    super(
      `range ${range.start}-${range.end ?? ''} is not satisfiable for ${key}` +
        (size === undefined ? '' : ` (size ${size})`),
    );
  }
}

/** The body's length differs from the `size` the caller promised: the put did not happen. */
export class SizeMismatchError extends ObjectStoreError {
  override name = 'SizeMismatchError';
  constructor(
    readonly key: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`put ${key}: expected ${expected} bytes, received ${actual}`);
  }
}

/** The backend cannot be reached or refuses us; `where` names the endpoint or directory. */
export class ObjectStoreUnavailableError extends ObjectStoreError {
  override name = 'ObjectStoreUnavailableError';
  constructor(
    readonly where: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`object store ${where} is unavailable: ${detail}`, options);
  }
}
