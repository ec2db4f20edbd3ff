import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const TESTS_DIR = '/usr/lib/python3/dist-packages/bioblend/_tests';

export interface PytestSummary {
  passed: number;
  failed: number;
  errors: number;
  skipped: number;
  output: string;
  exitCode: number;
}

/** The deselected tests with their reasons (test/bioblend/deselected.txt). */
export function deselected(): string[] {
  return readFileSync(path.resolve('test/bioblend/deselected.txt'), 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
}

/**
 * Runs modules of BioBlend's own test suite (Debian python3-bioblend) against a Nebula server,
 * with the real client, as a BioBlend user would.
 */
export function runBioblend(url: string, apiKey: string, modules: string[], extraArgs: string[] = []): Promise<PytestSummary> {
  const args = [
    '-m', 'pytest', '-o', 'python_files=Test*.py', '-p', 'no:cacheprovider', '-q', '-rs', '--tb=short',
    // Node ids are relative to the rootdir, so pytest runs from the tests' own folder.
    '--rootdir', TESTS_DIR,
    ...deselected().map((t) => `--deselect=${t.replace(/^(\w+)::/, '$1.py::')}`),
    ...extraArgs,
    ...modules.map((m) => `${m}.py`),
  ];
  return new Promise((resolve) => {
    const child = spawn('/usr/bin/python3', args, {
      cwd: TESTS_DIR,
      env: {
        ...process.env,
        BIOBLEND_GALAXY_URL: url,
        BIOBLEND_GALAXY_API_KEY: apiKey,
        BIOBLEND_TEST_JOB_TIMEOUT: '60',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('exit', (code) => {
      const count = (word: string) => Number(new RegExp(`(\\d+) ${word}`).exec(output.split('\n').slice(-3).join(' '))?.[1] ?? 0);
      resolve({
        passed: count('passed'),
        failed: count('failed'),
        errors: count('errors?'),
        skipped: count('skipped'),
        output,
        exitCode: code ?? -1,
      });
    });
  });
}
