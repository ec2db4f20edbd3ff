import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

describe('GET /api/containers/needed and the gauge', () => {
  it('lists the pinned images of new and queued jobs (not unpinned tags) for admins only, and exports the gauge', async () => {
    const pinned = `127.0.0.1:5000/biocontainers/samtools@sha256:${'a'.repeat(64)}`;
    for (const state of ['new', 'queued', 'queued', 'ok']) {
      await t.db.pool.query(
        `INSERT INTO jobs (user_id, tool_id, state, container_image, container_digest) VALUES ($1, 'samtools_view', $2, '127.0.0.1:5000/biocontainers/samtools:1.9--h_12', $3)`,
        [t.admin.id, state, pinned],
      );
    }
    // A tag recorded at creation but never pinned (the job may not run in a container): not listed.
    await t.db.pool.query(
      `INSERT INTO jobs (user_id, tool_id, state, container_image) VALUES ($1, 'explicit', 'new', 'quay.io/acme/tool:v1')`,
      [t.admin.id],
    );
    const res = await t.app.inject({ method: 'GET', url: '/api/containers/needed', headers: { 'x-api-key': ADMIN_KEY } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual([{ image: pinned, jobs: 3 }]);

    const { key } = await t.user('plain');
    const denied = await t.app.inject({ method: 'GET', url: '/api/containers/needed', headers: { 'x-api-key': key } });
    expect(denied.statusCode).toBe(403);

    const metrics = await t.ctx.metrics.metrics();
    expect(metrics).toContain(`nebula_container_images_needed{image="${pinned}"} 3`);
  });
});
