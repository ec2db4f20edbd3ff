import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatasetMetadata } from '../types.ts';
import { niceSize } from './format.ts';
import { fileSize } from './peek.ts';

export class SamtoolsMissingError extends Error {
  constructor() {
    super(
      'samtools is needed to index BAM datasets but was not found on PATH; install it ' +
        '(Debian/Ubuntu: apt-get install samtools) or set NEBULA_SAMTOOLS to its path',
    );
    this.name = 'SamtoolsMissingError';
  }
}

function samtoolsBinary(): string {
  return process.env.NEBULA_SAMTOOLS || 'samtools';
}

function runSamtools(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(samtoolsBinary(), args, { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') return reject(new SamtoolsMissingError());
      if (error) return reject(new Error(`samtools ${args[0]} failed: ${stderr.trim() || error.message}`));
      resolve(stdout);
    });
  });
}

/**
 * BAM: builds the .bai with `samtools index` (as Galaxy does, into a fresh temp folder; the
 * caller stores it) and reads the header for sort order, references and read groups. An unsorted
 * BAM cannot be indexed; that is an error here, as Galaxy sorts such files before indexing.
 */
export async function bamMetadata(path: string): Promise<DatasetMetadata> {
  const header = await runSamtools(['view', '-H', path]);
  const indexDir = await mkdtemp(join(tmpdir(), 'nebula-bai-'));
  const bamIndex = join(indexDir, 'dataset.bai');
  await runSamtools(['index', '-b', path, bamIndex]);
  const lines = header.split('\n');
  const tag = (line: string, key: string) => line.split('\t').find((field) => field.startsWith(`${key}:`))?.slice(key.length + 1);
  const hd = lines.find((line) => line.startsWith('@HD'));
  const sq = lines.filter((line) => line.startsWith('@SQ'));
  return {
    bamIndex,
    bamVersion: hd ? tag(hd, 'VN') : undefined,
    sortOrder: hd ? tag(hd, 'SO') : undefined,
    referenceNames: sq.map((line) => tag(line, 'SN') ?? ''),
    referenceLengths: sq.map((line) => Number(tag(line, 'LN') ?? 0)),
    readGroups: lines.filter((line) => line.startsWith('@RG')).map((line) => tag(line, 'ID') ?? ''),
    columns: 12,
    columnNames: ['QNAME', 'FLAG', 'RNAME', 'POS', 'MAPQ', 'CIGAR', 'MRNM', 'MPOS', 'ISIZE', 'SEQ', 'QUAL', 'OPT'],
    peek: 'Binary bam alignments file',
    blurb: niceSize(await fileSize(path)),
  };
}
