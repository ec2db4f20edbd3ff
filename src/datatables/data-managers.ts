/**
 * Data managers: registering them (tools + data_manager_conf.xml + table definitions), and
 * merging what one wrote when its job finishes. The merge runs inside job.finish's transaction,
 * after every entry was checked: either every entry of every table is merged or none is, and the
 * job fails with a message naming the table and entry. Entries are merged by identity (the
 * table's key columns), so running a manager twice, or reinstalling it, adds no duplicate row.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import type { Pool, PoolClient, Queryable } from '../db/pool.ts';
import type { ObjectStore } from '../objectstore/index.ts';
import { registerToolDirectory } from '../toolstore/index.ts';
import { attr } from '../tools/xml/attrs.ts';
import { parseXml } from '../tools/xml/dom.ts';
import { withTransaction } from '../db/pool.ts';
import { DataTableError } from './errors.ts';
import { importTableConfText } from './import-export.ts';
import { parseManagerConf, type ManagerConf, type ManagerTable } from './manager-conf.ts';
import type { DataTable, RowFields } from './model.ts';
import { referenceValue } from './reference-bundle.ts';
import { getTable, mergeRows, removeRow, type MergeResult } from './store.ts';

/** The extra files of one output, as the executor stored them (a reference bundle). */
export interface ExtraFilesBundle {
  sha256: string;
  files: string[];
  /** The output's extra files directory on the job node, for JSON that gives absolute paths. */
  root: string;
}

export interface FinishedOutput {
  name: string;
  objectKey: string;
  size: number;
  extraFiles?: ExtraFilesBundle;
}

const MAX_JSON_BYTES = 16 * 1024 * 1024;

// ------------------------------------------------------------------ registration

export interface RegisteredManager {
  id: string;
  toolId: string;
  tables: string[];
}

async function firstExisting(files: string[]): Promise<string | undefined> {
  for (const f of files) if ((await stat(f).catch(() => null))?.isFile()) return f;
  return undefined;
}

/**
 * Registers the data managers of a directory: its tools go into the tool store, the tables of
 * its `tool_data_table_conf.xml(.sample)` are defined (rows are never touched), and each
 * `<data_manager>` is recorded. Registering again (a reinstall) changes nothing.
 */
export async function registerDataManagers(pool: Pool, store: ObjectStore, dir: string): Promise<RegisteredManager[]> {
  const confFile = path.join(dir, 'data_manager_conf.xml');
  const confs = parseManagerConf(await readFile(confFile, 'utf8'), confFile);
  if (confs.length === 0) throw new DataTableError(`${confFile}: no <data_manager>`);
  const tableConf = await firstExisting([path.join(dir, 'tool_data_table_conf.xml'), path.join(dir, 'tool_data_table_conf.xml.sample')]);
  if (tableConf) await importTableConfText(pool, await readFile(tableConf, 'utf8'), tableConf);
  const toolIds = new Map<string, string>();
  for (const conf of confs) {
    const toolFile = path.resolve(dir, conf.toolFile);
    if (!toolFile.startsWith(path.resolve(dir) + path.sep)) throw new DataTableError(`data manager ${conf.id}: tool_file ${conf.toolFile} is outside ${dir}`);
    const xml = await readFile(toolFile, 'utf8').catch(() => {
      throw new DataTableError(`data manager ${conf.id}: tool_file ${conf.toolFile} not found in ${dir}`);
    });
    const root = parseXml(xml, toolFile);
    const toolId = attr(root, 'id');
    if (!toolId) throw new DataTableError(`data manager ${conf.id}: ${conf.toolFile} has no tool id`);
    if (attr(root, 'tool_type') !== 'manage_data') throw new DataTableError(`data manager ${conf.id}: tool ${toolId} must have tool_type="manage_data"`);
    toolIds.set(conf.id, toolId);
  }
  await registerToolDirectory(pool, store, dir);
  return withTransaction(pool, async (client) => {
    const out: RegisteredManager[] = [];
    for (const conf of confs) {
      for (const t of conf.tables) {
        const table = await getTable(client, t.name);
        if (!table) throw new DataTableError(`data manager ${conf.id}: table ${t.name} is not defined (add it to tool_data_table_conf.xml)`, t.name);
        for (const c of t.columns) if (!table.columns.includes(c)) throw new DataTableError(`data manager ${conf.id}: table ${t.name} has no column ${c}`, t.name);
      }
      await client.query(
        `INSERT INTO data_managers (id, tool_id, tables) VALUES ($1, $2, $3)
         ON CONFLICT (id) DO UPDATE SET tool_id = EXCLUDED.tool_id, tables = EXCLUDED.tables, update_time = now()`,
        [conf.id, toolIds.get(conf.id), JSON.stringify(conf.tables)],
      );
      out.push({ id: conf.id, toolId: toolIds.get(conf.id)!, tables: conf.tables.map((t) => t.name) });
    }
    return out;
  });
}

export async function managersForTool(db: Queryable, toolId: string): Promise<ManagerConf[]> {
  const { rows } = await db.query<{ id: string; tables: ManagerTable[] }>('SELECT id, tables FROM data_managers WHERE tool_id = $1 ORDER BY id', [toolId]);
  return rows.map((r) => ({ id: r.id, toolFile: '', tables: r.tables }));
}

// ------------------------------------------------------------------ finishing a data manager job

interface PlannedChange {
  table: string;
  add: RowFields[];
  addLabels: string[];
  remove: RowFields[];
}

function entriesOf(raw: unknown, where: string): { add: unknown[]; remove: unknown[] } {
  if (Array.isArray(raw)) return { add: raw, remove: [] };
  if (raw && typeof raw === 'object') {
    const o = raw as Record<string, unknown>;
    if ('add' in o || 'remove' in o) {
      const list = (v: unknown, k: string) => {
        if (v === undefined) return [];
        if (!Array.isArray(v)) throw new DataTableError(`${where}: "${k}" must be a list of entries`);
        return v;
      };
      return { add: list(o.add, 'add'), remove: list(o.remove, 'remove') };
    }
    return { add: [raw], remove: [] }; // one entry given as an object
  }
  throw new DataTableError(`${where}: expected a list of entries`);
}

function resolvePath(value: string, extra: ExtraFilesBundle | undefined, where: string, output: string): string {
  if (!extra) throw new DataTableError(`${where}: path ${JSON.stringify(value)} points into the extra files of output ${output}, which the job did not write`);
  let rel = value;
  if (path.posix.isAbsolute(value)) {
    if (value !== extra.root && !value.startsWith(`${extra.root}/`)) {
      throw new DataTableError(`${where}: path ${JSON.stringify(value)} is outside the extra files directory of output ${output}`);
    }
    rel = value.slice(extra.root.length + 1);
  }
  rel = path.posix.normalize(rel || '.');
  if (rel === '..' || rel.startsWith('../')) throw new DataTableError(`${where}: path ${JSON.stringify(value)} is outside the extra files directory of output ${output}`);
  if (rel === '.') rel = '';
  const exists = rel === '' || extra.files.includes(rel) || extra.files.some((f) => f.startsWith(`${rel}/`));
  if (!exists) throw new DataTableError(`${where}: path ${JSON.stringify(value)} is not among the files the job wrote in the extra files of output ${output}`);
  return referenceValue(extra.sha256, rel);
}

function entryFields(entry: unknown, table: DataTable, managed: ManagerTable | undefined, outputs: FinishedOutput[], where: string): RowFields {
  if (!entry || typeof entry !== 'object' || Array.isArray(entry)) throw new DataTableError(`${where}: expected an object of column values, got ${JSON.stringify(entry)?.slice(0, 200)}`);
  const e = entry as Record<string, unknown>;
  const unknown = Object.keys(e).filter((k) => !table.columns.includes(k));
  if (unknown.length) throw new DataTableError(`${where}: unknown column${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (the table has ${table.columns.join(', ')})`);
  return table.columns.map((c) => {
    const v = e[c];
    if (v === undefined || v === null) throw new DataTableError(`${where}: column ${c} is missing (the table has ${table.columns.join(', ')})`);
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw new DataTableError(`${where}: column ${c} must be a string, got ${JSON.stringify(v).slice(0, 100)}`);
    const text = String(v);
    if (/[\t\r\n]/.test(text)) throw new DataTableError(`${where}: column ${c} contains a tab or line break`);
    const outputRef = managed?.pathColumns[c];
    if (!outputRef) return text;
    return resolvePath(text, outputs.find((o) => o.name === outputRef)?.extraFiles, `${where}: column ${c}`, outputRef);
  });
}

async function readManagerJson(store: ObjectStore, outputs: FinishedOutput[]): Promise<Record<string, unknown>> {
  const tables: Record<string, unknown> = {};
  let found = false;
  for (const out of outputs) {
    if (out.size > MAX_JSON_BYTES || out.size === 0) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse((await buffer(await store.get(out.objectKey))).toString('utf8'));
    } catch {
      continue; // not this output
    }
    const dt = (parsed as { data_tables?: unknown })?.data_tables;
    if (dt && typeof dt === 'object' && !Array.isArray(dt)) {
      found = true;
      Object.assign(tables, dt);
    }
  }
  if (!found) throw new DataTableError('the data manager wrote no JSON with "data_tables" in its outputs');
  return tables;
}

/** Checks every entry; nothing is written here. */
async function planChanges(db: Queryable, store: ObjectStore, managers: ManagerConf[], outputs: FinishedOutput[]): Promise<PlannedChange[]> {
  const json = await readManagerJson(store, outputs);
  const plans: PlannedChange[] = [];
  for (const [name, raw] of Object.entries(json)) {
    const manager = managers.find((m) => m.tables.some((t) => t.name === name));
    const ownerId = manager?.id ?? managers[0]!.id;
    if (!manager) throw new DataTableError(`data manager ${ownerId}: table ${name} is not one of the tables it manages (${managers.flatMap((m) => m.tables.map((t) => t.name)).join(', ')})`, name);
    const table = await getTable(db, name);
    if (!table) throw new DataTableError(`data manager ${ownerId}: table ${name} does not exist`, name);
    const managed = manager.tables.find((t) => t.name === name);
    const { add, remove } = entriesOf(raw, `table ${name}`);
    plans.push({
      table: name,
      add: add.map((e, i) => entryFields(e, table, managed, outputs, `table ${name} entry ${i + 1}`)),
      addLabels: add.map((_, i) => `entry ${i + 1}`),
      remove: remove.map((e, i) => entryFields(e, table, managed, outputs, `table ${name} removal ${i + 1}`)),
    });
  }
  return plans;
}

/**
 * Called by job.finish inside its transaction for a successful job. Returns the problems that
 * make the job fail (nothing was merged then), or [] after merging every entry.
 */
export async function applyDataManagerOutput(
  client: PoolClient,
  store: ObjectStore,
  job: { id: number; tool_id: string },
  outputs: FinishedOutput[],
): Promise<{ problems: string[]; merged: MergeResult[] }> {
  const managers = await managersForTool(client, job.tool_id);
  if (managers.length === 0) return { problems: [], merged: [] };
  let plans: PlannedChange[];
  try {
    plans = await planChanges(client, store, managers, outputs);
  } catch (error) {
    if (error instanceof DataTableError) return { problems: [`data manager ${managers[0]!.id}: ${error.message}; no table was changed`], merged: [] };
    throw error;
  }
  const source = `data_manager:${managers[0]!.id}:job:${job.id}`;
  const merged: MergeResult[] = [];
  for (const plan of plans) {
    for (const fields of plan.remove) await removeRow(client, plan.table, fields, source);
    merged.push(await mergeRows(client, plan.table, plan.add, source, (i) => plan.addLabels[i]!));
  }
  return { problems: [], merged };
}
