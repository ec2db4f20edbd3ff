/**
 * The data tables a fresh Nebula has, empty, so tools that select a reference genome find their
 * table and admins fill it (`nebula datatables import`, data managers) without defining it first.
 * Galaxy ships `all_fasta` in its tool_data_table_conf.xml.sample; `fasta_indexes` is the table
 * of the samtools/picard/GATK wrappers (the IUC's data_manager_sam_fasta_index_builder), with the
 * same columns. A table that already exists is never touched, whatever its definition.
 */
import { withTransaction, type Pool } from '../db/pool.ts';
import { defaultKeyColumns, type DataTableDefinition } from './model.ts';
import { defineTableIfAbsent } from './store.ts';

const REFERENCE_COLUMNS = ['value', 'dbkey', 'name', 'path'];

export const DEFAULT_DATA_TABLES: readonly DataTableDefinition[] = [
  { name: 'all_fasta', columns: REFERENCE_COLUMNS, keyColumns: defaultKeyColumns(REFERENCE_COLUMNS), commentChar: '#' },
  { name: 'fasta_indexes', columns: REFERENCE_COLUMNS, keyColumns: defaultKeyColumns(REFERENCE_COLUMNS), commentChar: '#' },
];

/** Defines the default tables that do not exist yet; returns the names it created. */
export async function ensureDefaultDataTables(pool: Pool): Promise<string[]> {
  return withTransaction(pool, async (client) => {
    const created: string[] = [];
    for (const def of DEFAULT_DATA_TABLES) if (await defineTableIfAbsent(client, def, 'default')) created.push(def.name);
    return created;
  });
}
