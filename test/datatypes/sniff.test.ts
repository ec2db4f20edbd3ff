import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { sniff } from '../../src/datatypes/index.ts';
import { FASTQ_SANGER, PNG, SAM, VCF, bgzf, scratchDir, writeBam, writeFile, writeGzip } from './helpers.ts';

const dir = scratchDir();
const sniffText = (name: string, content: string | Buffer) => sniff(writeFile(dir, name, content));

describe('sniff: what BioBlend and Galaxy users rely on', () => {
  it('a pasted "1\\t2\\t3" is bed', async () => {
    expect(await sniffText('pasted', '1\t2\t3')).toBe('bed');
  });

  it('English prose is txt', async () => {
    const prose = 'It was the best of times, it was the worst of times.\nIt was the age of wisdom.\nAnd so on\n';
    expect(await sniffText('prose', prose)).toBe('txt');
  });

  it('an empty file is txt, as in Galaxy', async () => {
    expect(await sniffText('empty', '')).toBe('txt');
  });

  it('random bytes are data', async () => {
    const garbage = randomBytes(4096);
    garbage[0] = 0xff; // never a valid UTF-8 lead byte
    expect(await sniffText('garbage', garbage)).toBe('data');
  });
});

describe('sniff: text formats', () => {
  it('bed with name, score and strand', async () => {
    expect(await sniffText('six.bed', 'chr1\t10\t20\tgeneA\t0\t+\nchr1\t30\t40\tgeneB\t500\t-\n')).toBe('bed');
  });

  it('interval when columns break BED rules (score out of range) but start/end are integers', async () => {
    expect(await sniffText('x.interval', '#chrom\tstart\tend\tname\tvalue\nchr1\t10\t20\ta\t5000\nchr2\t1\t2\tb\t9999\n')).toBe('interval');
  });

  it('gff (version 2 header), gff3 (version 3 header) and gtf (gene_id attribute)', async () => {
    const gffLine = 'chr1\tsrc\texon\t100\t200\t.\t+\t.\tgroup1\n';
    expect(await sniffText('a.gff', `##gff-version 2\n${gffLine}`)).toBe('gff');
    expect(await sniffText('a.gff3', `##gff-version 3\nchr1\tsrc\tgene\t100\t200\t.\t+\t.\tID=g1;Name=x\n`)).toBe('gff3');
    const gtf = 'chr1\tsrc\texon\t100\t200\t.\t+\t.\tgene_id "g1"; transcript_id "t1";\n'.repeat(2);
    expect(await sniffText('a.gtf', gtf)).toBe('gtf');
  });

  it('fasta', async () => {
    expect(await sniffText('a.fa', '>seq1 description\nACGTACGT\nACGT\n>seq2\nGGCC\n')).toBe('fasta');
  });

  it('fastq with Sanger qualities is fastqsanger; Illumina 1.3 qualities leave plain fastq', async () => {
    expect(await sniffText('a.fq', FASTQ_SANGER)).toBe('fastqsanger');
    expect(await sniffText('b.fq', '@r1\nACGT\n+\nhhhh\n')).toBe('fastq');
  });

  it('vcf', async () => {
    expect(await sniffText('a.vcf', VCF)).toBe('vcf');
  });

  it('sam', async () => {
    expect(await sniffText('a.sam', SAM)).toBe('sam');
  });

  it('json, html and xml', async () => {
    expect(await sniffText('a.json', '{"name": "x", "values": [1, 2, 3]}\n')).toBe('json');
    expect(await sniffText('b.json', '[1, 2,\n 3]\n')).toBe('json');
    expect(await sniffText('a.html', '<!DOCTYPE html>\n<html>\n<body>hi</body>\n</html>\n')).toBe('html');
    expect(await sniffText('a.xml', '<?xml version="1.0"?>\n<root><a/></root>\n')).toBe('xml');
  });

  it('csv with a header and consistent commas', async () => {
    expect(await sniffText('a.csv', 'name,age,city\nalice,30,Paris\nbob,25,Berlin\n')).toBe('csv');
  });

  it('tab-separated consistent columns that no specific sniffer claims are tabular, never tsv', async () => {
    expect(await sniffText('a.tab', 'gene\tcount\tfold\nBRCA1\t12\t0.5\nTP53\t7\t1.5\n')).toBe('tabular');
    // Galaxy's own doctest: "a\t2\nc\t1\nd\t0" is tabular
    expect(await sniffText('b.tab', 'a\t2\nc\t1\nd\t0')).toBe('tabular');
  });

  it('space-separated columns are txt (Galaxy doctest "a 1 2 x...")', async () => {
    expect(await sniffText('spaces', 'a 1 2 x\nb 3 4 y\nc 5 6 z')).toBe('txt');
  });
});

describe('sniff: compressed and binary formats', () => {
  it('gzip-compressed Sanger fastq is fastqsanger.gz', async () => {
    expect(await sniff(writeGzip(dir, 'a.fq.gz', FASTQ_SANGER))).toBe('fastqsanger.gz');
  });

  it('gzip-compressed generic fastq is fastq.gz', async () => {
    expect(await sniff(writeGzip(dir, 'b.fq.gz', '@r1\nACGT\n+\nhhhh\n'))).toBe('fastq.gz');
  });

  it('BGZF-compressed vcf is vcf_bgzip; plain gzip vcf is not', async () => {
    expect(await sniff(writeFile(dir, 'a.vcf.gz', bgzf(VCF)))).toBe('vcf_bgzip');
    expect(await sniff(writeGzip(dir, 'b.vcf.gz', VCF))).toBe('data');
  });

  it('a BAM made by samtools is bam; a queryname-sorted one is qname_sorted.bam', async () => {
    expect(await sniff(writeBam(dir, 'a.bam'))).toBe('bam');
    const qname = SAM.replace('SO:coordinate', 'SO:queryname');
    expect(await sniff(writeBam(dir, 'q.bam', qname))).toBe('qname_sorted.bam');
  });

  it('PNG magic is png', async () => {
    expect(await sniffText('a.png', PNG)).toBe('png');
  });

  it('zip magic is zip', async () => {
    expect(await sniffText('a.zip', Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), randomBytes(100)]))).toBe('zip');
  });

  it('an unrecognised gzip is data', async () => {
    expect(await sniff(writeGzip(dir, 'x.gz', 'just some words\n'))).toBe('data');
  });
});
