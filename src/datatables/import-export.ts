/**
 * `tool_data_table_conf.xml` + `.loc` files → the database, and a table → `.loc` text. An import
 * parses every file first and then writes everything in ONE transaction: a bad line anywhere
 * changes nothing.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { withTransaction, type Pool } from '../db/pool.ts';
import { formatLoc, locFileIn, parseLoc, parseTableConf, type ConfTable } from './conf.ts';
import { DataTableNotFoundError } from './errors.ts';
import type { RowFields } from './model.ts';
import { defineTable, mergeRows, tableWithRows, type MergeResult } from './store.ts';

export interface ImportedTable extends MergeResult {
  definition: 'created' | 'unchanged' | 'redefined';
  /** .loc files named by the configuration that were not found in the loc directory. */
  missingFiles: string[];
}

interface Planned {
  table: ConfTable;
  rows: RowFields[];
  labels: string[];
  missingFiles: string[];
}

async function planTable(table: ConfTable, locDir: string | undefined): Promise<Planned> {
  const plan: Planned = { table, rows: [], labels: [], missingFiles: [] };
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
    const rows = parseLoc(text, table, label);
    plan.rows.push(...rows);
    plan.labels.push(...rows.map((_, i) => `${label} row ${i + 1}`));
  }
  return plan;
}

/** Defines the tables of a configuration text and loads their rows from `locDir`. */
export async function importTableConfText(pool: Pool, xml: string, confLabel: string, locDir?: string): Promise<ImportedTable[]> {
  const tables = parseTableConf(xml, confLabel);
  const plans: Planned[] = [];
  for (const table of tables) plans.push(await planTable(table, locDir));
  return withTransaction(pool, async (client) => {
    const out: ImportedTable[] = [];
    for (const plan of plans) {
      const definition = await defineTable(client, plan.table, `conf:${path.basename(confLabel)}`);
      const merged = await mergeRows(client, plan.table.name, plan.rows, `loc:${plan.table.files.map((f) => path.basename(f)).join(',')}`, (i) => plan.labels[i] ?? `row ${i + 1}`);
      out.push({ ...merged, definition, missingFiles: plan.missingFiles });
    }
    return out;
  });
}

export async function importTableConf(pool: Pool, confPath: string, locDir?: string): Promise<ImportedTable[]> {
  const xml = await readFile(confPath, 'utf8');
  return importTableConfText(pool, xml, confPath, locDir ?? path.dirname(confPath));
}

/** The table as `.loc` text (a header comment naming the columns, then one row per line). */
export async function exportLoc(pool: Pool, name: string): Promise<string> {
  const found = await tableWithRows(pool, name);
  if (!found) throw new DataTableNotFoundError(name);
  return formatLoc(found.table, found.rows);
}
