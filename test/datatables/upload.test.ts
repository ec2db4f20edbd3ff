/**
 * `.loc` import with `upload`: path columns that name local files become reference bundles
 * (a FASTA with its real `samtools faidx` index, a bwa-style index prefix, a directory), the
 * staged copy works with samtools, re-importing stores nothing new, and a missing path fails
 * naming table and line with no table changed and nothing uploaded. Also through the CLI.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataTableError, importTableConf, parseReferenceValue, tableWithRows } from '../../src/datatables/index.ts';
import { NodeCache } from '../../src/jobs/executor/node-cache.ts';
import type { ObjectStore } from '../../src/objectstore/index.ts';
import { bundleKey } from '../../src/toolstore/bundle.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { NEBULA_BIN } from '../helpers/processes.ts';

const SMALL_FA = path.join(import.meta.dirname, 'fixtures', 'small.fa');

let t: TestApp;
let work: string;
let refs: string;

const CONF = `<tables>
  <table name="all_fasta" comment_char="#">
    <columns>value, dbkey, name, path</columns>
    <file path="tool-data/all_fasta.loc" />
  </table>
  <table name="fasta_indexes" comment_char="#">
    <columns>value, dbkey, name, path</columns>
    <file path="tool-data/fasta_indexes.loc" />
  </table>
  <table name="bwa_mem_indexes" comment_char="#">
    <columns>value, dbkey, name, path</columns>
    <file path="tool-data/bwa_mem_index.loc" />
  </table>
  <table name="star_indexes" comment_char="#" path_columns="index_dir">
    <columns>value, dbkey, name, index_dir, with_gene_model</columns>
    <file path="tool-data/rnastar_index2.loc" />
  </table>
</tables>
`;

async function objectKeys(store: ObjectStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of store.list('tools/')) keys.push(o.key);
  return keys.sort();
}

/** A loc directory with the conf and the given .loc files (name → lines). */
async function locDir(name: string, files: Record<string, string[]>): Promise<string> {
  const dir = path.join(work, name);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'tool_data_table_conf.xml'), CONF);
  for (const [file, lines] of Object.entries(files)) await writeFile(path.join(dir, file), `# ${file}\n${lines.join('\n')}\n`);
  return dir;
}

beforeAll(async () => {
  execFileSync('samtools', ['--version'], { stdio: 'ignore' });
  t = await startTestApp();
  work = await mkdtemp(path.join(os.tmpdir(), 'nebula-loc-upload-'));
  refs = path.join(work, 'refs');
  await mkdir(path.join(refs, 'small'), { recursive: true });
  await copyFile(SMALL_FA, path.join(refs, 'small', 'small.fa'));
  execFileSync('samtools', ['faidx', path.join(refs, 'small', 'small.fa')]);
  // Beside it but not its index: must not be bundled with it.
  await writeFile(path.join(refs, 'small', 'small.fasta'), '>other\nAC\n');
  await writeFile(path.join(refs, 'small', 'notes.txt'), 'unrelated\n');
  await mkdir(path.join(refs, 'bwa'), { recursive: true });
  for (const ext of ['amb', 'ann', 'bwt', 'pac', 'sa']) await writeFile(path.join(refs, 'bwa', `small.${ext}`), `bwa ${ext}\n`);
  await mkdir(path.join(refs, 'star', 'small', 'sjdb'), { recursive: true });
  await writeFile(path.join(refs, 'star', 'small', 'Genome'), 'genome\n');
  await writeFile(path.join(refs, 'star', 'small', 'sjdb', 'sjdbList.out.tab'), 'chr1\t5\t9\t+\n');
}, 60_000);

afterAll(async () => {
  await t?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('import with upload', () => {
  it('stores the files path columns name as bundles, which stage and work with samtools', async () => {
    const dir = await locDir('good', {
      'all_fasta.loc': [`small\tsmall\tSmall genome\t${refs}/small/small.fa`],
      // ${__HERE__} is the .loc file's directory, as in Galaxy.
      'fasta_indexes.loc': ['small\tsmall\tSmall genome\t${__HERE__}/../refs/small/small.fa'],
      'bwa_mem_index.loc': [`small\tsmall\tSmall genome\t${refs}/bwa/small`],
      // Relative to baseDir.
      'rnastar_index2.loc': ['small\tsmall\tSmall genome\trefs/star/small\t0'],
    });
    const result = await importTableConf(t.db.pool, path.join(dir, 'tool_data_table_conf.xml'), undefined, { upload: { store: t.store, baseDir: work } });
    expect(result.map((r) => [r.table, r.added, r.uploaded])).toEqual([
      ['all_fasta', 1, 1],
      ['fasta_indexes', 1, 1],
      ['bwa_mem_indexes', 1, 1],
      ['star_indexes', 1, 1],
    ]);
    const value = async (table: string, column = 3) => (await tableWithRows(t.db.pool, table))!.rows[0]![column]!;
    const fasta = await value('all_fasta');
    expect(fasta).toMatch(/^bundle:[0-9a-f]{64}\/small\.fa$/);
    expect(await value('fasta_indexes')).toBe(fasta); // same files, same bundle
    expect(await value('bwa_mem_indexes')).toMatch(/^bundle:[0-9a-f]{64}\/small$/);
    expect(await value('star_indexes')).toMatch(/^bundle:[0-9a-f]{64}\/small$/);
    expect(await value('star_indexes', 4)).toBe('0'); // not a path column
    expect(await objectKeys(t.store)).toHaveLength(3);

    const cache = new NodeCache(path.join(work, 'node-cache'), 1 << 30);
    const local = async (v: string) => {
      const ref = parseReferenceValue(v)!;
      const root = await cache.bundle(t.store, bundleKey(ref.sha256));
      return { root, file: path.join(root, ref.path) };
    };
    const staged = await local(fasta);
    expect((await readdir(staged.root)).sort()).toEqual(['small.fa', 'small.fa.fai']);
    expect(await readFile(`${staged.file}.fai`, 'utf8')).toBe(await readFile(path.join(refs, 'small', 'small.fa.fai'), 'utf8'));
    const region = execFileSync('samtools', ['faidx', staged.file, 'chr1:3-12'], { encoding: 'utf8' });
    expect(region).toBe('>chr1:3-12\nGTACGTACGG\n');
    const bwa = await local(await value('bwa_mem_indexes'));
    expect((await readFile(`${bwa.file}.bwt`, 'utf8'))).toBe('bwa bwt\n');
    const star = await local(await value('star_indexes'));
    expect(await readFile(path.join(star.file, 'sjdb', 'sjdbList.out.tab'), 'utf8')).toBe('chr1\t5\t9\t+\n');

    // Again: the same bundles, so the same values; nothing changes and nothing new is stored.
    const again = await importTableConf(t.db.pool, path.join(dir, 'tool_data_table_conf.xml'), undefined, { upload: { store: t.store, baseDir: work } });
    expect(again.map((r) => [r.added, r.replaced, r.unchanged])).toEqual([[0, 0, 1], [0, 0, 1], [0, 0, 1], [0, 0, 1]]);
    expect(await objectKeys(t.store)).toHaveLength(3);
  });

  it('refuses a missing path naming table and line, changes no table and uploads nothing', async () => {
    const before = await Promise.all(['all_fasta', 'fasta_indexes'].map((n) => tableWithRows(t.db.pool, n)));
    const keys = await objectKeys(t.store);
    await writeFile(path.join(refs, 'small', 'fresh.fa'), '>fresh\nACGTACGT\n'); // would be a new bundle
    const dir = await locDir('missing', {
      'all_fasta.loc': [`fresh\tfresh\tFresh\t${refs}/small/fresh.fa`],
      'fasta_indexes.loc': [`fresh\tfresh\tFresh\t${refs}/small/fresh.fa`, `gone\tgone\tGone\t${refs}/nowhere/gone.fa`],
    });
    const error = await importTableConf(t.db.pool, path.join(dir, 'tool_data_table_conf.xml'), undefined, { upload: { store: t.store } }).catch((e) => e);
    expect(error).toBeInstanceOf(DataTableError);
    expect(error.message).toContain('table fasta_indexes: fasta_indexes.loc line 3: column path');
    expect(error.message).toContain(`${refs}/nowhere/gone.fa does not exist`);
    expect(await Promise.all(['all_fasta', 'fasta_indexes'].map((n) => tableWithRows(t.db.pool, n)))).toEqual(before);
    expect(await objectKeys(t.store)).toEqual(keys);
  });

  it('keeps paths as they are without upload', async () => {
    const dir = await locDir('plain', { 'all_fasta.loc': [`plain\tplain\tPlain\t${refs}/small/small.fa`] });
    await importTableConf(t.db.pool, path.join(dir, 'tool_data_table_conf.xml'));
    const rows = (await tableWithRows(t.db.pool, 'all_fasta'))!.rows;
    expect(rows.find((r) => r[0] === 'plain')![3]).toBe(`${refs}/small/small.fa`);
  });
});

describe('nebula datatables import --upload (CLI)', () => {
  const run = (args: string[]) =>
    spawnSync(process.execPath, [NEBULA_BIN, 'datatables', ...args], {
      cwd: work,
      env: { ...process.env, DATABASE_URL: t.db.url, NEBULA_HOME: path.join(work, 'cli-home'), NEBULA_LOG_LEVEL: 'silent' },
      encoding: 'utf8',
    });

  it('uploads, and names a missing path with exit code 1', async () => {
    const dir = await locDir('cli', { 'all_fasta.loc': [`cli\tcli\tCLI genome\trefs/small/small.fa`] });
    const ok = run(['import', path.join(dir, 'tool_data_table_conf.xml'), '--upload']);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('all_fasta: unchanged, 1 added, 0 replaced, 0 unchanged, 1 paths as bundles');
    const row = (await tableWithRows(t.db.pool, 'all_fasta'))!.rows.find((r) => r[0] === 'cli')!;
    expect(row[3]).toMatch(/^bundle:[0-9a-f]{64}\/small\.fa$/);

    const bad = await locDir('cli-bad', { 'all_fasta.loc': ['x\tx\tX\trefs/small/x.fa'] });
    const failed = run(['import', path.join(bad, 'tool_data_table_conf.xml'), '--upload', '--path-base', refs]);
    expect(failed.status).toBe(1);
    expect(failed.stderr).toContain(`error: table all_fasta: all_fasta.loc line 2: column path: ${refs}/refs/small/x.fa does not exist`);
    expect(run(['import', path.join(bad, 'tool_data_table_conf.xml'), '--path-base', refs]).stderr).toContain('--path-base only applies with --upload');
  });
});
