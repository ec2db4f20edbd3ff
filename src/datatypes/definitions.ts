import type { Datatype } from './types.ts';
import { bamSortOrder, isBam, sniffPng, sniffZip } from './sniffers/binary.ts';
import { sniffBed, sniffGff, sniffGff3, sniffGtf, sniffInterval } from './sniffers/interval.ts';
import { sniffFasta, sniffFastq, sniffFastqSanger } from './sniffers/sequence.ts';
import { sniffCsv, sniffSam, sniffTsv, sniffVcf } from './sniffers/tabular.ts';
import { sniffHtml, sniffJson, sniffXml } from './sniffers/text.ts';
import { bamMetadata } from './metadata/bam.ts';
import { fastaMetadata, fastqMetadata } from './metadata/sequence.ts';
import {
  bedMetadata,
  delimitedMetadata,
  gffMetadata,
  intervalMetadata,
  samMetadata,
  tabularMetadata,
  vcfMetadata,
} from './metadata/tables.ts';
import { binaryMetadata, describedTextMetadata, htmlMetadata, textMetadata } from './metadata/text.ts';

/**
 * A registered datatype. `alsoSubtypeOf` carries Galaxy's second base class where it has one
 * (FastqGz is a BaseFastq and a Binary), so is_of_type answers as Galaxy's isinstance would.
 */
export interface DatatypeDefinition extends Datatype {
  alsoSubtypeOf?: string[];
}

const TEXT = 'text/plain';
const OCTET = 'application/octet-stream';

function text(ext: string, parent: string, extra: Partial<DatatypeDefinition> = {}): DatatypeDefinition {
  return { ext, parent, mimetype: TEXT, binary: false, displayInBrowser: true, metadata: textMetadata, ...extra };
}

function binary(ext: string, parent: string, extra: Partial<DatatypeDefinition> = {}): DatatypeDefinition {
  return { ext, parent, mimetype: OCTET, binary: true, displayInBrowser: false, ...extra };
}

/** Hierarchy and behaviour after Galaxy's lib/galaxy/datatypes and datatypes_conf.xml.sample. */
export const DEFINITIONS: DatatypeDefinition[] = [
  { ext: 'data', mimetype: OCTET, binary: true, displayInBrowser: false, metadata: binaryMetadata('binary data') },
  binary('binary', 'data', { metadata: binaryMetadata('binary data') }),
  text('txt', 'data'),

  text('tabular', 'txt', { metadata: tabularMetadata }),
  text('interval', 'tabular', { lineClass: 'region', sniff: sniffInterval, metadata: intervalMetadata }),
  text('bed', 'interval', { lineClass: 'region', sniff: sniffBed, metadata: bedMetadata }),
  text('bedstrict', 'bed', { lineClass: 'region', metadata: bedMetadata }),
  text('bed6', 'bedstrict', { lineClass: 'region', metadata: bedMetadata }),
  text('bed12', 'bedstrict', { lineClass: 'region', metadata: bedMetadata }),
  text('gff', 'tabular', { lineClass: 'feature', sniff: sniffGff, metadata: gffMetadata }),
  text('gff3', 'gff', { lineClass: 'feature', sniff: sniffGff3, metadata: gffMetadata }),
  text('gtf', 'gff', { lineClass: 'feature', sniff: sniffGtf, metadata: gffMetadata }),
  text('vcf', 'tabular', { sniff: sniffVcf, metadata: vcfMetadata }),
  binary('vcf_bgzip', 'tabular', {
    alsoSubtypeOf: ['binary'],
    compressed: 'bgzip',
    sniff: sniffVcf,
    metadata: vcfMetadata,
  }),
  text('sam', 'tabular', { sniff: sniffSam, metadata: samMetadata }),
  // Galaxy's CSV and TSV derive from TabularData, not from Tabular: they are not 'tabular'.
  text('csv', 'txt', { sniff: sniffCsv, metadata: delimitedMetadata(',') }),
  text('tsv', 'txt', { sniff: sniffTsv, metadata: delimitedMetadata('\t') }),

  text('sequence', 'txt', { lineClass: 'sequence', metadata: fastaMetadata }),
  text('fasta', 'sequence', { sniff: sniffFasta, metadata: fastaMetadata }),
  text('fastq', 'sequence', { sniff: sniffFastq, metadata: fastqMetadata }),
  text('fastqsanger', 'fastq', { sniff: sniffFastqSanger, metadata: fastqMetadata }),
  binary('fasta.gz', 'sequence', { alsoSubtypeOf: ['binary'], compressed: 'gzip', sniff: sniffFasta, metadata: fastaMetadata }),
  binary('fastq.gz', 'sequence', { alsoSubtypeOf: ['binary'], compressed: 'gzip', sniff: sniffFastq, metadata: fastqMetadata }),
  binary('fastqsanger.gz', 'fastq.gz', { compressed: 'gzip', sniff: sniffFastqSanger, metadata: fastqMetadata }),

  text('json', 'txt', { mimetype: 'application/json', sniff: sniffJson, metadata: describedTextMetadata('JavaScript Object Notation (JSON)') }),
  text('html', 'txt', { mimetype: 'text/html', sniff: sniffHtml, metadata: htmlMetadata }),
  text('xml', 'txt', { mimetype: 'application/xml', sniff: sniffXml, metadata: describedTextMetadata('XML data') }),

  // Galaxy: BamNative is 'unsorted.bam'; Bam ('bam', coordinate-sorted) and BamQuerynameSorted derive from it.
  binary('unsorted.bam', 'binary', { sniff: (s) => isBam(s) && bamSortOrder(s) === 'unsorted', metadata: bamMetadata }),
  binary('bam', 'unsorted.bam', {
    sniff: (s) => isBam(s) && !['unsorted', 'queryname'].includes(bamSortOrder(s) ?? ''),
    metadata: bamMetadata,
  }),
  binary('qname_sorted.bam', 'unsorted.bam', { sniff: (s) => isBam(s) && bamSortOrder(s) === 'queryname', metadata: binaryMetadata('Binary bam alignments file') }),
  binary('png', 'data', { mimetype: 'image/png', displayInBrowser: true, sniff: sniffPng, metadata: binaryMetadata('Image in png format') }),
  binary('zip', 'binary', { mimetype: 'application/zip', sniff: sniffZip, metadata: binaryMetadata('Compressed zip file') }),
];

/**
 * Galaxy's <sniffers> order restricted to these types: the most rigid formats first. Compressed
 * variants sit right after their plain type, as Galaxy's auto-compressed sniffers do.
 */
export const SNIFF_ORDER = [
  'vcf',
  'vcf_bgzip',
  'bam',
  'qname_sorted.bam',
  'unsorted.bam',
  'zip',
  'xml',
  'fasta',
  'fasta.gz',
  'fastqsanger',
  'fastqsanger.gz',
  'fastq',
  'fastq.gz',
  'html',
  'bed',
  'gtf',
  'gff',
  'gff3',
  'interval',
  'sam',
  'json',
  'csv',
  'tsv',
  'png',
];
