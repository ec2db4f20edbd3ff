import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../../src/model/passwords.ts';

describe('password hashes', () => {
  it('keep no trace of the password, differ for the same password, and verify only the right one', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(a).not.toContain('correct');
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('correct horse', b)).toBe(true);
    expect(await verifyPassword('correct hors', a)).toBe(false);
    expect(await verifyPassword('', a)).toBe(false);
  });

  it('never match a missing or unreadable hash', async () => {
    for (const stored of [null, undefined, '', 'plain-text', 'scrypt$0$8$1$AA==$AA==', 'bcrypt$1$2$3$4$5']) {
      expect(await verifyPassword('anything', stored)).toBe(false);
    }
  });

  it('read the parameters from the stored hash, so they can change without breaking old hashes', async () => {
    const a = await hashPassword('pw123456');
    const [scheme, , , , salt, key] = a.split('$');
    // A different N with the same salt and key no longer matches: the parameters are part of the hash.
    expect(await verifyPassword('pw123456', [scheme, 16384, 8, 1, salt, key].join('$'))).toBe(false);
  });
});
