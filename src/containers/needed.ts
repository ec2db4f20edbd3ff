/**
 * Warm nodes: the images that jobs not yet running (new or queued) need, read from the
 * database so every replica reports the same list; a node-level pre-puller fetches them before
 * the jobs land. Only pinned references count: job.schedule pins the image of every job bound
 * for a container destination on its first run, even while the job still waits for its inputs
 * (src/jobs/lifecycle/container.ts). A tag recorded at creation (a tool's explicit container) is
 * not listed: the job may never run in a container, and a tag is not what would be run.
 */
import { Gauge, type Registry } from 'prom-client';
import type { Queryable } from '../db/pool.ts';

export interface NeededImage {
  /** The pinned reference, host/repository@sha256:... */
  image: string;
  jobs: number;
}

export async function neededImages(db: Queryable): Promise<NeededImage[]> {
  const { rows } = await db.query<{ image: string; jobs: number }>(
    `SELECT container_digest AS image, count(*)::int AS jobs
       FROM jobs
      WHERE state IN ('new', 'queued') AND container_digest IS NOT NULL
      GROUP BY 1 ORDER BY 2 DESC, 1`,
  );
  return rows;
}

export const NEEDED_GAUGE = 'nebula_container_images_needed';

/** Registers nebula_container_images_needed{image} (jobs waiting for each image), read at scrape time. */
export function registerContainerMetrics(registry: Registry, db: Queryable): void {
  if (registry.getSingleMetric(NEEDED_GAUGE)) return;
  new Gauge({
    name: NEEDED_GAUGE,
    help: 'New and queued jobs needing each container image (cluster-wide, from the database)',
    labelNames: ['image'],
    registers: [registry],
    async collect() {
      const rows = await neededImages(db);
      this.reset();
      for (const row of rows) this.set({ image: row.image }, row.jobs);
    },
  });
}
