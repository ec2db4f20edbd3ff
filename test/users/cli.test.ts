/**
 * `nebula admin create-user --password-stdin`, run as the real CLI: the password is read from a
 * pipe (never argv), kept only as its hash, and opens Basic login; a bad one is refused with its
 * reason and creates no user.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { findLoginUser } from '../../src/model/users.ts';
import { verifyPassword } from '../../src/model/passwords.ts';
import { freshDatabase, type TestDatabase } from '../helpers/db.ts';
import { NEBULA_BIN } from '../helpers/processes.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase();
});
afterAll(async () => db?.drop());

function createUserCli(args: string[], stdin: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [NEBULA_BIN, 'admin', 'create-user', ...args], {
      env: { ...process.env, DATABASE_URL: db.url, NEBULA_LOG_LEVEL: 'warn' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

it('stores only a hash of the password read from stdin, and that password opens Basic login', async () => {
  const run = await createUserCli(['--email', 'operator@example.org', '--username', 'operator', '--admin', '--password-stdin'], 'correct horse battery\n');
  expect(run.code, run.stderr).toBe(0);
  expect(JSON.parse(run.stdout.slice(run.stdout.indexOf('{')))).toMatchObject({ email: 'operator@example.org', api_key: expect.any(String) });
  const login = await findLoginUser(db.pool, 'operator');
  expect(login?.user.is_admin).toBe(true);
  expect(login?.passwordHash).toMatch(/^scrypt\$/);
  expect(login?.passwordHash).not.toContain('correct horse');
  expect(await verifyPassword('correct horse battery', login?.passwordHash)).toBe(true);
  expect(await verifyPassword('correct horse battery\n', login?.passwordHash)).toBe(false);
}, 60_000);

it('refuses a password that is too short, naming the bound, and creates no user', async () => {
  const run = await createUserCli(['--email', 'short@example.org', '--username', 'short', '--password-stdin'], 'abc\n');
  expect(run.code).not.toBe(0);
  expect(run.stderr).toMatch(/password on stdin must be 6 to 1024 characters long \(got 3\)/);
  expect(await findLoginUser(db.pool, 'short')).toBeNull();
}, 60_000);
