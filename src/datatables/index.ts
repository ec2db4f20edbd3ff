/** Reference data: data tables in the database, reference bundles in the object store, data managers. */
export { DataTableError, DataTableNotFoundError } from './errors.ts';
export { defaultKeyColumns, rowIdentity, rowRecord, type DataTable, type DataTableDefinition, type RowFields } from './model.ts';
export { formatLoc, parseLoc, parseLocLines, parseTableConf } from './conf.ts';
export { defineTable, defineTableIfAbsent, getTable, listTables, mergeRows, removeRow, requireTable, tableRows, tableWithRows, type MergeResult } from './store.ts';
export { DEFAULT_DATA_TABLES, ensureDefaultDataTables } from './defaults.ts';
export { exportLoc, importTableConf, importTableConfText, type ImportedTable, type ImportOptions } from './import-export.ts';
export type { UploadOptions } from './upload-paths.ts';
export { parseManagerConf, type ManagerConf } from './manager-conf.ts';
export { applyDataManagerOutput, registerDataManagers, managersForTool, type ExtraFilesBundle, type FinishedOutput } from './data-managers.ts';
export { parseReferenceValue, referenceFiles, referenceValue, storeDirectoryAsBundle, storeReferencePath, REFERENCE_SCHEME } from './reference-bundle.ts';
export { bundlesIn, dataTablesOf, snapshotDataTables, snapshotRecords, type DataTableSnapshot } from './job-rows.ts';
export { dataTableRowsProvider, fillDataTableOptions } from './form-options.ts';
