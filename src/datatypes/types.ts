/** The shared vocabulary of the datatypes area. */

export type Compression = 'gzip' | 'bgzip';

/** What a sniffer may look at: never the whole file, only its first MiB. */
export interface SniffSample {
  /** First ≤1 MiB of the file, raw bytes. */
  head: Buffer;
  /**
   * The head decoded as UTF-8 when it is text. For gzip/BGZF files this is the decoded start of the
   * decompressed content, so compressed datatypes can sniff what is inside.
   */
  text?: string;
  /** True when `text` stops before the end of the (decompressed) content. */
  truncated: boolean;
  /** Compression of the file on disk, when it is gzip or BGZF. */
  compression?: Compression;
  size: number;
  path: string;
}

export interface DatasetMetadata {
  dataLines?: number;
  commentLines?: number;
  columns?: number;
  columnTypes?: string[];
  columnNames?: string[];
  sequences?: number;
  delimiter?: string;
  chromCol?: number;
  startCol?: number;
  endCol?: number;
  strandCol?: number;
  nameCol?: number;
  /** Local path of a freshly built .bai; the caller moves it into the object store. */
  bamIndex?: string;
  peek: string;
  blurb: string;
  [k: string]: unknown;
}

export interface Datatype {
  ext: string;
  parent?: string;
  mimetype: string;
  binary: boolean;
  /** Set for datatypes that stay compressed on disk (fastqsanger.gz, vcf_bgzip). */
  compressed?: Compression;
  displayInBrowser: boolean;
  /** Galaxy's word for one data line in the blurb ("3 regions", "1 feature"). */
  lineClass?: string;
  sniff?(sample: SniffSample): boolean;
  metadata?(file: string): Promise<DatasetMetadata>;
}
