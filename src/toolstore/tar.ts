/**
 * A minimal, deterministic POSIX ustar writer and reader for tool bundles. Deterministic means the
 * same files give the same bytes (sorted paths, mtime 0, owner 0), so the SHA-256 of the tar is a
 * content address. Only regular files are written; the executable bit is kept in the mode.
 */
import { TAR_END, TarFormatError, tarHeader, tarPadding } from '../util/tar.ts';

const BLOCK = 512;

export { TarFormatError };

export interface TarEntry {
  /** POSIX relative path, no leading '/', no '..' segment. */
  path: string;
  /** 0o755 for executables, 0o644 otherwise. */
  mode: number;
  data: Buffer;
}

export function packTar(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    // mtime 0 and owner 0 (tarHeader's defaults) keep the bytes, and so the hash, deterministic.
    parts.push(tarHeader({ path: entry.path, size: entry.data.length, mode: entry.mode }), entry.data, tarPadding(entry.data.length));
  }
  parts.push(TAR_END);
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
