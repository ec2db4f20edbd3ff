import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isPrivateAddress } from '../../src/uploads/url-policy.ts';
import { startFileServer } from './http-server.ts';
import { startFtpServer } from './ftp-server.ts';
import { pastePayload, startUploadApp, type UploadTestApp } from './helpers.ts';

let t: UploadTestApp;
let files: Awaited<ReturnType<typeof startFileServer>>;
const BED = 'chr1\t100\t200\tfeature1\nchr1\t300\t400\tfeature2\n';

beforeAll(async () => {
  t = await startUploadApp();
  files = await startFileServer({
    '/data/regions.bed': { body: BED },
    '/data/regions.bed.gz': { body: gzipSync(Buffer.from(BED)) },
    '/data/broken.gz': { body: Buffer.concat([gzipSync(Buffer.from(BED)).subarray(0, 12), Buffer.from('garbage-garbage')]) },
    '/redirect': { status: 302, location: '/data/regions.bed' },
    '/gone': { status: 410, body: 'gone' },
  });
});
afterAll(async () => {
  await files?.close();
  await t?.close();
});
afterEach(() => {
  if (t) t.ctx.config.uploads.allowPrivateUrls = false;
});

describe('URL uploads through upload1', () => {
  it('downloads a URL from a local server when private addresses are allowed, named after the file', async () => {
    t.ctx.config.uploads.allowPrivateUrls = true;
    const history = await t.history();
    const res = await t.post('/api/tools', pastePayload(history, `${files.base}/data/regions.bed`));
    expect(res.status).toBe(200);
    expect(res.json.outputs[0].name).toBe('regions.bed');
    const hda = await t.waitForHda(res.json.outputs[0].id);
    expect(hda.state).toBe('ok');
    expect(hda.extension).toBe('bed');
    expect((await t.bytes(hda)).toString()).toBe(BED);
  });

  it('decompresses a gzipped download and sniffs what is inside', async () => {
    t.ctx.config.uploads.allowPrivateUrls = true;
    const res = await t.post('/api/tools', pastePayload(await t.history(), `${files.base}/data/regions.bed.gz`));
    const hda = await t.waitForHda(res.json.outputs[0].id);
    expect(hda.extension).toBe('bed');
    expect((await t.bytes(hda)).toString()).toBe(BED);
  });

  it('follows a redirect, checking it again', async () => {
    t.ctx.config.uploads.allowPrivateUrls = true;
    const res = await t.post('/api/tools', pastePayload(await t.history(), `${files.base}/redirect`));
    const hda = await t.waitForHda(res.json.outputs[0].id);
    expect((await t.bytes(hda)).toString()).toBe(BED);
  });

  it('refuses loopback addresses by default: the dataset and job end in error naming the reason', async () => {
    const before = files.hits.length;
    const res = await t.post('/api/tools', pastePayload(await t.history(), `${files.base}/data/regions.bed`));
    expect(res.status).toBe(200);
    const hda = await t.waitForHda(res.json.outputs[0].id);
    expect(hda.state).toBe('error');
    expect(hda.info).toMatch(/loopback, private or link-local/);
    expect(files.hits.length).toBe(before); // never connected
    const { rows } = await t.db.pool.query('SELECT state FROM jobs WHERE id = $1', [t.ctx.ids.decode(res.json.jobs[0].id)]);
    expect(rows[0].state).toBe('error');
    const { rows: tasks } = await t.db.pool.query(`SELECT state FROM nebula_tasks WHERE kind = 'nebula.uploads.upload' AND state = 'dead'`);
    expect(tasks).toHaveLength(0);
  });

  it('marks an upstream HTTP error and a broken gzip as errors', async () => {
    t.ctx.config.uploads.allowPrivateUrls = true;
    const gone = await t.post('/api/tools', pastePayload(await t.history(), `${files.base}/gone`));
    const goneHda = await t.waitForHda(gone.json.outputs[0].id);
    expect(goneHda.state).toBe('error');
    expect(goneHda.info).toMatch(/HTTP 410/);
    const broken = await t.post('/api/tools', pastePayload(await t.history(), `${files.base}/data/broken.gz`));
    const brokenHda = await t.waitForHda(broken.json.outputs[0].id);
    expect(brokenHda.state).toBe('error');
    expect(brokenHda.info).toMatch(/gzip/);
  });

  it('downloads over passive FTP, connecting data to the checked control address', async () => {
    t.ctx.config.uploads.allowPrivateUrls = true;
    const ftp = await startFtpServer({ '/pub/regions.bed': Buffer.from(BED) });
    try {
      const res = await t.post('/api/tools', pastePayload(await t.history(), `${ftp.url}/pub/regions.bed`));
      const hda = await t.waitForHda(res.json.outputs[0].id);
      expect(hda.info).toBe('uploaded bed file');
      expect(hda.state).toBe('ok');
      expect((await t.bytes(hda)).toString()).toBe(BED);
      const missing = await t.post('/api/tools', pastePayload(await t.history(), `${ftp.url}/pub/none.bed`));
      const missingHda = await t.waitForHda(missing.json.outputs[0].id);
      expect(missingHda.state).toBe('error');
      expect(missingHda.info).toMatch(/550/);
    } finally {
      await ftp.close();
    }
  });

  it('answers 400 at request time for schemes other than http, https and ftp, creating nothing', async () => {
    const history = await t.history();
    for (const url of ['file:///etc/passwd', 'gopher://example.org/x', 'javascript://alert(1)']) {
      const res = await t.post('/api/tools', pastePayload(history, url));
      expect(res.status).toBe(400);
      expect(res.json.err_msg).toMatch(/scheme/);
    }
    const { rows } = await t.db.pool.query('SELECT count(*)::int AS n FROM hdas WHERE history_id = $1', [t.ctx.ids.decode(history)]);
    expect(rows[0].n).toBe(0);
  });
});

describe('address policy', () => {
  it('classifies loopback, private, link-local and mapped addresses as private', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '::1', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '0.0.0.0']) {
      expect(isPrivateAddress(a), a).toBe(true);
    }
    for (const a of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111']) expect(isPrivateAddress(a), a).toBe(false);
  });
});
