import { createWriteStream } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { byteLimit } from './byte-limit.ts';
import { fetchFtp } from './ftp-fetch.ts';
import type { UploadSettings } from './settings.ts';
import { parseUploadUrl, resolveCheckedAddress, UrlRefusedError } from './url-policy.ts';

const MAX_REDIRECTS = 5;

function get(url: URL, checked: { address: string; family: 4 | 6 }, signal: AbortSignal, idleMs: number) {
  // The connection goes to the address we checked; the host name is still used for TLS and Host.
  const pinned: LookupFunction = (_host, options, callback) => {
    if ((options as { all?: boolean }).all) {
      (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [checked]);
    } else callback(null, checked.address, checked.family);
  };
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<http.IncomingMessage>((resolve, reject) => {
    const request = client.get(url, { lookup: pinned, signal, timeout: idleMs, headers: { 'user-agent': 'Nebula' } }, resolve);
    request.on('timeout', () => request.destroy(new UrlRefusedError(`no response from ${url.host} within ${idleMs / 1000} s`)));
    request.on('error', (err) =>
      reject(err instanceof UrlRefusedError || signal.aborted ? err : new UrlRefusedError(`cannot fetch ${url.href}: ${err.message}`)),
    );
  });
}

/**
 * Downloads a user's URL to a local file, refusing schemes other than http(s)/ftp, private
 * addresses (unless allowed), over-large bodies and stalled transfers. Every redirect is checked
 * like the first URL.
 */
export async function fetchUrlToFile(
  raw: string,
  destination: string,
  settings: UploadSettings,
  parentSignal: AbortSignal,
): Promise<void> {
  const signal = AbortSignal.any([parentSignal, AbortSignal.timeout(settings.urlTotalTimeoutMs)]);
  let url = parseUploadUrl(raw);
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const checked = await resolveCheckedAddress(url.hostname, settings.allowPrivateUrls);
    if (url.protocol === 'ftp:') {
      await fetchFtp(url, checked, destination, settings, signal);
      return;
    }
    const response = await get(url, checked, signal, settings.urlIdleTimeoutMs);
    const status = response.statusCode ?? 0;
    if (status >= 300 && status < 400 && response.headers.location) {
      response.resume();
      url = parseUploadUrl(new URL(response.headers.location, url).href);
      continue;
    }
    if (status !== 200) {
      response.resume();
      throw new UrlRefusedError(`${url.href} answered HTTP ${status}`);
    }
    const declared = Number(response.headers['content-length']);
    if (Number.isFinite(declared) && declared > settings.maxUploadBytes) {
      response.destroy();
      throw new UrlRefusedError(`${url.href} is ${declared} bytes, more than the limit of ${settings.maxUploadBytes}`);
    }
    try {
      await pipeline(response, byteLimit(settings.maxUploadBytes, url.href), createWriteStream(destination), { signal });
    } catch (err) {
      if (err instanceof UrlRefusedError || parentSignal.aborted) throw err;
      throw new UrlRefusedError(`download of ${url.href} failed: ${(err as Error).message}`);
    }
    return;
  }
  throw new UrlRefusedError(`${raw.slice(0, 200)} redirects more than ${MAX_REDIRECTS} times`);
}
