/**
 * `tool_data_table_conf.xml` + `.loc` files → the database, and a table → `.loc` text. An import
 * parses every file first (and with `upload`, checks and stores the files the path columns name)
 * and then writes everything in ONE transaction: a bad line or a missing file anywhere changes
 * nothing.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { withTransaction, type Pool } from '../db/pool.ts';
import { formatLoc, locFileIn, parseLocLines, parseTableConf, type ConfTable } from './conf.ts';
import { DataTableNotFoundError } from './errors.ts';
import { defineTable, mergeRows, tableWithRows, type MergeResult } from './store.ts';
import { uploadPathColumns, type LocRow, type UploadOptions } from './upload-paths.ts';

export interface ImportedTable extends MergeResult {
  definition: 'created' | 'unchanged' | 'redefined';
  /** .loc files named by the configuration that were not found in the loc directory. */
  missingFiles: string[];
  /** Path values stored as reference bundles (`upload`); 0 without it. */
  uploaded: number;
}

export interface ImportOptions {
  /** Store the files the path columns name as reference bundles and import `bundle:` values. */
  upload?: UploadOptions;
}

interface Planned {
  table: ConfTable;
  rows: LocRow[];
  missingFiles: string[];
}

async function planTable(table: ConfTable, locDir: string | undefined): Promise<Planned> {
  const plan: Planned = { table, rows: [], missingFiles: [] };
  if (!locDir) return plan;
  for (const configured of table.files) {
    const file = locFileIn(locDir, configured);
    const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (text === undefined) {
      plan.missingFiles.push(path.basename(configured));
      continue;
    }
    const label = path.basename(file);
    const here = path.dirname(path.resolve(file));
    for (const { fields, line } of parseLocLines(text, table, label)) plan.rows.push({ fields, label: `${label} line ${line}`, here });
  }
  return plan;
}

/** Defines the tables of a configuration text and loads their rows from `locDir`. */
export async function importTableConfText(pool: Pool, xml: string, confLabel: string, locDir?: string, options: ImportOptions = {}): Promise<ImportedTable[]> {
  const tables = parseTableConf(xml, confLabel);
  const plans: Planned[] = [];
  for (const table of tables) plans.push(await planTable(table, locDir));
  // Outside the transaction: an upload of gigabytes must not hold the tables' locks. A bundle
  // stored by an import that then fails is harmless: content-addressed, it is reused next time.
  const uploaded = options.upload ? await uploadPathColumns(plans, options.upload) : new Map<string, number>();
  return withTransaction(pool, async (client) => {
    const out: ImportedTable[] = [];
    for (const plan of plans) {
      const definition = await defineTable(client, plan.table, `conf:${path.basename(confLabel)}`);
      const source = `loc:${plan.table.files.map((f) => path.basename(f)).join(',')}`;
      const merged = await mergeRows(client, plan.table.name, plan.rows.map((r) => r.fields), source, (i) => plan.rows[i]?.label ?? `row ${i + 1}`);
      out.push({ ...merged, definition, missingFiles: plan.missingFiles, uploaded: uploaded.get(plan.table.name) ?? 0 });
    }
    return out;
  });
}

export async function importTableConf(pool: Pool, confPath: string, locDir?: string, options: ImportOptions = {}): Promise<ImportedTable[]> {
  const xml = await readFile(confPath, 'utf8');
  return importTableConfText(pool, xml, confPath, locDir ?? path.dirname(confPath), options);
}

/** The table as `.loc` text (a header comment naming the columns, then one row per line). */
export async function exportLoc(pool: Pool, name: string): Promise<string> {
  const found = await tableWithRows(pool, name);
  if (!found) throw new DataTableNotFoundError(name);
  return formatLoc(found.table, found.rows);
}
