import { describe, expect, it } from 'vitest';
import { IdCodec } from '../../src/util/ids.ts';

describe('encoded ids', () => {
  const ids = new IdCodec('a-test-secret');

  it('round-trips ids to 16 hex characters that reveal no order', () => {
    const encoded = [1, 2, 3, 1000, 2 ** 40, Number.MAX_SAFE_INTEGER].map((n) => ids.encode(n));
    for (const e of encoded) expect(e).toMatch(/^[0-9a-f]{16}$/);
    expect(encoded.map((e) => ids.decode(e))).toEqual([1, 2, 3, 1000, 2 ** 40, Number.MAX_SAFE_INTEGER]);
    const first100 = Array.from({ length: 100 }, (_, i) => ids.encode(i + 1));
    expect(first100).not.toEqual([...first100].sort());
  });

  it('depends on the secret', () => {
    expect(new IdCodec('other-secret').encode(1)).not.toBe(ids.encode(1));
  });

  it.each(['', 'xyz', '12345', '0123456789abcdeg', '0123456789ABCDEF', '../etc/passwd', '0123456789abcdef0'])(
    'rejects %j',
    (bad) => expect(ids.decode(bad)).toBeNull(),
  );
});
