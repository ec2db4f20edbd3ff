import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listMigrations, migrate } from '../../src/db/migrate.ts';
import { freshDatabase, type TestDatabase } from '../helpers/db.ts';

describe('migrations', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase({ migrated: false });
  });
  afterAll(async () => db.drop());

  it('ten replicas migrating at once apply each migration exactly once', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => migrate(db.pool)));
    const appliedCounts = results.map((r) => r.length);
    const total = listMigrations().length;
    expect(appliedCounts.filter((n) => n === total)).toHaveLength(1);
    expect(appliedCounts.filter((n) => n === 0)).toHaveLength(9);
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM nebula_migrations');
    expect(rows[0].n).toBe(total);
  });
});
