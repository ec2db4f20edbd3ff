import { expect } from 'vitest';
import { createHistory } from '../../src/model/histories.ts';
import { getHda, TERMINAL_DATASET_STATES, type Hda } from '../../src/model/datasets.ts';
import type { ObjectStore } from '../../src/objectstore/types.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

export interface UploadTestApp extends TestApp {
  key: string;
  userId: number;
  /** A new history of the test user, as its encoded id. */
  history(): Promise<string>;
  post(url: string, body: unknown, key?: string): Promise<{ status: number; json: any }>;
  /** Uploads bytes through tus in chunks and returns the session id. */
  tusUpload(data: Buffer, chunkSize: number, key?: string): Promise<string>;
  /** Polls the HDA until its dataset reaches a terminal state. */
  waitForHda(encodedId: string): Promise<Hda>;
  /** The stored bytes of an HDA. */
  bytes(hda: Hda): Promise<Buffer>;
}

export async function startUploadApp(options: { store?: ObjectStore } = {}): Promise<UploadTestApp> {
  const t = await startTestApp({ worker: true, store: options.store });
  const { user, key } = await t.user('uploader');
  const readAll = async (stream: NodeJS.ReadableStream) => {
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  };
  return {
    ...t,
    key,
    userId: user.id,
    async history() {
      const h = await createHistory(t.db.pool, user.id, 'uploads');
      return t.ctx.ids.encode(h.id);
    },
    async post(url, body, k = key) {
      const res = await t.app.inject({
        method: 'POST',
        url,
        headers: { 'x-api-key': k, 'content-type': 'application/json' },
        payload: typeof body === 'string' ? body : JSON.stringify(body),
      });
      let json: any;
      try {
        json = res.json();
      } catch {
        json = res.body;
      }
      return { status: res.statusCode, json };
    },
    async tusUpload(data, chunkSize, k = key) {
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/upload/resumable_upload',
        headers: {
          'x-api-key': k,
          'tus-resumable': '1.0.0',
          'upload-length': String(data.length),
          'upload-metadata': `filename ${Buffer.from('reads.txt').toString('base64')}`,
        },
      });
      expect(created.statusCode).toBe(201);
      const location = created.headers.location as string;
      let offset = 0;
      do {
        const chunk = data.subarray(offset, offset + chunkSize);
        const res = await t.app.inject({
          method: 'PATCH',
          url: location,
          headers: { 'x-api-key': k, 'tus-resumable': '1.0.0', 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' },
          payload: chunk,
        });
        expect(res.statusCode).toBe(204);
        offset = Number(res.headers['upload-offset']);
      } while (offset < data.length);
      return location.split('/').at(-1)!;
    },
    async waitForHda(encodedId) {
      const id = t.ctx.ids.decode(encodedId);
      expect(id).not.toBeNull();
      const deadline = Date.now() + 30_000;
      for (;;) {
        const hda = await getHda(t.db.pool, id!);
        if (hda && TERMINAL_DATASET_STATES.includes(hda.state)) return hda;
        if (Date.now() > deadline) throw new Error(`dataset ${encodedId} still ${hda?.state} after 30 s`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async bytes(hda) {
      return readAll(await t.store.get(hda.object_key!));
    },
  };
}

/** BioBlend's paste_content payload (bioblend 1.0: url_paste beside inputs). */
export function pastePayload(historyId: string, content: string, extra: Record<string, unknown> = {}) {
  return {
    history_id: historyId,
    tool_id: 'upload1',
    inputs: { file_type: 'auto', dbkey: '?', 'files_0|type': 'upload_dataset', ...extra },
    'files_0|url_paste': content,
  };
}
