import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { pipeline, type Readable } from 'node:stream';
import type { Config } from '../config/schema.ts';
import { ByteCounter, assertRangeShape, bodyToStream } from './body.ts';
import { assertValidKey, assertValidPrefix, isValidKey } from './keys.ts';
import {
  InvalidRangeError,
  ObjectNotFoundError,
  ObjectStoreError,
  ObjectStoreUnavailableError,
  SizeMismatchError,
  type ByteRange,
  type ListedObject,
  type ObjectBody,
  type ObjectInfo,
  type ObjectStore,
  type PresignGetOptions,
  type PresignPutOptions,
  type PutOptions,
  type PutResult,
} from './types.ts';

export type S3Config = NonNullable<Config['objectStore']['s3']>;

export interface S3Tuning {
  /** Multipart part size; S3 needs at least 5 MiB. Memory per upload ≈ partSize × queueSize. */
  partSize?: number;
  /** Parts uploaded at once per put. */
  queueSize?: number;
  /** Attempts per request, including the first. */
  maxAttempts?: number;
  connectionTimeoutMs?: number;
  /**
   * A socket idle this long is dropped, so a server that stops answering cannot hang a request
   * forever. Generous, because a reader may legitimately pause a download stream.
   */
  socketTimeoutMs?: number;
}

const MIB = 1024 * 1024;
/** AWS's ceiling for a SigV4 presigned URL. */
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);
const ACCESS_ERROR_NAMES = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
]);

interface AwsLikeError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/**
 * Objects in an S3 bucket (AWS, MinIO, Ceph, s3rver) through the AWS SDK v3. Puts stream
 * through lib-storage's multipart Upload, so memory stays at partSize × queueSize whatever
 * the object size. Keys are stored under the configured prefix.
 */
export class S3ObjectStore implements ObjectStore {
  /** Exposed so tests and metrics can observe requests (middleware), not for direct use. */
  readonly client: S3Client;
  readonly description: string;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly where: string;
  private readonly partSize: number;
  private readonly queueSize: number;

  constructor(config: S3Config, tuning: S3Tuning = {}) {
    this.bucket = config.bucket;
    this.prefix = normalizePrefix(config.prefix);
    this.where = config.endpoint ? `${config.endpoint} (bucket ${config.bucket})` : `s3://${config.bucket}`;
    this.description = `s3:${config.endpoint ?? 'aws'}/${config.bucket}/${this.prefix}`;
    this.partSize = Math.max(tuning.partSize ?? 8 * MIB, 5 * MIB);
    this.queueSize = Math.max(tuning.queueSize ?? 2, 1);
    const credentials =
      config.accessKeyId && config.secretAccessKey
        ? { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey }
        : undefined; // the SDK's default chain: env, web identity (IRSA), instance profile
    // S3-compatible servers (MinIO, Ceph, s3rver) do not all accept the SDK's newer default
    // of checksum trailers on every upload; ask for checksums only where AWS requires them.
    const checksums = config.endpoint ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED';
    this.client = new S3Client({
      region: config.region,
      endpoint: config.endpoint,
      forcePathStyle: config.forcePathStyle,
      credentials,
      maxAttempts: tuning.maxAttempts ?? 3,
      requestChecksumCalculation: checksums,
      responseChecksumValidation: checksums,
      requestHandler: {
        connectionTimeout: tuning.connectionTimeoutMs ?? 5000,
        socketTimeout: tuning.socketTimeoutMs ?? 120_000,
      },
    });
  }

  private fullKey(key: string): string {
    assertValidKey(key);
    return this.prefix + key;
  }

  async put(key: string, body: ObjectBody, options: PutOptions = {}): Promise<PutResult> {
    const Key = this.fullKey(key);
    const counter = new ByteCounter();
    // pipeline() carries a source error into the counter, and so into the Upload.
    const counted = pipeline(bodyToStream(body), counter, () => {});
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key, Body: counted, ContentType: options.contentType },
      partSize: this.partSize,
      queueSize: this.queueSize,
      leavePartsOnError: false,
    });
    let etag: string | undefined;
    try {
      const result = await upload.done();
      etag = result.ETag;
    } catch (error) {
      counted.destroy();
      throw this.mapError(error, key);
    }
    if (options.size !== undefined && options.size !== counter.bytes) {
      // Objects are immutable by convention, so removing what we just wrote is safe.
      await this.delete(key);
      throw new SizeMismatchError(key, options.size, counter.bytes);
    }
    return { size: counter.bytes, etag: etag ? unquote(etag) : undefined };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const Key = this.fullKey(key);
    if (range) assertRangeShape(key, range);
    try {
      const response = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key,
          Range: range ? `bytes=${range.start}-${range.end ?? ''}` : undefined,
        }),
      );
      if (!response.Body) throw new ObjectStoreError(`empty response body for ${key}`);
      // In Node the SDK's body is an http.IncomingMessage, i.e. a Readable.
      return response.Body as Readable;
    } catch (error) {
      throw this.mapError(error, key, range);
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const Key = this.fullKey(key);
    try {
      const response = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key }));
      return {
        size: response.ContentLength ?? 0,
        lastModified: response.LastModified ?? new Date(0),
        etag: response.ETag ? unquote(response.ETag) : undefined,
      };
    } catch (error) {
      const mapped = this.mapError(error, key);
      if (mapped instanceof ObjectNotFoundError) return null;
      throw mapped;
    }
  }

  async delete(key: string): Promise<void> {
    const Key = this.fullKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key }));
    } catch (error) {
      const mapped = this.mapError(error, key);
      if (!(mapped instanceof ObjectNotFoundError)) throw mapped;
    }
  }

  async *list(prefix: string): AsyncIterable<ListedObject> {
    assertValidPrefix(prefix);
    let ContinuationToken: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix + prefix, ContinuationToken }),
        );
      } catch (error) {
        throw this.mapError(error, prefix);
      }
      for (const item of page.Contents ?? []) {
        const key = item.Key?.slice(this.prefix.length);
        // Skip anything a person or another program put in the bucket by hand.
        if (isValidKey(key)) yield { key, size: item.Size ?? 0 };
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  async presignGet(key: string, options: PresignGetOptions): Promise<string> {
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: this.fullKey(key),
      ResponseContentDisposition:
        options.filename === undefined ? undefined : attachmentDisposition(options.filename),
    });
    return getSignedUrl(this.client, command, { expiresIn: checkExpiry(options.expiresSeconds) });
  }

  async presignPut(key: string, options: PresignPutOptions): Promise<string> {
    const command = new PutObjectCommand({
      Bucket: this.bucket,
      Key: this.fullKey(key),
      ContentType: options.contentType,
    });
    return getSignedUrl(this.client, command, { expiresIn: checkExpiry(options.expiresSeconds) });
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private mapError(error: unknown, key: string, range?: ByteRange): unknown {
    if (error instanceof ObjectStoreError) return error;
    const e = (error ?? {}) as AwsLikeError;
    const status = e.$metadata?.httpStatusCode;
    if (e.name === 'NoSuchBucket') {
      return new ObjectStoreUnavailableError(this.where, `bucket ${this.bucket} does not exist`, { cause: error });
    }
    if (e.name === 'NoSuchKey' || e.name === 'NotFound' || status === 404) return new ObjectNotFoundError(key);
    if ((e.name === 'InvalidRange' || status === 416) && range) return new InvalidRangeError(key, range);
    if (ACCESS_ERROR_NAMES.has(e.name ?? '') || status === 403) {
      return new ObjectStoreUnavailableError(this.where, `access denied (${e.name}): check the credentials`, {
        cause: error,
      });
    }
    if (isNetworkError(e) || (status !== undefined && status >= 500)) {
      return new ObjectStoreUnavailableError(this.where, `${e.code ?? e.name ?? 'error'}: ${e.message ?? ''}`, {
        cause: error,
      });
    }
    return error;
  }
}

function isNetworkError(e: AwsLikeError): boolean {
  if (NETWORK_ERROR_CODES.has(e.code ?? '') || NETWORK_ERROR_CODES.has(e.name ?? '')) return true;
  // The SDK reports connection timeouts as TimeoutError, with no HTTP response at all.
  return e.name === 'TimeoutError' || e.name === 'RequestTimeout';
}

function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  return trimmed ? `${trimmed}/` : '';
}

function unquote(etag: string): string {
  return etag.replace(/^"|"$/g, '');
}

function checkExpiry(seconds: number): number {
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_PRESIGN_SECONDS) {
    throw new ObjectStoreError(`expiresSeconds must be an integer from 1 to ${MAX_PRESIGN_SECONDS}`);
  }
  return seconds;
}

/**
 * `attachment` with the name twice: a quoted ASCII fallback (quotes, backslashes and
 * control characters replaced) and the exact name percent-encoded per RFC 6266/5987.
 */
export function attachmentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_') || 'download';
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
