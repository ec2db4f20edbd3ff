import { Command, Option } from 'commander';
import { ConfigError, loadConfig } from '../config/load.ts';
import { migrate } from '../db/migrate.ts';
import { StartupError, openDatabase, resolveDatabaseUrl } from '../runtime/database.ts';
import { startRuntime, type Role } from '../runtime/index.ts';
import { createLogger } from '../util/log.ts';
import { adminCommands } from './admin.ts';
import { toolCommands } from './tool.ts';
import { dataTableCommands } from './datatables.ts';
import { jobExecCommand } from './job-exec.ts';
import { containerCommands } from './containers.ts';

const program = new Command('nebula').description('Nebula: a cloud-native, Galaxy-compatible analysis server');
program.option('-c, --config <file>', 'YAML configuration file (or NEBULA_CONFIG)');

const config = () => loadConfig(process.env, program.opts().config);

program
  .command('serve')
  .description('run the server')
  .addOption(new Option('--role <role>', 'which part to run').choices(['api', 'worker', 'all']).default('all'))
  .option('--port <port>', 'HTTP port (overrides NEBULA_PORT)')
  .action(async (opts: { role: Role; port?: string }) => {
    const cfg = config();
    if (opts.port !== undefined) cfg.port = Number(opts.port);
    const log = createLogger(cfg.logLevel, { role: opts.role });
    const runtime = await startRuntime(cfg, opts.role, log);
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'shutting down');
      const hardStop = setTimeout(() => process.exit(1), (cfg.tasks.shutdownSeconds + 10) * 1000);
      hardStop.unref();
      void runtime.stop().then(
        () => process.exit(0),
        (err) => {
          log.error({ err: String(err) }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
  });

program
  .command('migrate')
  .description('apply database migrations and exit')
  .action(async () => {
    const cfg = config();
    const log = createLogger(cfg.logLevel);
    const pool = await openDatabase(await resolveDatabaseUrl(cfg, log), 2, log, false);
    const applied = await migrate(pool, (m) => log.info(m));
    process.stdout.write(applied.length ? `applied migrations ${applied.join(', ')}\n` : 'database is up to date\n');
    await pool.end();
  });

program.addCommand(adminCommands(config));
program.addCommand(toolCommands(config));
program.addCommand(dataTableCommands(config));
program.addCommand(jobExecCommand());
program.addCommand(containerCommands(config));

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof StartupError) {
    process.stderr.write(`nebula: ${err.message}\n`);
  } else {
    process.stderr.write(`nebula: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  process.exit(1);
});
