import { describe, expect, it } from 'vitest';
import { createWriteStream, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { computeMetadata, sniff } from '../../src/datatypes/index.ts';
import { scratchDir } from './helpers.ts';

const TARGET_BYTES = 200 * 1024 * 1024;

/** Writes a ~200 MB tab-separated file of 4 columns without holding it in memory. */
async function writeLargeTabular(path: string): Promise<number> {
  const out = createWriteStream(path);
  let written = 0;
  let lines = 0;
  while (written < TARGET_BYTES) {
    const rows: string[] = [];
    for (let i = 0; i < 10_000; i++, lines++) rows.push(`gene${lines}\t${lines}\t${(lines % 997) / 7}\tx,y\n`);
    const chunk = rows.join('');
    written += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return lines;
}

describe('metadata of a 200 MB file', () => {
  it('is computed by streaming: every line counted, RSS grows by less than 100 MB', { timeout: 180_000 }, async () => {
    const path = join(scratchDir(), 'large.tabular');
    const lines = await writeLargeTabular(path);
    expect(statSync(path).size).toBeGreaterThanOrEqual(TARGET_BYTES);
    try {
      globalThis.gc?.();
      const rssBefore = process.memoryUsage().rss;
      let peakRss = rssBefore;
      const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
      let ext: string;
      let meta: Awaited<ReturnType<typeof computeMetadata>>;
      try {
        ext = await sniff(path);
        meta = await computeMetadata(path, ext);
      } finally {
        clearInterval(sampler);
      }
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      expect(ext).toBe('tabular');
      expect(meta.dataLines).toBe(lines);
      expect(meta.columns).toBe(4);
      expect(meta.columnTypes).toEqual(['str', 'int', 'float', 'list']);
      expect(meta.peek.split('\n')).toHaveLength(6);
      expect(peakRss - rssBefore).toBeLessThan(100 * 1024 * 1024);
    } finally {
      rmSync(path, { force: true });
    }
  });
});
