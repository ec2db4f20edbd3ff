import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** A tiny passive-mode FTP server (anonymous, RETR only) serving fixed files, for URL uploads. */
export async function startFtpServer(files: Record<string, Buffer>): Promise<{ url: string; close(): Promise<void> }> {
  const servers: Server[] = [];
  const control = createServer((socket: Socket) => {
    const reply = (line: string) => socket.write(`${line}\r\n`);
    let data: Server | undefined;
    let dataSocket: Promise<Socket> | undefined;
    reply('220 test ftp');
    let buffer = '';
    socket.on('data', async (chunk) => {
      buffer += chunk.toString('latin1');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        const [cmd, ...rest] = line.split(' ');
        const arg = rest.join(' ');
        if (cmd === 'USER') reply('331 password please');
        else if (cmd === 'PASS') reply('230 welcome');
        else if (cmd === 'TYPE') reply('200 binary');
        else if (cmd === 'PASV') {
          data = createServer();
          servers.push(data);
          dataSocket = new Promise((resolve) => data!.once('connection', resolve));
          await new Promise<void>((resolve) => data!.listen(0, '127.0.0.1', resolve));
          const port = (data.address() as AddressInfo).port;
          // Names a different host on purpose: the client must use the control address.
          reply(`227 Entering Passive Mode (10,9,8,7,${port >> 8},${port & 255})`);
        } else if (cmd === 'RETR') {
          const file = files[arg];
          if (!file || !dataSocket) {
            reply('550 no such file');
            continue;
          }
          reply('150 sending');
          const s = await dataSocket;
          s.end(file, () => {
            reply('226 done');
            data?.close();
          });
        } else if (cmd === 'QUIT') {
          reply('221 bye');
          socket.end();
        } else reply('502 not implemented');
      }
    });
    socket.on('error', () => {});
  });
  servers.push(control);
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
  const { port } = control.address() as AddressInfo;
  return {
    url: `ftp://127.0.0.1:${port}`,
    close: async () => {
      for (const s of servers) s.close();
    },
  };
}
