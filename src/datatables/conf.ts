/**
 * Galaxy's files: `tool_data_table_conf.xml` (table names, columns, comment character, the .loc
 * file each table reads) and `.loc` files (one tab-separated row per line). Parsing never touches
 * the database, so a broken file is reported before anything is written.
 */
import path from 'node:path';
import { attr } from '../tools/xml/attrs.ts';
import { childElements, firstChild, parseXml, textOf } from '../tools/xml/dom.ts';
import { DataTableError } from './errors.ts';
import { defaultKeyColumns, type DataTableDefinition, type RowFields } from './model.ts';

export interface ConfTable extends DataTableDefinition {
  /** `<file path>` values as written in the configuration. */
  files: string[];
  /**
   * Columns holding paths to reference files, which `import --upload` stores as bundles: the
   * `path` column, as Galaxy reads it, or the columns named by `path_columns="a,b"` on `<table>`
   * (a Nebula attribute; Galaxy ignores it).
   */
  pathColumns: string[];
}

const NAME = /^[A-Za-z0-9_.-]{1,200}$/;

export function parseTableConf(xml: string, file: string): ConfTable[] {
  let root;
  try {
    root = parseXml(xml, file);
  } catch (error) {
    throw new DataTableError(`${file}: not valid XML: ${(error as Error).message}`);
  }
  const tables: ConfTable[] = [];
  for (const el of childElements(root, 'table')) {
    const name = attr(el, 'name') ?? '';
    if (!NAME.test(name)) throw new DataTableError(`${file}: table name ${JSON.stringify(name)} is not a valid data table name`);
    const columnsEl = firstChild(el, 'columns');
    const columns = columnsEl ? textOf(columnsEl).split(',').map((c) => c.trim()).filter(Boolean) : [];
    if (columns.length === 0) throw new DataTableError(`${file}: table ${name} has no <columns>`, name);
    if (new Set(columns).size !== columns.length) throw new DataTableError(`${file}: table ${name} names a column twice`, name);
    const keys = (attr(el, 'key_columns') ?? '').split(',').map((c) => c.trim()).filter(Boolean);
    for (const k of keys) if (!columns.includes(k)) throw new DataTableError(`${file}: table ${name}: key column ${k} is not one of its columns`, name);
    const marked = (attr(el, 'path_columns') ?? '').split(',').map((c) => c.trim()).filter(Boolean);
    for (const c of marked) if (!columns.includes(c)) throw new DataTableError(`${file}: table ${name}: path column ${c} is not one of its columns`, name);
    tables.push({
      name,
      columns,
      keyColumns: keys.length ? keys : defaultKeyColumns(columns),
      commentChar: attr(el, 'comment_char') ?? '#',
      files: childElements(el, 'file').map((f) => attr(f, 'path') ?? attr(f, 'from_config') ?? '').filter(Boolean),
      pathColumns: marked.length ? marked : columns.filter((c) => c === 'path'),
    });
  }
  return tables;
}

/** The rows of a `.loc` file; a line with the wrong number of fields is an error naming it. */
export function parseLoc(text: string, table: DataTableDefinition, fileLabel: string): RowFields[] {
  return parseLocLines(text, table, fileLabel).map((r) => r.fields);
}

/** parseLoc with each row's line number (from 1), for messages that point into the file. */
export function parseLocLines(text: string, table: DataTableDefinition, fileLabel: string): Array<{ fields: RowFields; line: number }> {
  const rows: Array<{ fields: RowFields; line: number }> = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === '' || (table.commentChar && line.startsWith(table.commentChar))) return;
    const fields = line.split('\t');
    if (fields.length !== table.columns.length) {
      throw new DataTableError(
        `table ${table.name}: ${fileLabel} line ${index + 1}: expected ${table.columns.length} tab-separated columns ` +
          `(${table.columns.join(', ')}), found ${fields.length}`,
        table.name,
      );
    }
    rows.push({ fields, line: index + 1 });
  });
  return rows;
}

/** `.loc` text for rows: a comment naming the columns, then one line per row. */
export function formatLoc(table: DataTableDefinition & { version?: number }, rows: RowFields[]): string {
  const head = `${table.commentChar || '#'} ${table.name}: ${table.columns.join('\t')}${table.version !== undefined ? ` (version ${table.version})` : ''}\n`;
  return head + rows.map((r) => `${r.join('\t')}\n`).join('');
}

/** Where a table's .loc file is in `--loc-dir`: its base name (Galaxy writes `tool-data/x.loc`). */
export function locFileIn(locDir: string, configured: string): string {
  return path.join(locDir, path.basename(configured));
}

/** Checks one row's fields against the table: a field may not hold a tab or a line break. */
export function checkFields(table: DataTableDefinition, fields: RowFields, where: string): void {
  if (fields.length !== table.columns.length) {
    throw new DataTableError(`table ${table.name}: ${where}: expected ${table.columns.length} columns (${table.columns.join(', ')}), found ${fields.length}`, table.name);
  }
  fields.forEach((f, i) => {
    if (/[\t\r\n]/.test(f)) throw new DataTableError(`table ${table.name}: ${where}: column ${table.columns[i]} contains a tab or line break`, table.name);
  });
}
