/**
 * The executor end to end against real components: inputs and the tool bundle in s3rver, the
 * command rendered by the real Cheetah engine and run by bash, outputs pushed back to s3rver, and
 * the report POSTed to an HTTP server standing in for the jobs API.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJobServerClient } from '../../src/jobs/executor/client.ts';
import { executeJob } from '../../src/jobs/executor/execute.ts';
import { NodeCache } from '../../src/jobs/executor/node-cache.ts';
import type { JobSpec } from '../../src/jobs/interfaces.ts';
import { S3ObjectStore, type ObjectStore } from '../../src/objectstore/index.ts';
import { startS3rver, type S3rverHandle } from '../helpers/s3rver.ts';
import { dataset, makeSpec, putToolBundle, startFakeJobServer } from './executor-helpers.ts';

let s3: S3rverHandle;
let store: ObjectStore;
let work: string;

beforeAll(async () => {
  s3 = await startS3rver();
  store = new S3ObjectStore(s3.s3Config());
  work = await mkdtemp(path.join(os.tmpdir(), 'nebula-exec-test-'));
}, 60_000);

afterAll(async () => {
  await store?.close?.();
  await s3?.stop();
  await rm(work, { recursive: true, force: true });
});

async function run(spec: JobSpec, options: { keepScratch?: boolean; walltimeKill?: number; onStart?: (server: Awaited<ReturnType<typeof startFakeJobServer>>) => void; cacheMaxBytes?: number } = {}) {
  const server = await startFakeJobServer(spec);
  try {
    options.onStart?.(server);
    const outcome = await executeJob({
      settings: { scratchRoot: path.join(work, 'scratch'), heartbeatSeconds: 0.2, killGraceSeconds: options.walltimeKill ?? 1, keepScratch: options.keepScratch ?? false },
      store,
      cache: new NodeCache(path.join(work, 'cache'), options.cacheMaxBytes ?? 1 << 30),
      client: createJobServerClient({ serverUrl: server.url, jobId: spec.jobId, attempt: spec.attempt, token: server.token, retryForMs: 2000 }),
    });
    return { outcome, server };
  } finally {
    await server.close();
  }
}

const MAIN_TOOL = `<tool id="j2_test" name="J2 test" version="1.0" profile="21.01">
  <command><![CDATA[
    cat '$input1' > '$out_cat' &&
    echo '$text' > '$out_text' &&
    printf 'a\\tb\\n' > work_result.tsv &&
    mkdir -p split && printf 'x\\n' > split/part_b.txt && printf 'y\\n' > split/part_a.txt &&
    printf '>s1\\nACGT\\n' > primary_1_seq_visible_fasta &&
    '$__tool_directory__/helper.sh' > '$out_script' &&
    echo "slots=\\$GALAXY_SLOTS mem=\\$GALAXY_MEMORY_MB home=\\$HOME" > '$out_env' &&
    env > all_env.txt
  ]]></command>
  <inputs>
    <param name="input1" type="data" format="tabular"/>
    <param name="text" type="text" value="hi"/>
  </inputs>
  <outputs>
    <data name="out_cat" format_source="input1"/>
    <data name="out_text" format="auto"/>
    <data name="out_wd" format="tabular" from_work_dir="work_result.tsv"/>
    <data name="out_script" format="txt"/>
    <data name="out_env" format="txt"/>
    <data name="report" format="txt">
      <discover_datasets pattern="__default__" visible="false"/>
    </data>
    <collection name="parts" type="list">
      <discover_datasets pattern="__designation_and_ext__" directory="split" visible="true"/>
    </collection>
  </outputs>
</tool>`;

async function mainSpec(textValue: string): Promise<JobSpec> {
  const bundleKey = await putToolBundle(store, {
    'tool.xml': { text: MAIN_TOOL },
    'helper.sh': { text: '#!/bin/sh\necho helper ran\n', mode: 0o755 },
  });
  await store.put('datasets/aa/input-one', 'chr1\t10\t20\nchr2\t30\t40\n');
  return makeSpec({
    bundleKey,
    toolState: { input1: dataset('in1', 'tabular'), text: textValue },
    inputs: [{ id: 'in1', objectKey: 'datasets/aa/input-one', size: 22, ext: 'tabular', name: 'input one' }],
    outputs: ['out_cat', 'out_text', 'out_wd', 'out_script', 'out_env', 'report'].map((name) => ({ name, format: name === 'out_text' ? 'auto' : name === 'out_cat' ? 'input' : name === 'out_wd' ? 'tabular' : 'txt' })),
  });
}

describe('nebula job-exec: executor', () => {
  it('stages from S3, runs the tool, collects from_work_dir and discovered datasets, and reports', async () => {
    const spec = await mainSpec('hello world');
    const { outcome, server } = await run(spec);
    expect(outcome.outcome).toBe('reported');
    expect(server.reports).toHaveLength(1);
    const report = server.reports[0]!;
    expect(report.messages).toEqual([]);
    expect(report.state).toBe('ok');
    expect(report.exitCode).toBe(0);
    const byName = new Map(report.outputs.map((o) => [o.name, o]));
    const read = async (name: string) => text(await store.get(byName.get(name)!.objectKey));
    expect(await read('out_cat')).toBe('chr1\t10\t20\nchr2\t30\t40\n');
    expect(byName.get('out_cat')!.ext).toBe('tabular'); // format_source
    expect(byName.get('out_cat')!.metadata.columns).toBe(3);
    expect(await read('out_text')).toBe('hello world\n');
    expect(byName.get('out_text')!.ext).toBe('txt'); // auto, sniffed
    expect(await read('out_wd')).toBe('a\tb\n');
    expect(byName.get('out_wd')!.peek).toContain('a');
    expect(await read('out_script')).toBe('helper ran\n'); // the bundle kept the executable bit
    expect(await read('out_env')).toBe(`slots=2 mem=512 home=${path.join(work, 'scratch', `${spec.jobUuid}-1`, 'home')}\n`);
    for (const o of report.outputs) expect(o.objectKey).toBe(spec.outputs.find((s) => s.name === o.name)!.objectKey);

    const parts = report.discovered.filter((d) => d.parent === 'parts');
    expect(parts.map((d) => [d.designation, d.ext, d.visible])).toEqual([
      ['part_a', 'txt', true],
      ['part_b', 'txt', true],
    ]);
    expect(await text(await store.get(parts[0]!.objectKey))).toBe('y\n');
    const primaries = report.discovered.filter((d) => d.parent === 'report');
    expect(primaries.map((d) => [d.designation, d.ext, d.visible])).toEqual([['seq', 'fasta', true]]);
    expect(primaries[0]!.metadata.sequences).toBe(1);
    for (const d of report.discovered) expect(d.objectKey.startsWith(spec.discoveredPrefix)).toBe(true);
    expect(report.metrics.runtimeSeconds).toBeGreaterThanOrEqual(0);
    // The scratch directory is ephemeral.
    expect(existsSync(path.join(work, 'scratch', `${spec.jobUuid}-1`))).toBe(false);
  }, 60_000);

  it('never lets a hostile parameter reach the shell unsanitized, nor the job token reach the tool', async () => {
    const spec = await mainSpec(`x'; touch ${work}/pwned; echo '$(id)\`id\``);
    const { server } = await run(spec, { keepScratch: true });
    const report = server.reports[0]!;
    expect(report.state).toBe('ok');
    expect(existsSync(path.join(work, 'pwned'))).toBe(false);
    expect(report.commandLine).toContain('__sq__');
    expect(report.commandLine).not.toContain(`'; touch`);
    const env = await readFile(path.join(work, 'scratch', `${spec.jobUuid}-1`, 'working', 'all_env.txt'), 'utf8');
    expect(env).not.toContain('NEBULA_JOB_TOKEN');
    expect(env).not.toContain(server.token);
    expect(env).toContain('GALAXY_SLOTS=2');
    await rm(path.join(work, 'scratch', `${spec.jobUuid}-1`), { recursive: true, force: true });
  }, 60_000);

  it('reuses the node cache by content id and rerunning the same attempt puts the same keys', async () => {
    const spec = await mainSpec('again');
    const first = await run(spec);
    const cached = await readdir(path.join(work, 'cache', 'objects'));
    expect(cached.length).toBeGreaterThan(0);
    const second = await run(spec);
    expect(await readdir(path.join(work, 'cache', 'objects'))).toEqual(cached);
    const keys = (r: typeof first) => (r.outcome.outcome === 'reported' ? r.outcome.report.outputs.map((o) => [o.name, o.objectKey, o.size]) : []);
    expect(keys(second)).toEqual(keys(first));
  }, 60_000);

  it('an evicting cache stays within its bound', async () => {
    const bundleKey = await putToolBundle(store, { 'tool.xml': { text: MAIN_TOOL }, 'helper.sh': { text: '#!/bin/sh\necho helper ran\n', mode: 0o755 } });
    const cache = new NodeCache(path.join(work, 'small-cache'), 100);
    for (let i = 0; i < 5; i++) {
      await store.put(`datasets/bb/in-${i}`, 'x'.repeat(40));
      await cache.stage(store, `datasets/bb/in-${i}`, 40, path.join(work, `staged-${i}`));
    }
    const left = await readdir(path.join(work, 'small-cache', 'objects'));
    expect(left.length).toBeLessThanOrEqual(2);
    // A staged file survives eviction of its cache entry (hardlink).
    expect(await readFile(path.join(work, 'staged-0'), 'utf8')).toBe('x'.repeat(40));
    expect(bundleKey).toMatch(/^tools\//);
  });

  it('a tool that writes no declared output errors with a clear message', async () => {
    const bundleKey = await putToolBundle(store, {
      'tool.xml': { text: `<tool id="none" name="none" version="1" profile="21.01"><command>true</command><inputs/><outputs><data name="out1" format="txt"/></outputs></tool>` },
    });
    const spec = makeSpec({ bundleKey, toolState: {}, outputs: [{ name: 'out1', format: 'txt' }] });
    const { server } = await run(spec);
    expect(server.reports[0]!.state).toBe('error');
    expect(server.reports[0]!.messages).toContain('tool produced no output out1');
  }, 30_000);

  it('a tool that runs past its walltime is killed with its whole process group', async () => {
    const bundleKey = await putToolBundle(store, {
      'tool.xml': { text: `<tool id="forever" name="forever" version="1" profile="21.01"><command>sleep 1000 &amp; echo \\$! > child.pid; sleep 1000</command><inputs/><outputs><data name="out1" format="txt"/></outputs></tool>` },
    });
    const spec = makeSpec({ bundleKey, toolState: {}, outputs: [{ name: 'out1', format: 'txt' }], walltimeSeconds: 1 });
    const { server } = await run(spec, { keepScratch: true });
    const report = server.reports[0]!;
    expect(report.state).toBe('error');
    expect(report.messages[0]).toMatch(/walltime of 1 s/);
    const childPid = Number(await readFile(path.join(work, 'scratch', `${spec.jobUuid}-1`, 'working', 'child.pid'), 'utf8'));
    await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(`/proc/${childPid}`) && !(await readFile(`/proc/${childPid}/stat`, 'utf8')).includes(') Z ')).toBe(false);
  }, 30_000);

  it('a tool killed by a signal is reported with the signal', async () => {
    const bundleKey = await putToolBundle(store, {
      'tool.xml': { text: `<tool id="sig" name="sig" version="1" profile="21.01"><command>echo started; kill -KILL \\$\\$</command><inputs/><outputs><data name="out1" format="txt"/></outputs></tool>` },
    });
    const spec = makeSpec({ bundleKey, toolState: {}, outputs: [{ name: 'out1', format: 'txt' }] });
    const { server } = await run(spec);
    const report = server.reports[0]!;
    expect(report.state).toBe('error');
    expect(report.signal).toBe('SIGKILL');
    expect(report.exitCode).toBeNull();
    expect(report.messages).toContain('the tool was killed by signal SIGKILL');
    expect(report.stdout).toBe('started\n');
  }, 30_000);

  it('a failing exit code is judged by the stdio rules and the stderr is reported', async () => {
    const bundleKey = await putToolBundle(store, {
      'tool.xml': { text: `<tool id="fail" name="fail" version="1" profile="21.01"><command>echo oops >&amp;2; exit 3</command><inputs/><outputs><data name="out1" format="txt"/></outputs></tool>` },
    });
    const spec = makeSpec({ bundleKey, toolState: {}, outputs: [{ name: 'out1', format: 'txt' }] });
    const { server } = await run(spec);
    const report = server.reports[0]!;
    expect(report.state).toBe('error');
    expect(report.exitCode).toBe(3);
    expect(report.stderr).toBe('oops\n');
    expect(report.messages.join('\n')).toMatch(/Exit code 3/);
    expect(report.messages).not.toContain('tool produced no output out1');
  }, 30_000);

  it('a missing input object fails staging with a message naming it', async () => {
    const bundleKey = await putToolBundle(store, { 'tool.xml': { text: MAIN_TOOL }, 'helper.sh': { text: '#!/bin/sh\n', mode: 0o755 } });
    const spec = makeSpec({
      bundleKey,
      toolState: { input1: dataset('in1', 'tabular'), text: 'x' },
      inputs: [{ id: 'in1', objectKey: 'datasets/cc/missing', size: 5, ext: 'tabular', name: 'lost input' }],
      outputs: [{ name: 'out_cat', format: 'input' }],
    });
    const { server } = await run(spec);
    expect(server.reports[0]!.state).toBe('error');
    expect(server.reports[0]!.messages[0]).toMatch(/staging input "lost input" \(datasets\/cc\/missing\) failed: object not found/);
  }, 30_000);

  it('stops the tool and reports nothing when the server says the attempt was superseded', async () => {
    const bundleKey = await putToolBundle(store, {
      'tool.xml': { text: `<tool id="long" name="long" version="1" profile="21.01"><command>sleep 1000</command><inputs/><outputs><data name="out1" format="txt"/></outputs></tool>` },
    });
    const spec = makeSpec({ bundleKey, toolState: {}, outputs: [{ name: 'out1', format: 'txt' }] });
    const { outcome, server } = await run(spec, { onStart: (s) => setTimeout(() => s.supersede(), 500) });
    expect(outcome.outcome).toBe('superseded');
    expect(server.reports).toHaveLength(0);
    expect(server.heartbeats).toBeGreaterThan(1);
  }, 30_000);
});

describe('nebula job-exec: a job that fills its disk', () => {
  const small = path.join(os.tmpdir(), `nebula-enospc-${process.pid}`);
  let mounted = false;
  beforeAll(async () => {
    const { execFileSync } = await import('node:child_process');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(small, { recursive: true });
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', small], { stdio: 'ignore' });
      mounted = true;
    } catch {
      mounted = false;
    }
  });
  afterAll(async () => {
    const { execFileSync } = await import('node:child_process');
    if (mounted) execFileSync('umount', [small]);
    await rm(small, { recursive: true, force: true });
  });

  it('ends in error with a message saying the scratch disk is full', async () => {
    // Needs root to mount a 2 MiB tmpfs as the scratch disk (CI runs as root): fail, never skip.
    expect(mounted, 'could not mount a 2 MiB tmpfs as the scratch disk (run the tests as root)').toBe(true);
    const bundleKey = await putToolBundle(store, {
      'tool.xml': { text: `<tool id="fill" name="fill" version="1" profile="21.01"><command>head -c 8000000 /dev/zero > '$out1'</command><inputs/><outputs><data name="out1" format="txt"/></outputs></tool>` },
    });
    const spec = makeSpec({ bundleKey, toolState: {}, outputs: [{ name: 'out1', format: 'txt' }] });
    const server = await startFakeJobServer(spec);
    try {
      await executeJob({
        settings: { scratchRoot: small, heartbeatSeconds: 1, killGraceSeconds: 1, keepScratch: false },
        store,
        cache: new NodeCache(path.join(work, 'cache'), 1 << 30),
        client: createJobServerClient({ serverUrl: server.url, jobId: spec.jobId, attempt: spec.attempt, token: server.token }),
      });
    } finally {
      await server.close();
    }
    const report = server.reports[0]!;
    expect(report.state).toBe('error');
    expect(report.messages.join('\n')).toMatch(/ran out of disk space in its scratch directory/);
  }, 30_000);
});
