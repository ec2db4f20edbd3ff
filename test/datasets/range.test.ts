import { describe, expect, it } from 'vitest';
import { resolveRange } from '../../src/api/routes/datasets/range.ts';
import { crc32 } from '../../src/util/zip.ts';

describe('resolveRange', () => {
  it('resolves single ranges against the size', () => {
    expect(resolveRange(undefined, 10)).toEqual({ kind: 'full' });
    expect(resolveRange('bytes=0-4', 10)).toEqual({ kind: 'partial', start: 0, end: 4 });
    expect(resolveRange('bytes=5-', 10)).toEqual({ kind: 'partial', start: 5, end: 9 });
    expect(resolveRange('bytes=-3', 10)).toEqual({ kind: 'partial', start: 7, end: 9 });
    expect(resolveRange('bytes=-30', 10)).toEqual({ kind: 'partial', start: 0, end: 9 });
    expect(resolveRange('bytes=8-100', 10)).toEqual({ kind: 'partial', start: 8, end: 9 });
  });
  it('calls ranges outside the object unsatisfiable and ignores malformed ones', () => {
    expect(resolveRange('bytes=10-', 10)).toEqual({ kind: 'unsatisfiable' });
    expect(resolveRange('bytes=-0', 10)).toEqual({ kind: 'unsatisfiable' });
    expect(resolveRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(resolveRange('bytes=5-2', 10)).toEqual({ kind: 'full' });
    expect(resolveRange('bytes=0-1,3-4', 10)).toEqual({ kind: 'full' });
    expect(resolveRange('items=0-1', 10)).toEqual({ kind: 'full' });
  });
});

describe('crc32', () => {
  it('matches the IEEE check value and continues across chunks', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(Buffer.from('56789'), crc32(Buffer.from('1234')))).toBe(0xcbf43926);
    expect(crc32(Buffer.alloc(0))).toBe(0);
  });
});
