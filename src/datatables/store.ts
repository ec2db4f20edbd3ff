/**
 * SQL verbs on data tables. Every function that changes rows takes a client inside a
 * transaction, locks the table's definition row first (so concurrent changes to one table are
 * serialised), bumps `version` once, and writes the change log in that same transaction.
 */
import type { Queryable } from '../db/pool.ts';
import { checkFields } from './conf.ts';
import { DataTableError, DataTableNotFoundError } from './errors.ts';
import { rowIdentity, type DataTable, type DataTableDefinition, type RowFields } from './model.ts';

interface TableRow {
  name: string;
  columns: string[];
  key_columns: string[];
  comment_char: string;
  version: string;
}

function toTable(r: TableRow): DataTable {
  return { name: r.name, columns: r.columns, keyColumns: r.key_columns, commentChar: r.comment_char, version: Number(r.version) };
}

export async function listTables(db: Queryable): Promise<DataTable[]> {
  const { rows } = await db.query<TableRow>('SELECT name, columns, key_columns, comment_char, version FROM data_tables ORDER BY name');
  return rows.map(toTable);
}

export async function getTable(db: Queryable, name: string, opts: { forUpdate?: boolean } = {}): Promise<DataTable | undefined> {
  const { rows } = await db.query<TableRow>(
    `SELECT name, columns, key_columns, comment_char, version FROM data_tables WHERE name = $1${opts.forUpdate ? ' FOR UPDATE' : ''}`,
    [name],
  );
  return rows[0] ? toTable(rows[0]) : undefined;
}

export async function requireTable(db: Queryable, name: string, opts: { forUpdate?: boolean } = {}): Promise<DataTable> {
  const table = await getTable(db, name, opts);
  if (!table) throw new DataTableNotFoundError(name);
  return table;
}

export async function tableRows(db: Queryable, name: string): Promise<RowFields[]> {
  const { rows } = await db.query<{ fields: string[] }>('SELECT fields FROM data_table_rows WHERE table_name = $1 ORDER BY id', [name]);
  return rows.map((r) => r.fields);
}

/** The table and its rows read in one statement, so the rows are exactly those of `version`. */
export async function tableWithRows(db: Queryable, name: string): Promise<{ table: DataTable; rows: RowFields[] } | undefined> {
  const { rows } = await db.query<TableRow & { rows: string[][] | null }>(
    `SELECT t.name, t.columns, t.key_columns, t.comment_char, t.version,
            (SELECT json_agg(r.fields ORDER BY r.id) FROM data_table_rows r WHERE r.table_name = t.name) AS rows
       FROM data_tables t WHERE t.name = $1`,
    [name],
  );
  const r = rows[0];
  if (!r) return undefined;
  return { table: toTable(r), rows: r.rows ?? [] };
}

async function logChange(db: Queryable, table: string, version: number, action: string, fields: RowFields | null, source: string): Promise<void> {
  await db.query('INSERT INTO data_table_changes (table_name, version, action, fields, source) VALUES ($1, $2, $3, $4, $5)', [
    table, version, action, fields, source,
  ]);
}

async function bumpVersion(db: Queryable, name: string): Promise<number> {
  const { rows } = await db.query<{ version: string }>(
    'UPDATE data_tables SET version = version + 1, update_time = now() WHERE name = $1 RETURNING version',
    [name],
  );
  return Number(rows[0]!.version);
}

/**
 * Creates a table or confirms its definition. Changing the columns of a table that has rows is
 * refused (its rows would no longer line up); a table without rows may be redefined.
 */
export async function defineTable(db: Queryable, def: DataTableDefinition, source: string): Promise<'created' | 'unchanged' | 'redefined'> {
  const existing = await getTable(db, def.name, { forUpdate: true });
  if (!existing) {
    await db.query('INSERT INTO data_tables (name, columns, key_columns, comment_char, version) VALUES ($1, $2, $3, $4, 1)', [
      def.name, def.columns, def.keyColumns, def.commentChar,
    ]);
    await logChange(db, def.name, 1, 'define', def.columns, source);
    return 'created';
  }
  const same = existing.columns.join('\t') === def.columns.join('\t') && existing.keyColumns.join('\t') === def.keyColumns.join('\t') && existing.commentChar === def.commentChar;
  if (same) return 'unchanged';
  const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM data_table_rows WHERE table_name = $1', [def.name]);
  if (Number(rows[0]!.n) > 0 && existing.columns.join('\t') !== def.columns.join('\t')) {
    throw new DataTableError(
      `table ${def.name}: already defined with columns (${existing.columns.join(', ')}) and has rows; cannot change them to (${def.columns.join(', ')})`,
      def.name,
    );
  }
  await db.query('UPDATE data_tables SET columns = $2, key_columns = $3, comment_char = $4 WHERE name = $1', [def.name, def.columns, def.keyColumns, def.commentChar]);
  const version = await bumpVersion(db, def.name);
  await logChange(db, def.name, version, 'define', def.columns, source);
  return 'redefined';
}

/**
 * Creates a table when no table of that name exists and leaves an existing one exactly as it is
 * (whatever its columns or rows): for definitions shipped by default, which an admin may have
 * redefined. One statement, so replicas starting at once create it once.
 */
export async function defineTableIfAbsent(db: Queryable, def: DataTableDefinition, source: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO data_tables (name, columns, key_columns, comment_char, version) VALUES ($1, $2, $3, $4, 1)
     ON CONFLICT (name) DO NOTHING`,
    [def.name, def.columns, def.keyColumns, def.commentChar],
  );
  if (!rowCount) return false;
  await logChange(db, def.name, 1, 'define', def.columns, source);
  return true;
}

export interface MergeResult {
  table: string;
  added: number;
  replaced: number;
  unchanged: number;
  version: number;
}

/**
 * Adds rows to a table, idempotently: a row whose identity (key columns) is already there
 * replaces it when its fields differ and changes nothing when they are the same. The caller's
 * transaction makes a batch all-or-nothing.
 */
export async function mergeRows(db: Queryable, name: string, rows: RowFields[], source: string, where = (i: number) => `row ${i + 1}`): Promise<MergeResult> {
  const table = await requireTable(db, name, { forUpdate: true });
  rows.forEach((fields, i) => checkFields(table, fields, where(i)));
  const result: MergeResult = { table: name, added: 0, replaced: 0, unchanged: 0, version: table.version };
  const changes: Array<{ action: 'add' | 'replace'; fields: RowFields }> = [];
  for (const fields of rows) {
    const identity = rowIdentity(table, fields);
    const { rows: found } = await db.query<{ id: string; fields: string[] }>(
      'SELECT id, fields FROM data_table_rows WHERE table_name = $1 AND identity = $2',
      [name, identity],
    );
    const old = found[0];
    if (old && old.fields.join('\t') === fields.join('\t')) {
      result.unchanged++;
    } else if (old) {
      await db.query('UPDATE data_table_rows SET fields = $2, source = $3 WHERE id = $1', [old.id, fields, source]);
      result.replaced++;
      changes.push({ action: 'replace', fields });
    } else {
      await db.query('INSERT INTO data_table_rows (table_name, fields, identity, source) VALUES ($1, $2, $3, $4)', [name, fields, identity, source]);
      result.added++;
      changes.push({ action: 'add', fields });
    }
  }
  if (changes.length) {
    result.version = await bumpVersion(db, name);
    for (const c of changes) await logChange(db, name, result.version, c.action, c.fields, source);
  }
  return result;
}

/** Removes the rows whose fields are exactly `fields`; returns how many were removed. */
export async function removeRow(db: Queryable, name: string, fields: RowFields, source: string): Promise<{ removed: number; version: number }> {
  const table = await requireTable(db, name, { forUpdate: true });
  const { rowCount } = await db.query('DELETE FROM data_table_rows WHERE table_name = $1 AND fields = $2', [name, fields]);
  if (!rowCount) return { removed: 0, version: table.version };
  const version = await bumpVersion(db, name);
  await logChange(db, name, version, 'remove', fields, source);
  return { removed: rowCount, version };
}
