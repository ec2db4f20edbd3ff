/** Object keys the executor derives from the keys the spec gave it (never from file names). */
import { assertValidKey, InvalidKeyError } from '../../objectstore/index.ts';

/** The n-th discovered dataset (in the executor's deterministic order) under the spec's discoveredPrefix. */
export function discoveredOutputKey(prefix: string, index: number): string {
  if (!Number.isInteger(index) || index < 0) throw new InvalidKeyError(index, 'index must be a non-negative integer');
  const key = `${prefix.endsWith('/') ? prefix : `${prefix}/`}${index}`;
  assertValidKey(key);
  return key;
}

/** A metadata file (e.g. a BAM index) written next to an output: `<output key>.<kind>`. */
export function outputMetadataKey(outputKey: string, kind: string): string {
  if (!/^[a-z][a-z0-9-]{0,31}$/.test(kind)) throw new InvalidKeyError(kind, 'kind must match [a-z][a-z0-9-]{0,31}');
  const key = `${outputKey}.${kind}`;
  assertValidKey(key);
  return key;
}
