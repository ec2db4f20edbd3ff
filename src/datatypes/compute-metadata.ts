import { getDatatype } from './registry.ts';
import { fileSize } from './metadata/peek.ts';
import type { DatasetMetadata } from './types.ts';

export class UnknownDatatypeError extends Error {
  constructor(ext: string) {
    super(`unknown datatype extension '${ext}'`);
    this.name = 'UnknownDatatypeError';
  }
}

/**
 * Metadata for a dataset of type `ext`, read by streaming the file. The nearest ancestor that
 * knows how to compute metadata does it. An empty file gets Galaxy's blurb "empty" and no peek.
 */
export async function computeMetadata(path: string, ext: string): Promise<DatasetMetadata> {
  let datatype = getDatatype(ext);
  if (!datatype) throw new UnknownDatatypeError(ext);
  while (!datatype.metadata && datatype.parent) datatype = getDatatype(datatype.parent)!;
  const size = await fileSize(path);
  if (size === 0) {
    if (datatype.binary) return { peek: '', blurb: 'empty' };
    const metadata = await datatype.metadata!(path).catch(() => ({}) as DatasetMetadata);
    return { ...metadata, peek: '', blurb: 'empty' };
  }
  return datatype.metadata!(path);
}
