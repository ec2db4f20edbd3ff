/**
 * The data tables a fresh server has (all_fasta, fasta_indexes, empty), defined at every start
 * without ever touching a table an admin has defined or filled.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { defineTable, DEFAULT_DATA_TABLES, ensureDefaultDataTables, listTables, mergeRows, tableWithRows } from '../../src/datatables/index.ts';
import { withTransaction } from '../../src/db/pool.ts';
import { freshDatabase, type TestDatabase } from '../helpers/db.ts';
import { ADMIN_KEY, startTestApp, type TestApp } from '../helpers/app.ts';

let db: TestDatabase | undefined;
let t: TestApp | undefined;
afterEach(async () => {
  await db?.drop();
  await t?.close();
  db = t = undefined;
});

describe('default data tables', () => {
  it('are defined once, empty, with the reference columns', async () => {
    db = await freshDatabase();
    expect(await ensureDefaultDataTables(db.pool)).toEqual(['all_fasta', 'fasta_indexes']);
    expect(await ensureDefaultDataTables(db.pool)).toEqual([]);
    for (const name of ['all_fasta', 'fasta_indexes']) {
      const found = (await tableWithRows(db.pool, name))!;
      expect(found.table).toMatchObject({ columns: ['value', 'dbkey', 'name', 'path'], keyColumns: ['value'], commentChar: '#', version: 1 });
      expect(found.rows).toEqual([]);
    }
    const { rows } = await db.pool.query("SELECT table_name, action, source FROM data_table_changes ORDER BY id");
    expect(rows).toEqual([
      { table_name: 'all_fasta', action: 'define', source: 'default' },
      { table_name: 'fasta_indexes', action: 'define', source: 'default' },
    ]);
  });

  it('are created once when many replicas start at the same moment', async () => {
    db = await freshDatabase();
    const results = await Promise.all(Array.from({ length: 6 }, () => ensureDefaultDataTables(db!.pool)));
    expect(results.flat().sort()).toEqual(['all_fasta', 'fasta_indexes']);
    expect((await listTables(db.pool)).map((x) => x.name)).toEqual(['all_fasta', 'fasta_indexes']);
  });

  it('leave a table an admin defined differently, and its rows, exactly as they are', async () => {
    db = await freshDatabase();
    const mine = { name: 'all_fasta', columns: ['value', 'name', 'path'], keyColumns: ['value'], commentChar: '#' };
    await withTransaction(db.pool, async (c) => {
      await defineTable(c, mine, 'loc:mine');
      await mergeRows(c, 'all_fasta', [['hg38', 'Human', '/refs/hg38.fa']], 'loc:mine');
    });
    const before = await tableWithRows(db.pool, 'all_fasta');
    expect(await ensureDefaultDataTables(db.pool)).toEqual(['fasta_indexes']);
    expect(await tableWithRows(db.pool, 'all_fasta')).toEqual(before);
  });

  it("are what Galaxy's /api/tool_data answers for: a list of names and, for each, columns, fields and name", async () => {
    t = await startTestApp();
    await ensureDefaultDataTables(t.db.pool);
    const get = (url: string) => t!.app.inject({ method: 'GET', url, headers: { 'x-api-key': ADMIN_KEY } });
    const list = (await get('/api/tool_data')).json();
    expect(list.map((x: { name: string }) => x.name)).toEqual(DEFAULT_DATA_TABLES.map((d) => d.name));
    const show = (await get(`/api/tool_data/${list[0].name}`)).json();
    expect(show).toMatchObject({ name: 'all_fasta', columns: ['value', 'dbkey', 'name', 'path'], fields: [] });
  });
});
