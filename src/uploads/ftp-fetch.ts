import { createWriteStream } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { pipeline } from 'node:stream/promises';
import type { UploadSettings } from './settings.ts';
import { isPrivateAddress, UrlRefusedError } from './url-policy.ts';
import { byteLimit } from './byte-limit.ts';

/** Reads FTP control replies (possibly multi-line) one at a time. */
class ControlChannel {
  private buffer = '';
  private waiting: ((line: { code: number; text: string }) => void)[] = [];
  private replies: { code: number; text: string }[] = [];
  private failure?: Error;

  constructor(private readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (data: string) => {
      this.buffer += data;
      let newline: number;
      while ((newline = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, newline).replace(/\r$/, '');
        this.buffer = this.buffer.slice(newline + 1);
        // A final reply line is "ddd text"; continuation lines ("ddd-text" or others) are skipped.
        const match = /^(\d{3}) (.*)$/.exec(line);
        if (match) this.deliver({ code: Number(match[1]), text: match[2] });
      }
    });
    socket.on('error', (err) => (this.failure = err));
  }

  private deliver(reply: { code: number; text: string }) {
    const waiter = this.waiting.shift();
    if (waiter) waiter(reply);
    else this.replies.push(reply);
  }

  next(timeoutMs: number): Promise<{ code: number; text: string }> {
    if (this.failure) return Promise.reject(this.failure);
    const ready = this.replies.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new UrlRefusedError('FTP server stopped answering')), timeoutMs);
      this.socket.once('close', () => reject(new UrlRefusedError('FTP server closed the connection')));
      this.waiting.push((reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
    });
  }

  async command(line: string, timeoutMs: number): Promise<{ code: number; text: string }> {
    this.socket.write(`${line}\r\n`);
    return this.next(timeoutMs);
  }
}

function expect(reply: { code: number; text: string }, ok: (code: number) => boolean, what: string) {
  if (!ok(reply.code)) throw new UrlRefusedError(`FTP ${what} failed: ${reply.code} ${reply.text}`);
}

/**
 * A minimal passive-mode FTP download (anonymous unless the URL has credentials). The data
 * connection goes to the control connection's checked address, never to the address the server
 * names in its PASV reply, so an FTP server cannot bounce us to a private host.
 */
export async function fetchFtp(
  url: URL,
  checked: { address: string; family: 4 | 6 },
  destination: string,
  settings: UploadSettings,
  signal: AbortSignal,
): Promise<void> {
  const timeout = settings.urlIdleTimeoutMs;
  const port = Number(url.port || 21);
  if (!settings.allowPrivateUrls && isPrivateAddress(checked.address)) throw new UrlRefusedError('private address');
  const socket = connect({ host: checked.address, port, signal });
  socket.on('error', () => {});
  const control = new ControlChannel(socket);
  try {
    expect(await control.next(timeout), (c) => c === 220, 'greeting');
    const user = decodeURIComponent(url.username || 'anonymous');
    const login = await control.command(`USER ${user}`, timeout);
    if (login.code === 331) {
      expect(await control.command(`PASS ${decodeURIComponent(url.password || 'nebula@')}`, timeout), (c) => c === 230 || c === 202, 'login');
    } else expect(login, (c) => c === 230, 'login');
    expect(await control.command('TYPE I', timeout), (c) => c === 200, 'TYPE I');
    const pasv = await control.command('PASV', timeout);
    expect(pasv, (c) => c === 227, 'PASV');
    const numbers = /(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)/.exec(pasv.text);
    if (!numbers) throw new UrlRefusedError(`FTP PASV reply not understood: ${pasv.text}`);
    const dataPort = Number(numbers[5]) * 256 + Number(numbers[6]);
    const data = connect({ host: checked.address, port: dataPort, signal });
    await new Promise<void>((resolve, reject) => {
      data.once('connect', resolve);
      data.once('error', (err) => reject(new UrlRefusedError(`FTP data connection failed: ${err.message}`)));
    });
    const path = decodeURIComponent(url.pathname);
    const retr = await control.command(`RETR ${path}`, timeout);
    if (retr.code !== 150 && retr.code !== 125) {
      data.destroy();
      throw new UrlRefusedError(`FTP cannot retrieve ${path}: ${retr.code} ${retr.text}`);
    }
    data.setTimeout(timeout, () => data.destroy(new UrlRefusedError('FTP transfer stalled')));
    await pipeline(data, byteLimit(settings.maxUploadBytes, url.href), createWriteStream(destination), { signal });
    expect(await control.next(timeout), (c) => c === 226 || c === 250, 'transfer');
    socket.write('QUIT\r\n');
  } finally {
    socket.destroy();
  }
}
