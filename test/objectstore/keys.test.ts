import { describe, expect, it } from 'vitest';
import {
  InvalidKeyError,
  MAX_KEY_LENGTH,
  assertValidKey,
  assertValidPrefix,
  datasetExtraFilesPrefix,
  datasetKey,
  isValidKey,
  newObjectKey,
} from '../../src/objectstore/index.ts';
import { INVALID_KEYS } from './contract.ts';

describe('object keys', () => {
  it('accepts server-made keys', () => {
    for (const key of ['datasets/ab/abcdef', '_health/x', 'a', 'a/b.c/d-e_f', 'jobs/0/stdout.txt']) {
      expect(() => assertValidKey(key), key).not.toThrow();
    }
  });

  it('rejects paths, traversal, hidden segments and foreign characters', () => {
    for (const key of [...INVALID_KEYS, 'a/..', 'a/./b', 'x\n', 'a/b/', 'a'.repeat(MAX_KEY_LENGTH + 1), 42, null]) {
      expect(() => assertValidKey(key), String(key)).toThrow(InvalidKeyError);
      expect(isValidKey(key)).toBe(false);
    }
  });

  it('accepts key prefixes, including the empty one and a trailing slash', () => {
    for (const prefix of ['', 'datasets/', 'datasets/ab', 'datasets/ab/']) expect(() => assertValidPrefix(prefix)).not.toThrow();
    for (const prefix of ['/', '../', 'a//', '/a', 'a/../']) expect(() => assertValidPrefix(prefix), prefix).toThrow(InvalidKeyError);
  });

  it('makes dataset keys from a UUID only', () => {
    const uuid = '3f2b8c1e-0d4a-4b6e-9a7c-1234567890ab';
    expect(datasetKey(uuid)).toBe(`datasets/3f/${uuid}`);
    expect(datasetExtraFilesPrefix(uuid)).toBe(`datasets/3f/${uuid}_files/`);
    expect(isValidKey(datasetKey(uuid))).toBe(true);
    expect(() => datasetKey('../../etc/passwd')).toThrow(InvalidKeyError);
    expect(() => datasetKey(uuid.toUpperCase())).toThrow(InvalidKeyError);
  });

  it('makes fresh, valid, distinct keys of a kind', () => {
    const a = newObjectKey('uploads');
    const b = newObjectKey('uploads');
    expect(a).toMatch(/^uploads\/[0-9a-f]{2}\/[0-9a-f-]{36}$/);
    expect(a).not.toBe(b);
    expect(isValidKey(a)).toBe(true);
    expect(() => newObjectKey('../x')).toThrow(InvalidKeyError);
    expect(() => newObjectKey('Uploads')).toThrow(InvalidKeyError);
  });
});
