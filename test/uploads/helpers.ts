import { expect } from 'vitest';
import { createHistory } from '../../src/model/histories.ts';
import { getHda, TERMINAL_DATASET_STATES, type Hda } from '../../src/model/datasets.ts';
import { configureUploadStore } from '../../src/uploads/tasks.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

export interface UploadTestApp extends TestApp {
  key: string;
  userId: number;
  /** A new history of the test user, as its encoded id. */
  history(): Promise<string>;
  post(url: string, body: unknown, key?: string): Promise<{ status: number; json: any }>;
  /** Polls the HDA until its dataset reaches a terminal state. */
  waitForHda(encodedId: string): Promise<Hda>;
  /** The stored bytes of an HDA. */
  bytes(hda: Hda): Promise<Buffer>;
}

export async function startUploadApp(): Promise<UploadTestApp> {
  const t = await startTestApp({ worker: true });
  configureUploadStore(t.store);
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
