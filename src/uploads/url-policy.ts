import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** Thrown for a URL the server will not fetch; its message is shown to the user. */
export class UrlRefusedError extends Error {
  override name = 'UrlRefusedError';
}

const ALLOWED_SCHEMES = new Set(['http:', 'https:', 'ftp:']);

/** Loopback, private, link-local, CGNAT, multicast and reserved ranges (IPv4 and IPv6). */
const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv6');
}

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return PRIVATE.check(address, 'ipv4');
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return PRIVATE.check(mapped[1], 'ipv4');
    return PRIVATE.check(address, 'ipv6');
  }
  return true; // not an address at all: refuse rather than guess
}

/** Parses and checks a URL's form (scheme, host); the address check happens at connect time. */
export function parseUploadUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new UrlRefusedError(`'${raw.slice(0, 200)}' is not a valid URL`);
  }
  if (!ALLOWED_SCHEMES.has(url.protocol)) {
    throw new UrlRefusedError(`URL scheme '${url.protocol.replace(/:$/, '')}' is not allowed; use http, https or ftp`);
  }
  if (!url.hostname) throw new UrlRefusedError(`URL '${raw.slice(0, 200)}' has no host`);
  return url;
}

/**
 * Resolves a host name once and checks every address it resolves to. The caller connects to the
 * returned address (never resolving again), so DNS cannot rebind the name between check and use.
 */
export async function resolveCheckedAddress(
  hostname: string,
  allowPrivate: boolean,
): Promise<{ address: string; family: 4 | 6 }> {
  const bare = hostname.replace(/^\[(.*)\]$/, '$1');
  const literal = isIP(bare);
  const addresses = literal
    ? [{ address: bare, family: literal }]
    : await lookup(bare, { all: true, verbatim: true }).catch((err: NodeJS.ErrnoException) => {
        throw new UrlRefusedError(`cannot resolve host '${bare}': ${err.code ?? err.message}`);
      });
  if (addresses.length === 0) throw new UrlRefusedError(`host '${bare}' has no addresses`);
  if (!allowPrivate) {
    const blocked = addresses.find((a) => isPrivateAddress(a.address));
    if (blocked) {
      throw new UrlRefusedError(
        `host '${bare}' resolves to ${blocked.address}, a loopback, private or link-local address; ` +
          'URL uploads from such addresses are disabled on this server',
      );
    }
  }
  const chosen = addresses[0];
  return { address: chosen.address, family: chosen.family === 6 ? 6 : 4 };
}
