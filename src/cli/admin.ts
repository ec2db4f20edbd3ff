import { Command } from 'commander';
import type { Config } from '../config/schema.ts';
import type { Pool } from '../db/pool.ts';
import { stopEmbeddedPostgres } from '../db/embedded.ts';
import { hashPassword, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../model/passwords.ts';
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

/** The whole of stdin without its final newline, checked against the API's password bounds. */
async function passwordFromStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new Error('--password-stdin reads the password from a pipe, e.g. `printf %s "$PW" | nebula admin create-user ...`');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (password.length < PASSWORD_MIN_LENGTH || password.length > PASSWORD_MAX_LENGTH) {
    throw new Error(`the password on stdin must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long (got ${password.length})`);
  }
  return password;
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
    // From stdin, never argv: a password on the command line shows in `ps` and shell history.
    .option('--password-stdin', 'read a password for Basic login (GET /api/authenticate/baseauth) from stdin', false)
    .action(async (o: { email: string; username: string; admin: boolean; passwordStdin: boolean }) => {
      const passwordHash = o.passwordStdin ? await hashPassword(await passwordFromStdin()) : undefined;
      await withPool(config, async (pool) => {
        const user = await createUser(pool, { email: o.email, username: o.username, isAdmin: o.admin, passwordHash });
        return { email: user.email, api_key: await createApiKey(pool, user.id) };
      });
    });

  admin
    .command('stop-embedded-db')
    .description('stop the embedded PostgreSQL server under NEBULA_HOME')
    .action(async () => stopEmbeddedPostgres(config().home));

  return admin;
}
