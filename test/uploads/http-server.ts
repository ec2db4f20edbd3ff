import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A local HTTP server with fixed routes, for URL uploads (path → status and body). */
export async function startFileServer(
  routes: Record<string, { status?: number; body?: Buffer | string; location?: string }>,
): Promise<{ base: string; server: Server; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const route = routes[req.url ?? ''];
    if (!route) {
      res.statusCode = 404;
      res.end('not found');
      return;
    }
    res.statusCode = route.status ?? 200;
    if (route.location) res.setHeader('location', route.location);
    res.end(route.body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    server,
    hits,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
