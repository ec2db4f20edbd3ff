/**
 * Comparing a tool output with the expected file of a `<test><output>` (Galaxy's verify rules):
 * diff (with lines_diff, decompress, sort), re_match, re_match_multiline, sim_size (delta,
 * delta_frac), contains; plus md5 / checksum. Returns failure messages; none means it passed.
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { TestOutput } from '../tools/model.ts';
import { pyMatch } from './regex.ts';

function maybeDecompress(data: Buffer): Buffer {
  if (data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b) {
    try {
      return gunzipSync(data);
    } catch {
      return data;
    }
  }
  return data;
}

/** Lines with their endings, like Python's readlines(). */
function readLines(text: string): string[] {
  const out = text.match(/[^\n]*\n|[^\n]+$/g);
  return out ?? [];
}

/**
 * Number of inserted plus deleted lines between a and b (what Galaxy counts in a unified diff),
 * computed with Myers' algorithm; stops early once above `limit` and returns limit + 1.
 */
export function lineDiffCount(a: string[], b: string[], limit: number): number {
  const n = a.length;
  const m = b.length;
  const max = Math.min(n + m, limit + 1);
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  v[offset + 1] = 0;
  for (let d = 0; d <= max; d++) {
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) return d;
    }
  }
  return limit + 1;
}

function isBinary(data: Buffer): boolean {
  return data.subarray(0, 8192).includes(0);
}

function checksumProblem(spec: string, data: Buffer): string | undefined {
  const m = /^(md5|sha1|sha256|sha512)\$([0-9a-fA-F]+)$/.exec(spec.trim());
  if (!m) return `checksum ${JSON.stringify(spec)} is not of the form algorithm$hex (md5, sha1, sha256, sha512)`;
  const actual = createHash(m[1]!).update(data).digest('hex');
  return actual === m[2]!.toLowerCase() ? undefined : `${m[1]} is ${actual}, expected ${m[2]}`;
}

/** `expected` is the test-data file's content, when the output names one. */
export function compareOutput(spec: TestOutput, actual: Buffer, expected: Buffer | undefined): string[] {
  const problems: string[] = [];
  if (spec.md5 !== undefined) {
    const md5 = createHash('md5').update(actual).digest('hex');
    if (md5 !== spec.md5.toLowerCase()) problems.push(`md5 is ${md5}, expected ${spec.md5}`);
  }
  if (spec.checksum !== undefined) {
    const p = checksumProblem(spec.checksum, actual);
    if (p) problems.push(p);
  }
  if (expected === undefined) return problems;
  let out = actual;
  let exp = expected;
  if (spec.decompress) {
    out = maybeDecompress(out);
    exp = maybeDecompress(exp);
  }
  switch (spec.compare) {
    case 'diff': {
      if (out.equals(exp)) break;
      if (isBinary(out) || isBinary(exp)) {
        problems.push(`binary output differs from the expected file (${out.length} vs ${exp.length} bytes)`);
        break;
      }
      let a = readLines(exp.toString('utf8'));
      let b = readLines(out.toString('utf8'));
      if (spec.sort) {
        a = [...a].sort();
        b = [...b].sort();
      }
      const count = lineDiffCount(a, b, spec.linesDiff);
      if (count > spec.linesDiff) {
        // The count stops at lines_diff + 1, so it is a lower bound there.
        const amount = count === spec.linesDiff + 1 ? `at least ${count}` : String(count);
        problems.push(`output differs from the expected file by ${amount} line(s); lines_diff allows ${spec.linesDiff}${firstDifference(a, b)}`);
      }
      break;
    }
    case 're_match': {
      let regexes = readLines(exp.toString('utf8')).map((l) => l.replace(/\r?\n$/, ''));
      let data = readLines(out.toString('utf8')).map((l) => l.replace(/\r?\n$/, ''));
      if (spec.sort) {
        regexes = [...regexes].sort();
        data = [...data].sort();
      }
      if (regexes.length !== data.length) {
        problems.push(`output has ${data.length} lines but the regular expression file has ${regexes.length}`);
        break;
      }
      const bad = data.filter((line, i) => !pyMatch(regexes[i]!, line));
      if (bad.length > spec.linesDiff) problems.push(`${bad.length} line(s) do not match their regular expression, first: ${JSON.stringify(bad[0])}`);
      break;
    }
    case 're_match_multiline':
      if (!pyMatch(exp.toString('utf8'), out.toString('utf8'), 'm')) problems.push('output does not match the multi-line regular expression file');
      break;
    case 'sim_size': {
      const delta = spec.delta ?? 10000;
      const diff = Math.abs(out.length - exp.length);
      if (diff > delta) problems.push(`output size ${out.length} differs from expected ${exp.length} by more than delta ${delta}`);
      if (spec.deltaFrac !== undefined && diff > exp.length * spec.deltaFrac) {
        problems.push(`output size ${out.length} differs from expected ${exp.length} by more than delta_frac ${spec.deltaFrac}`);
      }
      break;
    }
    case 'contains': {
      const text = out.toString('utf8');
      const missing = exp.toString('utf8').split('\n').filter((line) => !text.includes(line));
      if (missing.length > spec.linesDiff) problems.push(`${missing.length} line(s) of the expected file are not in the output, first: ${JSON.stringify(missing[0])}`);
      break;
    }
    case 'image_diff':
      problems.push('compare="image_diff" is not supported by Nebula');
      break;
  }
  return problems;
}

function firstDifference(expected: string[], actual: string[]): string {
  for (let i = 0; i < Math.max(expected.length, actual.length); i++) {
    if (expected[i] !== actual[i]) {
      return `; first difference at line ${i + 1}: expected ${JSON.stringify(expected[i] ?? '<end of file>')}, got ${JSON.stringify(actual[i] ?? '<end of file>')}`;
    }
  }
  return '';
}
