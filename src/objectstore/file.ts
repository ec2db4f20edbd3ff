import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, opendir, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ByteCounter, bodyToStream, resolveRange } from './body.ts';
import { assertValidKey, assertValidPrefix } from './keys.ts';
import {
  InvalidKeyError,
  ObjectNotFoundError,
  ObjectStoreUnavailableError,
  SizeMismatchError,
  type ByteRange,
  type ListedObject,
  type ObjectBody,
  type ObjectInfo,
  type ObjectStore,
  type PutOptions,
  type PutResult,
} from './types.ts';

/** Key segments never start with a dot, so this directory can never collide with an object. */
const TEMP_DIR = '.tmp';

function errno(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * Objects as plain files under one root directory, `<root>/<key>`. A put writes a temp file,
 * fsyncs it and renames it into place, so a reader sees the old object or the whole new one,
 * never a half-written file, and a killed writer leaves only a temp file behind.
 */
export class FileObjectStore implements ObjectStore {
  readonly root: string;
  readonly description: string;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.description = `file:${this.root}`;
  }

  private pathOf(key: string): string {
    assertValidKey(key);
    return path.join(this.root, ...key.split('/'));
  }

  async put(key: string, body: ObjectBody, options: PutOptions = {}): Promise<PutResult> {
    const target = this.pathOf(key);
    const tempDir = path.join(this.root, TEMP_DIR);
    const temp = path.join(tempDir, `${randomBytes(12).toString('hex')}.part`);
    try {
      await mkdir(tempDir, { recursive: true });
      await mkdir(path.dirname(target), { recursive: true });
    } catch (error) {
      throw this.mapError(error, key);
    }
    const counter = new ByteCounter();
    try {
      const out = createWriteStream(temp, { flags: 'wx' });
      await pipeline(bodyToStream(body), counter, out);
      if (options.size !== undefined && options.size !== counter.bytes) {
        throw new SizeMismatchError(key, options.size, counter.bytes);
      }
      await fsyncFile(temp);
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      // ENOENT here means our own directories vanished under us, not a missing object.
      if (errno(error) === 'ENOENT') {
        throw new ObjectStoreUnavailableError(this.root, `directory vanished while writing ${key}`, {
          cause: error,
        });
      }
      throw this.mapError(error, key);
    }
    return { size: counter.bytes };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const file = this.pathOf(key);
    let handle: FileHandle;
    try {
      handle = await open(file, 'r');
    } catch (error) {
      throw this.mapError(error, key);
    }
    // The open handle, not the path, is read from: a rename or delete after this point does
    // not change what this reader sees.
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw new ObjectNotFoundError(key);
      if (!range) return handle.createReadStream();
      const { start, end } = resolveRange(key, range, info.size);
      return handle.createReadStream({ start, end });
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const file = this.pathOf(key);
    try {
      const info = await stat(file);
      if (!info.isFile()) return null;
      return { size: info.size, lastModified: info.mtime };
    } catch (error) {
      if (errno(error) === 'ENOENT' || errno(error) === 'ENOTDIR') return null;
      throw this.mapError(error, key);
    }
  }

  async delete(key: string): Promise<void> {
    const file = this.pathOf(key);
    try {
      await unlink(file);
    } catch (error) {
      if (errno(error) === 'ENOENT' || errno(error) === 'ENOTDIR') return;
      throw this.mapError(error, key);
    }
  }

  async *list(prefix: string): AsyncIterable<ListedObject> {
    assertValidPrefix(prefix);
    // Walk only the directory the prefix names; a partial last segment filters its entries.
    const slash = prefix.lastIndexOf('/');
    const dirKey = slash < 0 ? '' : prefix.slice(0, slash);
    const dir = path.join(this.root, ...(dirKey ? dirKey.split('/') : []));
    for await (const listed of this.walk(dir, dirKey)) {
      if (listed.key.startsWith(prefix)) yield listed;
    }
  }

  private async *walk(dir: string, dirKey: string): AsyncIterable<ListedObject> {
    let entries;
    try {
      entries = await opendir(dir);
    } catch (error) {
      if (errno(error) === 'ENOENT' || errno(error) === 'ENOTDIR') return;
      throw this.mapError(error, dirKey);
    }
    for await (const entry of entries) {
      if (entry.name.startsWith('.')) continue; // temp files and anything not ours
      const key = dirKey ? `${dirKey}/${entry.name}` : entry.name;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        yield* this.walk(full, key);
      } else if (entry.isFile()) {
        try {
          yield { key, size: (await stat(full)).size };
        } catch (error) {
          if (errno(error) !== 'ENOENT') throw this.mapError(error, key); // deleted mid-walk
        }
      }
    }
  }

  private mapError(error: unknown, key: string): unknown {
    const code = errno(error);
    if (code === 'ENOENT') return new ObjectNotFoundError(key);
    if (code === 'ENOTDIR' || code === 'EISDIR' || code === 'EEXIST') {
      // On a filesystem `a` and `a/b` cannot both exist; S3 allows it, keys should not need it.
      return new InvalidKeyError(key, 'conflicts with an existing key that is its prefix or extension');
    }
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOSPC' || code === 'EIO') {
      return new ObjectStoreUnavailableError(this.root, `${code} on ${key}`, { cause: error });
    }
    return error;
  }
}

async function fsyncFile(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
