import type { DatasetMetadata } from '../types.ts';
import { VALID_STRAND } from '../sniffers/interval.ts';
import { parseDelimitedLine } from '../sniffers/delimited.ts';
import { guessCsvCellType } from './column-types.ts';
import { countWith } from './format.ts';
import { readLines } from './lines.ts';
import { filePeek } from './peek.ts';
import { firstDataLineIndex, scanTabular } from './tabular.ts';

export async function tabularMetadata(path: string): Promise<DatasetMetadata> {
  const table = await scanTabular(path);
  return { ...table, peek: await filePeek(path), blurb: countWith(table.dataLines, 'line') };
}

/** Header words that name interval column roles (Galaxy's interval alias_spec), best first. */
const ROLE_ALIASES: Record<'chromCol' | 'startCol' | 'endCol' | 'strandCol' | 'nameCol', string[]> = {
  chromCol: ['chrom', 'CHROMOSOME', 'CHROM', 'Chromosome Name'],
  startCol: ['start', 'START', 'chromStart', 'txStart', 'Start Position (bp)'],
  endCol: ['end', 'END', 'STOP', 'chromEnd', 'txEnd', 'End Position (bp)'],
  strandCol: ['strand', 'STRAND', 'Strand'],
  nameCol: ['name', 'NAME', 'Name', 'name2', 'NAME2', 'Name2', 'Ensembl Gene ID', 'Ensembl Transcript ID', 'Ensembl Peptide ID'],
};

/**
 * Interval: tabular metadata plus column roles, from a '#' header line naming them, or guessed
 * from the first data line (chrom 1, start 2, end 3, strand 6 when column 6 is a strand).
 */
export async function intervalMetadata(path: string): Promise<DatasetMetadata> {
  const table = await scanTabular(path, { skip: 0 });
  const roles: Record<string, number> = { chromCol: 1, startCol: 2, endCol: 3, strandCol: 0 };
  let examined = 0;
  for await (const line of readLines(path)) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const names = line.replace(/^#+|#+$/g, '').split('\t');
      for (const [role, aliases] of Object.entries(ROLE_ALIASES)) {
        const alias = aliases.find((candidate) => names.includes(candidate));
        if (alias) roles[role] = names.indexOf(alias) + 1;
      }
      break;
    }
    const fields = line.split('\t');
    if (fields.length > 2) {
      roles.strandCol = fields.length >= 6 && VALID_STRAND.includes(fields[5]) ? 6 : 0;
      break;
    }
    if (++examined > 100) break;
  }
  return { ...table, ...roles, peek: await filePeek(path), blurb: countWith(table.dataLines, 'region') };
}

/** BED: fixed chrom/start/end, name when there is a 4th column, strand when there is a 6th. */
export async function bedMetadata(path: string): Promise<DatasetMetadata> {
  const first = await firstDataLineIndex(path);
  const table = await scanTabular(path, { skip: first.index });
  const fields = first.fields ?? [];
  const roles: Record<string, number> = { chromCol: 1, startCol: 2, endCol: 3, strandCol: 0 };
  if (fields.length > 2) {
    if (fields.length > 3) roles.nameCol = 4;
    roles.strandCol = fields.length >= 6 ? 6 : 0;
  }
  return { ...table, ...roles, peek: await filePeek(path), blurb: countWith(table.dataLines, 'region') };
}

export async function gffMetadata(path: string): Promise<DatasetMetadata> {
  const first = await firstDataLineIndex(path);
  const table = await scanTabular(path, { skip: first.index });
  return { ...table, peek: await filePeek(path), blurb: countWith(table.dataLines, 'feature') };
}

/** VCF: tabular metadata, and the #CHROM line's column and sample names. */
export async function vcfMetadata(path: string): Promise<DatasetMetadata> {
  const table = await scanTabular(path);
  let columnNames: string[] | undefined;
  for await (const line of readLines(path)) {
    if (line.startsWith('##')) continue;
    if (line.startsWith('#')) columnNames = line.slice(1).split('\t');
    break;
  }
  const sampleNames = columnNames ? columnNames.slice(9) : [];
  return {
    ...table,
    ...(columnNames ? { columnNames } : {}),
    sampleNames,
    peek: await filePeek(path),
    blurb: countWith(table.dataLines, 'line'),
  };
}

const SAM_COLUMN_TYPES = ['str', 'int', 'str', 'int', 'int', 'str', 'str', 'int', 'int', 'str', 'str', 'str'];
const SAM_COLUMN_NAMES = ['QNAME', 'FLAG', 'RNAME', 'POS', 'MAPQ', 'CIGAR', 'MRNM', 'MPOS', 'ISIZE', 'SEQ', 'QUAL', 'OPT'];

/** SAM: '@' lines are comments, every other line an alignment; the 12 columns are fixed. */
export async function samMetadata(path: string): Promise<DatasetMetadata> {
  let commentLines = 0;
  let total = 0;
  for await (const line of readLines(path)) {
    total += 1;
    if (line.startsWith('@')) commentLines += 1;
  }
  const dataLines = total - commentLines;
  return {
    dataLines,
    commentLines,
    columns: 12,
    columnTypes: SAM_COLUMN_TYPES,
    columnNames: SAM_COLUMN_NAMES,
    delimiter: '\t',
    peek: await filePeek(path),
    blurb: countWith(dataLines, 'line'),
  };
}

/**
 * CSV/TSV (Galaxy's BaseCSV.set_meta): the first row names the columns, the second row types
 * them, every further line is a data line.
 */
export function delimitedMetadata(delimiter: ',' | '\t') {
  return async (path: string): Promise<DatasetMetadata> => {
    let header: string[] = [];
    let firstRow: string[] = [];
    let lines = 0;
    for await (const line of readLines(path)) {
      lines += 1;
      if (lines === 1) header = parseDelimitedLine(line, delimiter);
      else if (lines === 2) firstRow = parseDelimitedLine(line, delimiter);
    }
    const dataLines = lines >= 2 ? lines - 1 : 0;
    return {
      dataLines,
      commentLines: header.length > 0 ? 1 : 0,
      columns: Math.max(header.length, firstRow.length),
      columnTypes: firstRow.map(guessCsvCellType),
      columnNames: header,
      delimiter,
      peek: await filePeek(path),
      blurb: countWith(dataLines, 'line'),
    };
  };
}

