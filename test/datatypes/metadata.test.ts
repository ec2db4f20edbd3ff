import { describe, expect, it } from 'vitest';
import { existsSync, statSync } from 'node:fs';
import { computeMetadata, SamtoolsMissingError, UnknownDatatypeError } from '../../src/datatypes/index.ts';
import { FASTQ_SANGER, PNG, SAM, VCF, bgzf, scratchDir, writeBam, writeFile, writeGzip } from './helpers.ts';

const dir = scratchDir();
const metadataOf = (name: string, content: string | Buffer, ext: string) => computeMetadata(writeFile(dir, name, content), ext);

describe('metadata: text and tables', () => {
  it('txt counts non-blank, non-comment lines; peek is the first 5 lines', async () => {
    const meta = await metadataOf('a.txt', 'one\n\n# comment\ntwo\nthree\nfour\nfive\nsix\n', 'txt');
    expect(meta.dataLines).toBe(6);
    expect(meta.blurb).toBe('6 lines');
    expect(meta.peek).toBe('one\n\n# comment\ntwo\nthree\n');
  });

  it('peek wraps lines longer than 256 characters, each piece counting as a line', async () => {
    const meta = await metadataOf('long.txt', `${'x'.repeat(600)}\nshort\n`, 'txt');
    expect(meta.peek).toBe(`${'x'.repeat(256)}\n${'x'.repeat(256)}\n${'x'.repeat(88)}\nshort\n`);
  });

  it('tabular guesses int, float, list and str; a header-like first line only fills gaps', async () => {
    const content = 'id\tscore\ttags\tname\textra\n1\t0.5\ta,b\tfoo\n2\tNA\tc\tbar\n# comment\n\n3\t7\td,e\tbaz\n';
    const meta = await metadataOf('a.tabular', content, 'tabular');
    expect(meta.columnTypes).toEqual(['int', 'float', 'str', 'str', 'str']);
    expect(meta.columns).toBe(5);
    expect(meta.dataLines).toBe(4);
    expect(meta.commentLines).toBe(2);
    expect(meta.delimiter).toBe('\t');
    expect(meta.blurb).toBe('4 lines');
  });

  it('the pasted bed "1\\t2\\t3" gets BED column roles', async () => {
    const meta = await metadataOf('pasted.bed', '1\t2\t3\n', 'bed');
    expect(meta).toMatchObject({ dataLines: 1, columns: 3, columnTypes: ['int', 'int', 'int'], chromCol: 1, startCol: 2, endCol: 3, strandCol: 0 });
    expect(meta.nameCol).toBeUndefined();
    expect(meta.blurb).toBe('1 region');
  });

  it('bed6 names and strands; comment lines are skipped', async () => {
    const meta = await metadataOf('b.bed', '#track\nchr1\t10\t20\tgeneA\t0\t+\nchr2\t30\t40\tgeneB\t5\t-\n', 'bed');
    expect(meta).toMatchObject({ nameCol: 4, strandCol: 6, columns: 6, dataLines: 2, commentLines: 1 });
    expect(meta.columnTypes).toEqual(['str', 'int', 'int', 'str', 'int', 'str']);
    expect(meta.blurb).toBe('2 regions');
  });

  it('interval takes column roles from its header line', async () => {
    const meta = await metadataOf('a.interval', '#name\tchrom\tstart\tend\tstrand\na\tchr1\t1\t5\t+\n', 'interval');
    expect(meta).toMatchObject({ nameCol: 1, chromCol: 2, startCol: 3, endCol: 4, strandCol: 5 });
  });

  it('gff counts features', async () => {
    const meta = await metadataOf('a.gff', '##gff-version 2\nchr1\tsrc\texon\t100\t200\t.\t+\t.\tg1\n', 'gff');
    expect(meta).toMatchObject({ columns: 9, dataLines: 1, commentLines: 1, blurb: '1 feature' });
  });

  it('vcf column and sample names come from the #CHROM line', async () => {
    const meta = await metadataOf('a.vcf', VCF, 'vcf');
    expect(meta.sampleNames).toEqual(['NA00001', 'NA00002']);
    expect(meta.columnNames?.slice(0, 2)).toEqual(['CHROM', 'POS']);
    expect(meta).toMatchObject({ dataLines: 2, commentLines: 3, columns: 11 });
    expect(meta.columnTypes?.slice(0, 2)).toEqual(['int', 'int']);
  });

  it('vcf_bgzip metadata reads through the compression', async () => {
    const meta = await computeMetadata(writeFile(dir, 'a.vcf.gz', bgzf(VCF)), 'vcf_bgzip');
    expect(meta.sampleNames).toEqual(['NA00001', 'NA00002']);
    expect(meta.peek.startsWith('##fileformat=VCFv4.2\n')).toBe(true);
  });

  it('sam has 12 fixed columns and counts header lines as comments', async () => {
    const meta = await metadataOf('a.sam', SAM, 'sam');
    expect(meta).toMatchObject({ dataLines: 3, commentLines: 3, columns: 12 });
    expect(meta.columnTypes?.[1]).toBe('int');
  });

  it('csv names columns from the header and types them from the first data row', async () => {
    const meta = await metadataOf('a.csv', 'name,age,score\n"Smith, J",30,1.5\nbob,25,2\n', 'csv');
    expect(meta).toMatchObject({
      columnNames: ['name', 'age', 'score'],
      columnTypes: ['str', 'int', 'float'],
      columns: 3,
      dataLines: 2,
      commentLines: 1,
      delimiter: ',',
    });
  });

  it('tsv works the same with tabs', async () => {
    const meta = await metadataOf('a.tsv', 'a\tb\n1\tx\n', 'tsv');
    expect(meta).toMatchObject({ columnNames: ['a', 'b'], columnTypes: ['int', 'str'], delimiter: '\t' });
  });

  it('json and html have Galaxy’s descriptive blurbs', async () => {
    expect((await metadataOf('a.json', '{"a": 1}\n', 'json')).blurb).toBe('JavaScript Object Notation (JSON)');
    const html = await metadataOf('a.html', '<html><body>x</body></html>\n', 'html');
    expect(html.peek).toBe('HTML file');
  });
});

describe('metadata: sequences', () => {
  it('fasta counts sequences ("1 sequences", as Galaxy writes it)', async () => {
    const meta = await metadataOf('a.fa', '>s1\nACGT\nACGT\n', 'fasta');
    expect(meta).toMatchObject({ sequences: 1, dataLines: 3, blurb: '1 sequences' });
  });

  it('fastqsanger counts 4-line records', async () => {
    const meta = await metadataOf('a.fq', FASTQ_SANGER, 'fastqsanger');
    expect(meta).toMatchObject({ sequences: 2, dataLines: 8, blurb: '2 sequences' });
  });

  it('fastqsanger.gz is read through gzip, and its peek is the decompressed text', async () => {
    const meta = await computeMetadata(writeGzip(dir, 'a.fq.gz', FASTQ_SANGER), 'fastqsanger.gz');
    expect(meta).toMatchObject({ sequences: 2, dataLines: 8 });
    expect(meta.peek).toBe('@read1\nACGTACGTNN\n+\nIIIIIIII#!\n@read2\n');
  });
});

describe('metadata: binary types', () => {
  it('bam: samtools builds a .bai; the header gives sort order and references', async () => {
    const meta = await computeMetadata(writeBam(dir, 'm.bam'), 'bam');
    expect(meta.bamIndex).toBeTypeOf('string');
    expect(existsSync(meta.bamIndex!)).toBe(true);
    expect(statSync(meta.bamIndex!).size).toBeGreaterThan(0);
    expect(meta).toMatchObject({
      sortOrder: 'coordinate',
      referenceNames: ['chr1'],
      referenceLengths: [1000],
      readGroups: ['rg1'],
      peek: 'Binary bam alignments file',
    });
    expect(meta.blurb).toMatch(/^\d+ bytes$/);
  });

  it('bam without samtools fails with an error naming samtools', async () => {
    const bam = writeBam(dir, 'n.bam');
    const saved = process.env.NEBULA_SAMTOOLS;
    process.env.NEBULA_SAMTOOLS = '/nonexistent/samtools';
    try {
      await expect(computeMetadata(bam, 'bam')).rejects.toBeInstanceOf(SamtoolsMissingError);
      await expect(computeMetadata(bam, 'bam')).rejects.toThrow(/samtools/);
    } finally {
      if (saved === undefined) delete process.env.NEBULA_SAMTOOLS;
      else process.env.NEBULA_SAMTOOLS = saved;
    }
  });

  it('png and data describe themselves and give the size', async () => {
    expect(await metadataOf('a.png', PNG, 'png')).toEqual({ peek: 'Image in png format', blurb: `${PNG.length} bytes` });
    expect(await metadataOf('big.bin', Buffer.alloc(3 * 1024 * 1024), 'data')).toEqual({ peek: 'binary data', blurb: '3.0 MB' });
  });
});

describe('metadata: edge cases', () => {
  it('an empty file has blurb "empty" and no peek, whatever the type', async () => {
    const txt = await metadataOf('empty.txt', '', 'txt');
    expect(txt).toMatchObject({ peek: '', blurb: 'empty', dataLines: 0 });
    const tab = await metadataOf('empty.tab', '', 'tabular');
    expect(tab).toMatchObject({ peek: '', blurb: 'empty', dataLines: 0, columns: 1, columnTypes: ['str'] });
  });

  it('an unknown extension is a clear error', async () => {
    const path = writeFile(dir, 'u', 'x\n');
    await expect(computeMetadata(path, 'no-such-type')).rejects.toBeInstanceOf(UnknownDatatypeError);
    await expect(computeMetadata(path, 'no-such-type')).rejects.toThrow(/no-such-type/);
  });

  it('a type without its own metadata uses its nearest ancestor’s (bed12 → bed)', async () => {
    const meta = await metadataOf('x.bed12', 'chr1\t1\t2\tn\t0\t+\n', 'bed12');
    expect(meta.strandCol).toBe(6);
  });
});
