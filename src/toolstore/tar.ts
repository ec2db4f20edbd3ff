/**
 * A minimal, deterministic POSIX ustar writer and reader for tool bundles. Deterministic means the
 * same files give the same bytes (sorted paths, mtime 0, owner 0), so the SHA-256 of the tar is a
 * content address. Only regular files are written; the executable bit is kept in the mode.
 */
const BLOCK = 512;

export interface TarEntry {
  /** POSIX relative path, no leading '/', no '..' segment. */
  path: string;
  /** 0o755 for executables, 0o644 otherwise. */
  mode: number;
  data: Buffer;
}

export class TarFormatError extends Error {
  override name = 'TarFormatError';
}

function writeString(header: Buffer, value: string, offset: number, length: number): void {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > length) throw new TarFormatError(`tar field too long: ${value}`);
  bytes.copy(header, offset);
}

function writeOctal(header: Buffer, value: number, offset: number, length: number): void {
  // length-1 octal digits then a NUL, as ustar readers expect.
  const digits = value.toString(8).padStart(length - 1, '0');
  if (digits.length > length - 1) throw new TarFormatError(`tar number too large: ${value}`);
  header.write(`${digits}\0`, offset, 'ascii');
}

/** ustar splits long paths into prefix (≤155 bytes) + name (≤100 bytes) at a '/'. */
function splitPath(path: string): { prefix: string; name: string } {
  if (Buffer.byteLength(path) <= 100) return { prefix: '', name: path };
  for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return { prefix, name };
  }
  throw new TarFormatError(`path too long for a tool bundle (ustar limit): ${path}`);
}

function header(entry: TarEntry): Buffer {
  const h = Buffer.alloc(BLOCK);
  const { prefix, name } = splitPath(entry.path);
  writeString(h, name, 0, 100);
  writeOctal(h, entry.mode & 0o7777, 100, 8);
  writeOctal(h, 0, 108, 8); // uid
  writeOctal(h, 0, 116, 8); // gid
  writeOctal(h, entry.data.length, 124, 12);
  writeOctal(h, 0, 136, 12); // mtime
  h.fill(0x20, 148, 156); // checksum is computed with its own field as spaces
  h.write('0', 156, 'ascii'); // regular file
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  writeString(h, prefix, 345, 155);
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

export function packTar(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    parts.push(header(entry), entry.data);
    const pad = (BLOCK - (entry.data.length % BLOCK)) % BLOCK;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

function readString(buf: Buffer, offset: number, length: number): string {
  const field = buf.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? length : end).toString('utf8');
}

function readOctal(buf: Buffer, offset: number, length: number): number {
  const text = readString(buf, offset, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError(`bad octal field in tar header: ${JSON.stringify(text)}`);
  return parseInt(text, 8);
}

/** Regular files only; anything else (links, devices) is rejected: bundles are made by packTar. */
export function unpackTar(tar: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  while (offset + BLOCK <= tar.length) {
    const h = tar.subarray(offset, offset + BLOCK);
    if (h.every((b) => b === 0)) break;
    const name = readString(h, 0, 100);
    const prefix = readString(h, 345, 155);
    const path = prefix ? `${prefix}/${name}` : name;
    const type = String.fromCharCode(h[156]!);
    if (type !== '0' && type !== '\0') throw new TarFormatError(`unsupported tar entry type ${JSON.stringify(type)} for ${path}`);
    if (path.startsWith('/') || path.split('/').includes('..')) throw new TarFormatError(`unsafe path in tool bundle: ${path}`);
    const size = readOctal(h, 124, 12);
    const start = offset + BLOCK;
    if (start + size > tar.length) throw new TarFormatError(`truncated tar entry ${path}`);
    entries.push({ path, mode: readOctal(h, 100, 8), data: Buffer.from(tar.subarray(start, start + size)) });
    offset = start + Math.ceil(size / BLOCK) * BLOCK;
  }
  return entries;
}
