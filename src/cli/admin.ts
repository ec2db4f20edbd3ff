import { Command } from 'commander';
import type { Config } from '../config/schema.ts';
import type { Pool } from '../db/pool.ts';
import { stopEmbeddedPostgres } from '../db/embedded.ts';
import { createApiKey, createUser } from '../model/users.ts';
import { openDatabase, resolveDatabaseUrl } from '../runtime/database.ts';
import { cancelTask, listDeadTasks, readQueueGauges, retryDeadTask } from '../tasks/index.ts';
import { createLogger } from '../util/log.ts';

async function withPool<T>(config: () => Config, fn: (pool: Pool) => Promise<T>): Promise<void> {
  const cfg = config();
  const log = createLogger('warn');
  const pool = await openDatabase(await resolveDatabaseUrl(cfg, log), 2, log);
  try {
    const result = await fn(pool);
    if (result !== undefined) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await pool.end();
  }
}

const taskId = (raw: string) => {
  const id = Number(raw);
  if (!Number.isInteger(id) || id < 1) throw new Error(`task id must be a positive integer, got ${JSON.stringify(raw)}`);
  return id;
};

/** `nebula admin ...`: operator commands that talk to the database directly. */
export function adminCommands(config: () => Config): Command {
  const admin = new Command('admin').description('operator commands');

  admin.command('queues').description('backlog per queue (cluster-wide)').action(() => withPool(config, readQueueGauges));

  const tasks = admin.command('tasks').description('inspect and repair tasks');
  tasks
    .command('dead')
    .description('list tasks in dead-letter')
    .option('--queue <queue>')
    .option('--limit <n>', 'at most this many', '100')
    .action((o: { queue?: string; limit: string }) =>
      withPool(config, (pool) => listDeadTasks(pool, { queue: o.queue, limit: Number(o.limit) })),
    );
  tasks
    .command('retry <id>')
    .description('put a dead task back in its queue')
    .action((id: string) =>
      withPool(config, async (pool) => ({ id: taskId(id), retried: await retryDeadTask(pool, taskId(id)) })),
    );
  tasks
    .command('cancel <id>')
    .description('cancel a pending or running task')
    .action((id: string) =>
      withPool(config, async (pool) => ({ id: taskId(id), cancelled: await cancelTask(pool, taskId(id)) })),
    );

  admin
    .command('create-user')
    .description('create a user and print an API key for it')
    .requiredOption('--email <email>')
    .requiredOption('--username <username>')
    .option('--admin', 'make the user an administrator', false)
    .action((o: { email: string; username: string; admin: boolean }) =>
      withPool(config, async (pool) => {
        const user = await createUser(pool, { email: o.email, username: o.username, isAdmin: o.admin });
        return { email: user.email, api_key: await createApiKey(pool, user.id) };
      }),
    );

  admin
    .command('stop-embedded-db')
    .description('stop the embedded PostgreSQL server under NEBULA_HOME')
    .action(async () => stopEmbeddedPostgres(config().home));

  return admin;
}
