/**
 * Streaming tar (POSIX ustar) for archives too large to hold in memory: history export writes
 * header, bytes, padding for one entry at a time; history import reads entries one at a time
 * from a byte stream. (src/toolstore/tar.ts is the small buffer-based cousin for tool bundles,
 * which need deterministic whole-buffer packing.)
 */
const BLOCK = 512;

export class TarFormatError extends Error {
  override name = 'TarFormatError';
}

// ---------------------------------------------------------------------------------------------
// Writing

export interface TarHeaderFields {
  /** Relative POSIX path made by the caller (never user input); at most 255 bytes. */
  path: string;
  size: number;
  /** 'file' (default) or 'directory'. */
  type?: 'file' | 'directory';
  mode?: number;
  /** Seconds since the epoch; 0 by default. */
  mtime?: number;
}

function writeField(header: Buffer, value: string, offset: number, length: number): void {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > length) throw new TarFormatError(`tar field too long: ${value}`);
  bytes.copy(header, offset);
}

function writeOctal(header: Buffer, value: number, offset: number, length: number): void {
  const digits = Math.floor(value).toString(8).padStart(length - 1, '0');
  if (digits.length > length - 1) throw new TarFormatError(`tar number too large: ${value}`);
  header.write(`${digits}\0`, offset, 'ascii');
}

function splitPath(path: string): { prefix: string; name: string } {
  if (Buffer.byteLength(path) <= 100) return { prefix: '', name: path };
  for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return { prefix, name };
  }
  throw new TarFormatError(`path too long for a ustar header: ${path}`);
}

/**
 * The size field: octal up to 8 GiB - 1 (what every tar reads); beyond that GNU's base-256 form
 * (high bit set, big-endian), which GNU tar, bsdtar and readTar below read. A genome reference
 * file can pass 8 GiB, and smaller sizes keep exactly the bytes they always had.
 */
function writeSize(header: Buffer, size: number): void {
  if (!Number.isSafeInteger(size) || size < 0) throw new TarFormatError(`bad tar entry size: ${size}`);
  if (size < 8 ** 11) {
    writeOctal(header, size, 124, 12);
    return;
  }
  let rest = size;
  for (let i = 11; i >= 1; i--) {
    header[124 + i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  header[124] = 0x80;
}

/** One 512-byte ustar header. */
export function tarHeader(fields: TarHeaderFields): Buffer {
  const h = Buffer.alloc(BLOCK);
  const directory = fields.type === 'directory';
  const { prefix, name } = splitPath(directory && !fields.path.endsWith('/') ? `${fields.path}/` : fields.path);
  writeField(h, name, 0, 100);
  writeOctal(h, (fields.mode ?? (directory ? 0o755 : 0o644)) & 0o7777, 100, 8);
  writeOctal(h, 0, 108, 8); // uid
  writeOctal(h, 0, 116, 8); // gid
  writeSize(h, directory ? 0 : fields.size);
  writeOctal(h, fields.mtime ?? 0, 136, 12);
  h.fill(0x20, 148, 156); // the checksum is computed with its own field as spaces
  h.write(directory ? '5' : '0', 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  writeField(h, prefix, 345, 155);
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

/** Zero bytes that round an entry of `size` bytes up to a whole block. */
export function tarPadding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/** The two zero blocks that end an archive. */
export const TAR_END = Buffer.alloc(BLOCK * 2);

// ---------------------------------------------------------------------------------------------
// Reading

export type TarEntryType = 'file' | 'directory';

export interface TarReadEntry {
  /** The path as written in the archive, already checked: relative, no '..' segment. */
  path: string;
  type: TarEntryType;
  size: number;
  /** Permission bits from the header (0o755, 0o644...). */
  mode: number;
  /**
   * The entry's bytes, as they arrive. Whatever the consumer leaves unread is skipped when it
   * asks for the next entry.
   */
  body: () => AsyncIterable<Buffer>;
}

/** Bytes of an archive: a stream, an async generator, or simply an array of buffers. */
export type TarSource = AsyncIterable<Buffer | Uint8Array | string> | Iterable<Buffer | Uint8Array>;

/** Pulls exact byte counts out of an async stream of chunks. */
class ByteReader {
  private buffered: Buffer[] = [];
  private length = 0;
  private readonly iterator: AsyncIterator<Buffer | Uint8Array | string> | Iterator<Buffer | Uint8Array | string>;

  constructor(source: TarSource) {
    this.iterator = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  }

  /** Makes at least n bytes available; false when the stream ends first. */
  private async fill(n: number): Promise<boolean> {
    while (this.length < n) {
      const next = await this.iterator.next();
      if (next.done) return false;
      const value = next.value;
      const chunk = typeof value === 'string' ? Buffer.from(value) : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      if (chunk.length === 0) continue;
      this.buffered.push(chunk);
      this.length += chunk.length;
    }
    return true;
  }

  private take(n: number): Buffer {
    const all = this.buffered.length === 1 ? this.buffered[0]! : Buffer.concat(this.buffered, this.length);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.buffered = rest.length ? [rest] : [];
    this.length = rest.length;
    return out;
  }

  /** Exactly n bytes, or null at a clean end of stream (no byte at all). */
  async read(n: number, what: string): Promise<Buffer | null> {
    if (!(await this.fill(n))) {
      if (this.length === 0) return null;
      throw new TarFormatError(`truncated archive: ${what} ends after ${this.length} of ${n} bytes`);
    }
    return this.take(n);
  }

  /** n bytes as they arrive, never holding more than one incoming chunk. */
  async *stream(n: number, what: string): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.length === 0 && !(await this.fill(1))) {
        throw new TarFormatError(`truncated archive: ${what} is missing ${left} of its ${n} bytes`);
      }
      const chunk = this.take(Math.min(left, this.length));
      left -= chunk.length;
      yield chunk;
    }
  }

  async skip(n: number, what: string): Promise<void> {
    for await (const _ of this.stream(n, what));
  }
}

function readString(buf: Buffer, offset: number, length: number): string {
  const field = buf.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? length : end).toString('utf8');
}

function readNumber(buf: Buffer, offset: number, length: number, what: string): number {
  // GNU base-256 for sizes over 8 GiB: high bit of the first byte set.
  if (buf[offset]! & 0x80) {
    let value = buf[offset]! & 0x7f;
    for (let i = 1; i < length; i++) value = value * 256 + buf[offset + i]!;
    if (!Number.isSafeInteger(value)) throw new TarFormatError(`${what} is too large`);
    return value;
  }
  const text = readString(buf, offset, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError(`bad number in tar header (${what}): ${JSON.stringify(text)}`);
  return parseInt(text, 8);
}

function checksumOk(h: Buffer): boolean {
  let stored: number;
  try {
    stored = readNumber(h, 148, 8, 'checksum');
  } catch {
    return false;
  }
  let unsigned = 0;
  for (let i = 0; i < BLOCK; i++) unsigned += i >= 148 && i < 156 ? 0x20 : h[i]!;
  return stored === unsigned;
}

/** PAX extended header records: "<len> <key>=<value>\n". */
function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space < 0) break;
    const len = parseInt(data.subarray(pos, space).toString('ascii'), 10);
    if (!Number.isInteger(len) || len <= 0 || pos + len > data.length) throw new TarFormatError('malformed PAX header');
    const record = data.subarray(space + 1, pos + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    pos += len;
  }
  return out;
}

/**
 * The path rule for every archive a user gives us: relative, no '..' segment, no NUL. A path
 * that breaks it makes the whole archive unacceptable (never silently skipped), so a hostile
 * archive is refused before anything is created from it. Returns the path normalised
 * ('./a//b' → 'a/b').
 */
export function checkArchivePath(path: string): string {
  if (path.includes('\0')) throw new TarFormatError(`archive entry name contains a NUL byte: ${JSON.stringify(path)}`);
  if (path.startsWith('/') || path.startsWith('\\') || /^[A-Za-z]:/.test(path)) {
    throw new TarFormatError(`archive entry has an absolute path: ${path}`);
  }
  const segments = path.split(/[\\/]/);
  if (segments.includes('..')) throw new TarFormatError(`archive entry escapes the archive with "..": ${path}`);
  const normalized = segments.filter((s) => s !== '' && s !== '.').join('/');
  if (normalized === '') throw new TarFormatError(`archive entry has an empty path: ${JSON.stringify(path)}`);
  return normalized;
}

const META_HEADER_LIMIT = 1024 * 1024;

/**
 * Reads a tar stream entry by entry. Regular files and directories are yielded; PAX and GNU
 * long-name headers are applied; links, devices and FIFOs are refused with TarFormatError, as
 * are unsafe paths (checkArchivePath).
 */
export async function* readTar(source: TarSource): AsyncGenerator<TarReadEntry> {
  const reader = new ByteReader(source);
  let pending: { path?: string; size?: number } = {};
  for (;;) {
    const h = await reader.read(BLOCK, 'a header');
    if (h === null) return; // no end-of-archive blocks: tolerated, as GNU tar does
    if (h.every((b) => b === 0)) return;
    if (!checksumOk(h)) throw new TarFormatError('not a tar archive, or a corrupt tar header (checksum mismatch)');
    const rawName = readString(h, 0, 100);
    const prefix = readString(h, 257, 5) === 'ustar' ? readString(h, 345, 155) : '';
    const headerPath = prefix ? `${prefix}/${rawName}` : rawName;
    const typeflag = String.fromCharCode(h[156]!);
    const size = readNumber(h, 124, 12, `size of ${headerPath}`);
    const padded = Math.ceil(size / BLOCK) * BLOCK;

    if (typeflag === 'x' || typeflag === 'g' || typeflag === 'L') {
      if (size > META_HEADER_LIMIT) throw new TarFormatError(`tar metadata header of ${size} bytes is too large`);
      const block = padded === 0 ? Buffer.alloc(0) : await reader.read(padded, 'a metadata header');
      if (!block) throw new TarFormatError('truncated archive: metadata header without data');
      const data = block.subarray(0, size);
      if (typeflag === 'L') pending.path = readString(data, 0, data.length);
      else if (typeflag === 'x') {
        const pax = parsePax(data);
        if (pax.path !== undefined) pending.path = pax.path;
        if (pax.size !== undefined) pending.size = Number(pax.size);
      } // global PAX headers ('g') carry nothing we use
      continue;
    }

    const path = pending.path ?? headerPath;
    const entrySize = pending.size ?? size;
    pending = {};
    if (!Number.isSafeInteger(entrySize) || entrySize < 0) throw new TarFormatError(`bad size for archive entry ${path}`);

    if (typeflag === '1' || typeflag === '2') {
      const target = readString(h, 157, 100);
      const kind = typeflag === '2' ? 'symbolic' : 'hard';
      throw new TarFormatError(`archive entry ${path} is a ${kind} link (to ${target}); links are not accepted`);
    }
    if (typeflag !== '0' && typeflag !== '\0' && typeflag !== '7' && typeflag !== '5') {
      throw new TarFormatError(`archive entry ${path} has unsupported type ${JSON.stringify(typeflag)}: only files and directories are accepted`);
    }
    const safePath = checkArchivePath(path);
    const type: TarEntryType = typeflag === '5' ? 'directory' : 'file';
    const bodySize = type === 'directory' ? 0 : entrySize;
    let read = 0;
    let opened = false;
    yield {
      path: safePath,
      type,
      size: bodySize,
      mode: readNumber(h, 100, 8, `mode of ${safePath}`) & 0o7777,
      body: () => {
        if (opened) throw new TarFormatError(`body of ${safePath} read twice`);
        opened = true;
        const chunks = reader.stream(bodySize, safePath);
        return (async function* () {
          for await (const chunk of chunks) {
            read += chunk.length;
            yield chunk;
          }
        })();
      },
    };
    // Whatever the consumer left unread is skipped, then the padding.
    await reader.skip(Math.ceil(entrySize / BLOCK) * BLOCK - read, `rest of ${safePath}`);
  }
}
