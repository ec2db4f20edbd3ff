/**
 * Password hashes: scrypt with a random salt per password, parameters stored beside the hash so
 * they can be raised later without invalidating older hashes. The password itself is never kept.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const SCHEME = 'scrypt';
// N = 2^15, r = 8: about 32 MiB and tens of milliseconds a hash, on the libuv pool, not the event loop.
const DEFAULTS = { N: 1 << 15, r: 8, p: 1 };
const KEY_BYTES = 64;
const SALT_BYTES = 16;

export const PASSWORD_MIN_LENGTH = 6;
export const PASSWORD_MAX_LENGTH = 1024;

function derive(password: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, DEFAULTS);
  return [SCHEME, DEFAULTS.N, DEFAULTS.r, DEFAULTS.p, salt.toString('base64'), key.toString('base64')].join('$');
}

// Compared against when there is no stored hash, so an unknown user costs as much time as a wrong password.
let dummyHash: Promise<string> | undefined;

/** True when `password` matches `stored`; a missing or unreadable hash never matches. */
export async function verifyPassword(password: string, stored: string | null | undefined): Promise<boolean> {
  const parsed = parseHash(stored ?? '');
  if (!parsed) {
    dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
    const dummy = parseHash(await dummyHash)!;
    await derive(password, dummy.salt, dummy.params);
    return false;
  }
  const key = await derive(password, parsed.salt, parsed.params);
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
}

function parseHash(stored: string): { params: { N: number; r: number; p: number }; salt: Buffer; key: Buffer } | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== SCHEME) return undefined;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  if (![N, r, p].every((n) => Number.isSafeInteger(n) && n > 0)) return undefined;
  return { params: { N, r, p }, salt: Buffer.from(parts[4], 'base64'), key: Buffer.from(parts[5], 'base64') };
}
