import { describe, expect, it } from 'vitest';
import { contentTypeFor, displayFilename, getDatatype, isSubtypeOf, listDatatypes } from '../../src/datatypes/index.ts';

const REQUIRED = [
  'data', 'txt', 'tabular', 'csv', 'tsv', 'bed', 'bed6', 'bed12', 'interval', 'gff', 'gff3', 'gtf', 'fasta', 'fastq',
  'fastqsanger', 'fastqsanger.gz', 'fastq.gz', 'fasta.gz', 'vcf', 'vcf_bgzip', 'sam', 'bam', 'json', 'html', 'png', 'xml', 'zip',
];

describe('registry', () => {
  it('registers every required extension, each reaching data', () => {
    for (const ext of REQUIRED) {
      expect(getDatatype(ext), ext).toBeDefined();
      expect(isSubtypeOf(ext, 'data'), ext).toBe(true);
    }
    expect(listDatatypes().map((d) => d.ext)).toEqual(expect.arrayContaining(REQUIRED));
    expect(getDatatype('nope')).toBeUndefined();
  });

  it('follows Galaxy’s hierarchy for is_of_type', () => {
    expect(isSubtypeOf('bed', 'interval')).toBe(true);
    expect(isSubtypeOf('bed', 'tabular')).toBe(true);
    expect(isSubtypeOf('bed', 'txt')).toBe(true);
    expect(isSubtypeOf('bed12', 'bed')).toBe(true);
    expect(isSubtypeOf('fastqsanger', 'fastq')).toBe(true);
    expect(isSubtypeOf('fastqsanger', 'sequence')).toBe(true);
    expect(isSubtypeOf('fastqsanger.gz', 'fastq.gz')).toBe(true);
    expect(isSubtypeOf('fastqsanger.gz', 'binary')).toBe(true);
    expect(isSubtypeOf('vcf', 'tabular')).toBe(true);
    expect(isSubtypeOf('sam', 'tabular')).toBe(true);
    expect(isSubtypeOf('gtf', 'gff')).toBe(true);
    expect(isSubtypeOf('gff3', 'tabular')).toBe(true);
    expect(isSubtypeOf('bam', 'unsorted.bam')).toBe(true);
    expect(isSubtypeOf('tabular', 'bed')).toBe(false);
    expect(isSubtypeOf('fastq', 'fastqsanger')).toBe(false);
    expect(isSubtypeOf('fastqsanger.gz', 'fastqsanger')).toBe(false);
    expect(isSubtypeOf('csv', 'tabular')).toBe(false); // Galaxy's CSV is TabularData, not Tabular
    expect(isSubtypeOf('gff', 'interval')).toBe(false);
    expect(isSubtypeOf('unknown', 'data')).toBe(false);
    expect(isSubtypeOf('unknown', 'unknown')).toBe(true);
  });

  it('marks binary and compressed types', () => {
    expect(getDatatype('bam')?.binary).toBe(true);
    expect(getDatatype('txt')?.binary).toBe(false);
    expect(getDatatype('fastqsanger.gz')?.compressed).toBe('gzip');
    expect(getDatatype('vcf_bgzip')?.compressed).toBe('bgzip');
  });

  it('content types and download names', () => {
    expect(contentTypeFor('tabular')).toBe('text/plain');
    expect(contentTypeFor('html')).toBe('text/html');
    expect(contentTypeFor('png')).toBe('image/png');
    expect(contentTypeFor('json')).toBe('application/json');
    expect(contentTypeFor('bam')).toBe('application/octet-stream');
    expect(contentTypeFor('whatever')).toBe('application/octet-stream');
    expect(displayFilename('my reads/1.fq', 'fastqsanger')).toBe('my_reads_1.fq.fastqsanger');
    expect(displayFilename('Pasted Entry', 'bed', 3)).toBe('Galaxy3-[Pasted_Entry].bed');
  });
});
