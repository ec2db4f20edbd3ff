import type { IdCodec } from '../util/ids.ts';

const MAX_ENTRIES = 500_000;

/**
 * An IdCodec whose encode() remembers its answers. Encoding costs four HMACs (~9 µs), which
 * dominates a 10,000-item contents listing; listings repeat the same ids, so a bounded memo
 * turns that into a map lookup. Decoding is left alone (one id per request).
 */
export function memoizedIds(ids: IdCodec): IdCodec {
  const cache = new Map<number, string>();
  const memo = Object.create(ids) as IdCodec;
  memo.encode = (id: number): string => {
    let encoded = cache.get(id);
    if (encoded === undefined) {
      encoded = ids.encode(id);
      // Dropping everything at the cap keeps the code trivial; refilling is cheap.
      if (cache.size >= MAX_ENTRIES) cache.clear();
      cache.set(id, encoded);
    }
    return encoded;
  };
  return memo;
}
