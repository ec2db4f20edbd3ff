/**
 * Nebula's datatypes: Galaxy's registry (extensions and their hierarchy), sniffers (format
 * detection from the first MiB) and metadata (computed by streaming the file).
 */
export type { Compression, DatasetMetadata, Datatype, SniffSample } from './types.ts';
export { contentTypeFor, displayFilename, getDatatype, isSubtypeOf, listDatatypes } from './registry.ts';
export { guessExtension, runSniffers, sniff } from './sniff.ts';
export { computeMetadata, UnknownDatatypeError } from './compute-metadata.ts';
export { readSniffSample, detectCompression } from './sample.ts';
export { SamtoolsMissingError } from './metadata/bam.ts';
