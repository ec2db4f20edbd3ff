import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Queryable } from '../db/pool.ts';
import { computeMetadata, getDatatype, readSniffSample, sniff, type DatasetMetadata } from '../datatypes/index.ts';
import { newObjectKey } from '../objectstore/keys.ts';
import type { ObjectStore } from '../objectstore/types.ts';
import { LineConverter } from './convert.ts';
import { decompressFile, detectArchiveCompression } from './decompress.ts';
import type { UploadSource, UploadTaskItem } from './items.ts';
import type { UploadSettings } from './settings.ts';
import { listParts } from './tus-sessions.ts';
import { fetchUrlToFile } from './url-fetch.ts';

/** What a finished upload writes on its dataset and HDA. */
export interface UploadResult {
  state: 'ok' | 'empty';
  fileSize: number;
  ext: string;
  metadata: Record<string, unknown>;
  peek: string;
  blurb: string;
  info: string;
}

export interface ProcessContext {
  db: Queryable;
  store: ObjectStore;
  settings: UploadSettings;
  signal: AbortSignal;
}

/** Copies the upload's bytes, unchanged, into a local file. */
async function fetchSource(source: UploadSource, destination: string, ctx: ProcessContext): Promise<void> {
  if (source.kind === 'url') {
    await fetchUrlToFile(source.url, destination, ctx.settings, ctx.signal);
    return;
  }
  if (source.kind === 'staged') {
    await pipeline(await ctx.store.get(source.key), createWriteStream(destination), { signal: ctx.signal });
    return;
  }
  // tus: the parts in offset order, one open object at a time, into one file.
  const parts = await listParts(ctx.db, source.sessionId);
  async function* concatenated() {
    for (const part of parts) yield* await ctx.store.get(part.object_key);
  }
  await pipeline(Readable.from(concatenated()), createWriteStream(destination), { signal: ctx.signal });
}

/**
 * Keeps a compressed upload compressed when the user asked for a compressed (or binary) type,
 * or when sniffing finds one (fastqsanger.gz, vcf_bgzip, bam...); otherwise Galaxy decompresses.
 */
async function keepsCompression(path: string, ext: string): Promise<boolean> {
  if (ext !== 'auto') {
    const datatype = getDatatype(ext);
    return Boolean(datatype?.compressed || datatype?.binary);
  }
  const sniffed = getDatatype(await sniff(path));
  return Boolean(sniffed?.compressed || (sniffed?.binary && sniffed.ext !== 'data'));
}

/** Galaxy's metadata names are snake_case for these; the rest are stored as computed. */
function storedMetadata(metadata: DatasetMetadata): Record<string, unknown> {
  const { peek: _peek, blurb: _blurb, bamIndex: _bamIndex, ...rest } = metadata;
  return Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
}

/**
 * Galaxy's upload for one dataset: fetch, decompress, normalise lines, sniff, compute metadata,
 * store. Runs in a fresh scratch folder that is always removed; safe to run again from scratch.
 */
export async function processUpload(item: UploadTaskItem, ctx: ProcessContext): Promise<UploadResult> {
  const scratch = await mkdtemp(join(tmpdir(), 'nebula-upload-'));
  try {
    let path = join(scratch, 'fetched');
    await fetchSource(item.source, path, ctx);

    const compression = await detectArchiveCompression(path);
    if (compression && item.autoDecompress && !(await keepsCompression(path, item.ext))) {
      const decompressed = join(scratch, 'decompressed');
      await decompressFile(path, decompressed, compression, ctx.signal);
      await rm(path);
      path = decompressed;
    }

    const sample = await readSniffSample(path);
    const isText = sample.text !== undefined && !sample.compression;
    if (isText && (item.toPosixLines || item.spaceToTab)) {
      const converted = join(scratch, 'converted');
      await pipeline(
        createReadStream(path),
        new LineConverter({ toPosixLines: item.toPosixLines, spaceToTab: item.spaceToTab }),
        createWriteStream(converted),
        { signal: ctx.signal },
      );
      await rm(path);
      path = converted;
    }

    const ext = item.ext === 'auto' ? await sniff(path) : item.ext;
    const fileSize = (await stat(path)).size;
    let metadata: DatasetMetadata;
    let info = '';
    try {
      metadata = await computeMetadata(path, ext);
    } catch (err) {
      // Like Galaxy, a dataset whose metadata cannot be computed is still usable.
      metadata = { peek: '', blurb: fileSize === 0 ? 'empty' : `${fileSize} bytes` };
      info = `metadata could not be set: ${(err as Error).message}`;
    }
    const stored = storedMetadata(metadata);
    if (metadata.bamIndex) {
      const indexKey = newObjectKey('metadata');
      await ctx.store.put(indexKey, createReadStream(metadata.bamIndex));
      await rm(join(metadata.bamIndex, '..'), { recursive: true, force: true });
      stored.bam_index = indexKey;
    }
    await ctx.store.put(item.objectKey, createReadStream(path), { size: fileSize });
    return {
      state: fileSize === 0 ? 'empty' : 'ok',
      fileSize,
      ext,
      metadata: stored,
      peek: metadata.peek ?? '',
      blurb: metadata.blurb ?? '',
      info: info || `uploaded ${ext} file`,
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
