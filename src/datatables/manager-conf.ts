/**
 * `data_manager_conf.xml`: which tool is a data manager, which tables it fills, and which of the
 * columns it writes are paths into its output's extra files (`<column output_ref="out_file">`
 * with a `<move>`). Galaxy's `<move>` targets and `<value_translation>` name places on a shared
 * disk; Nebula replaces both by the reference bundle (see data-managers.ts).
 */
import { attr } from '../tools/xml/attrs.ts';
import { childElements, firstChild, parseXml } from '../tools/xml/dom.ts';
import { DataTableError } from './errors.ts';

export interface ManagerTable {
  name: string;
  /** Columns the manager's JSON gives, as listed under `<output>`. */
  columns: string[];
  /** Column → output name, for the columns that are paths into that output's extra files. */
  pathColumns: Record<string, string>;
}

export interface ManagerConf {
  id: string;
  toolFile: string;
  tables: ManagerTable[];
}

export function parseManagerConf(xml: string, file: string): ManagerConf[] {
  let root;
  try {
    root = parseXml(xml, file);
  } catch (error) {
    throw new DataTableError(`${file}: not valid XML: ${(error as Error).message}`);
  }
  return childElements(root, 'data_manager').map((el, i) => {
    const toolFile = attr(el, 'tool_file');
    if (!toolFile) throw new DataTableError(`${file}: data manager ${i + 1} has no tool_file`);
    const id = attr(el, 'id') ?? attr(el, 'guid') ?? toolFile.replace(/\.xml$/, '');
    const tables = childElements(el, 'data_table').map((t) => {
      const name = attr(t, 'name');
      if (!name) throw new DataTableError(`${file}: data manager ${id} has a <data_table> without a name`);
      const output = firstChild(t, 'output');
      const columns: string[] = [];
      const pathColumns: Record<string, string> = {};
      for (const c of output ? childElements(output, 'column') : []) {
        const column = attr(c, 'name');
        if (!column) continue;
        columns.push(column);
        const ref = attr(c, 'output_ref');
        if (ref) pathColumns[column] = ref;
      }
      return { name, columns, pathColumns };
    });
    return { id, toolFile, tables };
  });
}
