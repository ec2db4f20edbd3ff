import { Readable } from 'node:stream';

/**
 * A streaming ZIP writer (STORE method, no compression, ZIP64 where sizes need it) so a
 * collection of any size downloads with constant memory: each entry's bytes pass straight
 * through, and its CRC-32 and size follow in a data descriptor (general-purpose bit 3).
 */

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** Continues a CRC-32 (IEEE) over `chunk`; start with 0. */
export function crc32(chunk: Uint8Array, previous = 0): number {
  let crc = ~previous >>> 0;
  for (let i = 0; i < chunk.length; i++) crc = CRC_TABLE[(crc ^ chunk[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}

export interface ZipEntry {
  /** Path inside the archive, with '/' separators. */
  name: string;
  /** Opened only when the entry's turn comes, so at most one source is open at a time. */
  open: () => Promise<AsyncIterable<Uint8Array>>;
}

interface Written {
  name: Buffer;
  crc: number;
  size: number;
  offset: number;
}

const FLAG_DESCRIPTOR_UTF8 = 0x0008 | 0x0800;
const VERSION_ZIP64 = 45;
const U32 = 0xffffffff;

function localHeader(name: Buffer): Buffer {
  // ZIP64 local header: sizes are 0xffffffff and a zip64 extra field reserves room for them.
  const extra = Buffer.alloc(20);
  extra.writeUInt16LE(0x0001, 0);
  extra.writeUInt16LE(16, 2);
  const h = Buffer.alloc(30);
  h.writeUInt32LE(0x04034b50, 0);
  h.writeUInt16LE(VERSION_ZIP64, 4);
  h.writeUInt16LE(FLAG_DESCRIPTOR_UTF8, 6);
  h.writeUInt16LE(0, 8); // STORE
  h.writeUInt32LE(0x00210000, 10); // DOS time 00:00, date 1980-01-01
  h.writeUInt32LE(0, 14); // crc in descriptor
  h.writeUInt32LE(U32, 18);
  h.writeUInt32LE(U32, 22);
  h.writeUInt16LE(name.length, 26);
  h.writeUInt16LE(extra.length, 28);
  return Buffer.concat([h, name, extra]);
}

function dataDescriptor(crc: number, size: number): Buffer {
  const d = Buffer.alloc(24);
  d.writeUInt32LE(0x08074b50, 0);
  d.writeUInt32LE(crc, 4);
  d.writeBigUInt64LE(BigInt(size), 8);
  d.writeBigUInt64LE(BigInt(size), 16);
  return d;
}

function centralHeader(entry: Written): Buffer {
  const extra = Buffer.alloc(28);
  extra.writeUInt16LE(0x0001, 0);
  extra.writeUInt16LE(24, 2);
  extra.writeBigUInt64LE(BigInt(entry.size), 4);
  extra.writeBigUInt64LE(BigInt(entry.size), 12);
  extra.writeBigUInt64LE(BigInt(entry.offset), 20);
  const h = Buffer.alloc(46);
  h.writeUInt32LE(0x02014b50, 0);
  h.writeUInt16LE((3 << 8) | VERSION_ZIP64, 4); // made by: unix
  h.writeUInt16LE(VERSION_ZIP64, 6);
  h.writeUInt16LE(FLAG_DESCRIPTOR_UTF8, 8);
  h.writeUInt16LE(0, 10);
  h.writeUInt32LE(0x00210000, 12);
  h.writeUInt32LE(entry.crc, 16);
  h.writeUInt32LE(U32, 20);
  h.writeUInt32LE(U32, 24);
  h.writeUInt16LE(entry.name.length, 28);
  h.writeUInt16LE(extra.length, 30);
  h.writeUInt16LE(0, 32); // comment
  h.writeUInt16LE(0, 34); // disk
  h.writeUInt16LE(0, 36); // internal attrs
  h.writeUInt32LE((0o100644 << 16) >>> 0, 38); // external attrs: regular file, rw-r--r--
  h.writeUInt32LE(U32, 42);
  return Buffer.concat([h, entry.name, extra]);
}

function endRecords(count: number, centralOffset: number, centralSize: number): Buffer {
  const z64 = Buffer.alloc(56);
  z64.writeUInt32LE(0x06064b50, 0);
  z64.writeBigUInt64LE(44n, 4);
  z64.writeUInt16LE(VERSION_ZIP64, 12);
  z64.writeUInt16LE(VERSION_ZIP64, 14);
  z64.writeUInt32LE(0, 16);
  z64.writeUInt32LE(0, 20);
  z64.writeBigUInt64LE(BigInt(count), 24);
  z64.writeBigUInt64LE(BigInt(count), 32);
  z64.writeBigUInt64LE(BigInt(centralSize), 40);
  z64.writeBigUInt64LE(BigInt(centralOffset), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeUInt32LE(0, 4);
  locator.writeBigUInt64LE(BigInt(centralOffset + centralSize), 8);
  locator.writeUInt32LE(1, 16);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Math.min(count, 0xffff), 8);
  end.writeUInt16LE(Math.min(count, 0xffff), 10);
  end.writeUInt32LE(Math.min(centralSize, U32), 12);
  end.writeUInt32LE(Math.min(centralOffset, U32), 16);
  return Buffer.concat([z64, locator, end]);
}

async function* zipChunks(entries: Iterable<ZipEntry> | AsyncIterable<ZipEntry>): AsyncGenerator<Buffer> {
  const written: Written[] = [];
  let offset = 0;
  for await (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const header = localHeader(name);
    const record: Written = { name, crc: 0, size: 0, offset };
    yield header;
    offset += header.length;
    for await (const chunk of await entry.open()) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      record.crc = crc32(buf, record.crc);
      record.size += buf.length;
      offset += buf.length;
      yield buf;
    }
    const descriptor = dataDescriptor(record.crc, record.size);
    yield descriptor;
    offset += descriptor.length;
    written.push(record);
  }
  const central = Buffer.concat(written.map(centralHeader));
  yield central;
  yield endRecords(written.length, offset, central.length);
}

/** A readable ZIP archive of the entries, produced as it is read. */
export function zipStream(entries: Iterable<ZipEntry> | AsyncIterable<ZipEntry>): Readable {
  return Readable.from(zipChunks(entries), { objectMode: false });
}
