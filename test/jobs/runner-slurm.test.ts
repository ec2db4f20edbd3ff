import { mkdtempSync, readFileSync, existsSync, writeFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DestinationConfig, SubmitRequest } from '../../src/jobs/interfaces.ts';
import {
  SlurmConfigError,
  SlurmUnavailableError,
  createSlurmRunner,
} from '../../src/jobs/runners/slurm.ts';
import { SNAPSHOT_MAX_AGE_MS, queueListingsTaken } from '../../src/jobs/runners/slurm/queue-snapshot.ts';
import { freePort } from '../helpers/processes.ts';
import { ensureSlurm, slurmCommand, waitForStatus } from './runner-slurm-cluster.ts';

const runner = createSlurmRunner();
const unique = `${process.pid}-${Date.now().toString(36)}`;
let dir: string;
let destination: DestinationConfig;
const toCancel: string[] = [];

/** Stand-in for `nebula job-exec`: records its environment and exits with EXIT_WITH. */
const STAND_IN = `#!/bin/bash
env > "$OUT_DIR/env-$NEBULA_JOB_ID-$NEBULA_JOB_ATTEMPT.txt"
echo done > "$OUT_DIR/done-$NEBULA_JOB_ID-$NEBULA_JOB_ATTEMPT"
sleep "\${SLEEP_FOR:-0}"
exit "\${EXIT_WITH:-0}"
`;

function request(jobId: number, extraEnv: Record<string, string> = {}, dest = destination): SubmitRequest {
  return {
    jobId,
    attempt: 1,
    name: `nebula-t${unique}-${jobId}-1`,
    executorCommand: ['/bin/bash', path.join(dir, 'stand-in.sh')],
    environment: {
      NEBULA_JOB_ID: String(jobId),
      NEBULA_JOB_ATTEMPT: '1',
      NEBULA_JOB_TOKEN: `secret-token-${unique}-${jobId}`,
      OUT_DIR: dir,
      ...extraEnv,
    },
    resources: { cores: 1, memoryMb: 100, walltimeSeconds: 600 },
    destination: dest,
  };
}

beforeAll(async () => {
  const slurmConf = await ensureSlurm();
  dir = mkdtempSync(path.join(os.tmpdir(), 'nebula-slurm-runner-'));
  chmodSync(dir, 0o755);
  writeFileSync(path.join(dir, 'stand-in.sh'), STAND_IN, { mode: 0o755 });
  destination = { id: 'slurm', runner: 'slurm', params: { slurmConf, partition: 'debug' } };
}, 130_000);

afterAll(async () => {
  for (const id of toCancel) await runner.cancel(id, destination).catch(() => {});
});

describe('slurm runner against a real single-node Slurm', () => {
  it('runs the executor with its environment passed in the script, not on a command line', async () => {
    process.env.NEBULA_TEST_WORKER_ONLY = 'must-not-reach-the-job';
    const req = request(101);
    const { externalId } = await runner.submit(req).finally(() => delete process.env.NEBULA_TEST_WORKER_ONLY);
    expect(externalId).toMatch(/^\d+$/);

    const shown = await slurmCommand(['scontrol', 'show', 'job', '--oneliner', externalId]);
    expect(shown).toContain(`JobName=${req.name}`);
    expect(shown).not.toContain(req.environment.NEBULA_JOB_TOKEN);
    const queue = await slurmCommand(['squeue', '--states=all', '--noheader', '--format=%i %j %o']);
    expect(queue).not.toContain(req.environment.NEBULA_JOB_TOKEN);

    const final = await waitForStatus(runner, externalId, destination, (s) => s.state === 'exited');
    expect(final).toMatchObject({ state: 'exited', exitCode: 0 });
    expect((final as { reason?: string }).reason).toContain('completed');

    const env = readFileSync(path.join(dir, 'env-101-1.txt'), 'utf8');
    expect(env).toContain(`NEBULA_JOB_TOKEN=${req.environment.NEBULA_JOB_TOKEN}`);
    expect(env).not.toContain('NEBULA_TEST_WORKER_ONLY');
  }, 90_000);

  it('reports a failing executor as exited with its exit code', async () => {
    const { externalId } = await runner.submit(request(102, { EXIT_WITH: '3' }));
    const final = await waitForStatus(runner, externalId, destination, (s) => s.state === 'exited');
    expect(final).toMatchObject({ state: 'exited', exitCode: 3 });
    expect((final as { reason?: string }).reason).toContain('failed');
  }, 90_000);

  it('adopts the job already submitted under the same name instead of submitting twice', async () => {
    const req = request(103, { SLEEP_FOR: '300' });
    const first = await runner.submit(req);
    toCancel.push(first.externalId);
    const second = await runner.submit(req);
    expect(second.externalId).toBe(first.externalId);
    const named = await slurmCommand(['squeue', '--noheader', '--states=all', `--name=${req.name}`, '--format=%i']);
    expect(named.trim().split('\n')).toEqual([first.externalId]);
  }, 90_000);

  it('does not adopt a same-named job of another installation (different token)', async () => {
    const ours = request(107, { SLEEP_FOR: '300' });
    const theirs = { ...ours, environment: { ...ours.environment, NEBULA_JOB_TOKEN: 'another-installation' } };
    const first = await runner.submit(theirs);
    toCancel.push(first.externalId);
    const second = await runner.submit(ours);
    toCancel.push(second.externalId);
    expect(second.externalId).not.toBe(first.externalId);
    expect((await runner.submit(ours)).externalId).toBe(second.externalId);
  }, 90_000);

  it('adopts a job that already finished (still remembered by the controller)', async () => {
    const req = request(104);
    const first = await runner.submit(req);
    await waitForStatus(runner, first.externalId, destination, (s) => s.state === 'exited');
    const again = await runner.submit(req);
    expect(again.externalId).toBe(first.externalId);
  }, 90_000);

  it('cancels a running job with scancel; status becomes exited (cancelled); cancelling again is fine', async () => {
    const req = request(105, { SLEEP_FOR: '300' });
    const { externalId } = await runner.submit(req);
    toCancel.push(externalId);
    await waitForStatus(runner, externalId, destination, (s) => s.state === 'running');
    await runner.cancel(externalId, destination);
    const final = await waitForStatus(runner, externalId, destination, (s) => s.state === 'exited');
    expect((final as { reason?: string }).reason).toContain('cancelled');
    await runner.cancel(externalId, destination);
  }, 90_000);

  it('answers the status of many watched jobs from one squeue listing', async () => {
    const ids: string[] = [];
    for (let n = 0; n < 4; n++) {
      const { externalId } = await runner.submit(request(110 + n, { SLEEP_FOR: '300' }));
      toCancel.push(externalId);
      ids.push(externalId);
    }
    for (const id of ids) await waitForStatus(runner, id, destination, (s) => s.state !== 'gone' && s.state !== 'exited');
    // Forty monitor polls at once, as a worker running many job.monitor tasks makes them.
    await new Promise((r) => setTimeout(r, SNAPSHOT_MAX_AGE_MS + 50));
    const before = queueListingsTaken();
    const statuses = await Promise.all(Array.from({ length: 40 }, (_, i) => runner.status(ids[i % ids.length]!, destination)));
    expect(queueListingsTaken() - before).toBe(1);
    for (const s of statuses) expect(['queued', 'running']).toContain(s.state);
    // A finished job is not answered from the listing: scontrol still gives its exit details.
    await runner.cancel(ids[0]!, destination);
    const final = await waitForStatus(runner, ids[0]!, destination, (s) => s.state === 'exited');
    expect((final as { reason?: string }).reason).toContain('cancelled');
    for (const id of ids.slice(1)) await runner.cancel(id, destination);
  }, 90_000);

  it('reports an id Slurm does not know as gone, and cancelling it is a no-op', async () => {
    expect(await runner.status('987654', destination)).toEqual({ state: 'gone' });
    await runner.cancel('987654', destination);
  });

  it('rejects bad destination params with an error naming the key', async () => {
    const bad: DestinationConfig = { id: 'hpc', runner: 'slurm', params: { partition: 'debug; rm -rf /' } };
    await expect(runner.submit(request(106, {}, bad))).rejects.toThrow(SlurmConfigError);
    await expect(runner.submit(request(106, {}, bad))).rejects.toThrow(/jobs\.destinations\[hpc\]\.params\.partition/);
    await expect(runner.status('not-an-id', destination)).rejects.toThrow(/not a Slurm job id/);
  });

  it('gives a retryable error naming the controller when slurmctld cannot be reached', async () => {
    const port = await freePort();
    const conf = readFileSync(destination.params.slurmConf as string, 'utf8').replace(
      /^SlurmctldHost=.*$/m,
      (line) => `${line}\nSlurmctldPort=${port}`,
    );
    const badConf = path.join(dir, 'unreachable.conf');
    writeFileSync(badConf, conf);
    const down: DestinationConfig = { id: 'down', runner: 'slurm', params: { slurmConf: badConf } };
    const err = await runner.status('1', down).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SlurmUnavailableError);
    expect((err as SlurmUnavailableError).retryable).toBe(true);
    expect((err as Error).message).toMatch(/Slurm controller .*\(127\.0\.0\.1\).* unreachable/);
    expect(existsSync(badConf)).toBe(true);
  }, 90_000);
});
