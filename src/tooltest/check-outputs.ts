/** Checking collected outputs against a test's `<output>` and `<output_collection>` elements. */
import { readFile } from 'node:fs/promises';
import type { TestCollectionElement, TestOutput, TestOutputCollection } from '../tools/model.ts';
import { runAssertions } from './asserts.ts';
import { compareOutput } from './compare.ts';
import type { CollectedCollection, CollectedDataset, CollectedOutput, CollectedOutputs } from './reported-outputs.ts';
import { galaxyMetadata } from './stage.ts';
import { resolveTestFile } from './test-data.ts';

function metadataString(v: unknown): string {
  if (Array.isArray(v)) return v.map(String).join(',');
  if (v === null || v === undefined) return '';
  return String(v);
}

/** Where expected files are found, and how an output's bytes are read. */
export interface CheckContext {
  testDataDirs: string[];
  read: (objectKey: string) => Promise<Buffer>;
}

export async function checkDataset(label: string, spec: TestOutput, dataset: CollectedDataset, ctx: CheckContext): Promise<string[]> {
  const problems: string[] = [];
  const testDataDirs = ctx.testDataDirs;
  const actual = await ctx.read(dataset.objectKey);
  const expectedName = spec.file ?? spec.value;
  let expected: Buffer | undefined;
  if (expectedName !== undefined) {
    try {
      expected = await readFile(resolveTestFile(expectedName, testDataDirs));
    } catch (err) {
      problems.push(`${label}: ${(err as Error).message}`);
    }
  }
  problems.push(...compareOutput(spec, actual, expected).map((p) => `${label}: ${p}`));
  problems.push(...runAssertions(spec.assertContents, actual).map((p) => `${label}: ${p}`));
  if (spec.ftype !== undefined && spec.ftype !== dataset.ext) problems.push(`${label}: format is ${dataset.ext}, expected ${spec.ftype}`);
  const wanted = Object.entries(spec.metadata);
  if (wanted.length) {
    // The metadata the executor computed when it collected the output, as the server stores it.
    const metadata = galaxyMetadata(dataset.metadata);
    if (typeof metadata.metadata_error === 'string') problems.push(`${label}: cannot compute metadata: ${metadata.metadata_error}`);
    for (const [name, value] of wanted) {
      const got = metadataString(metadata[name]);
      if (got !== value) problems.push(`${label}: metadata ${name} is ${JSON.stringify(got)}, expected ${JSON.stringify(value)}`);
    }
  }
  return problems;
}

async function checkOutput(spec: TestOutput, collected: CollectedOutput | undefined, ctx: CheckContext): Promise<string[]> {
  if (!collected) return [`output ${spec.name} was not produced`];
  const problems = await checkDataset(`output ${spec.name}`, spec, collected, ctx);
  for (const d of spec.discoveredDatasets) {
    const found = collected.discovered.find((x) => x.designation === d.designation);
    if (!found) {
      const have = collected.discovered.map((x) => x.designation).join(', ') || 'none';
      problems.push(`output ${spec.name}: no discovered dataset "${d.designation}" (found: ${have})`);
      continue;
    }
    problems.push(...(await checkDataset(`output ${spec.name} discovered ${d.designation}`, d, found, ctx)));
  }
  return problems;
}

async function checkElements(label: string, specs: TestCollectionElement[], collection: CollectedCollection, ctx: CheckContext, ordered: boolean): Promise<string[]> {
  const problems: string[] = [];
  let lastIndex = -1;
  for (const el of specs) {
    const index = collection.elements.findIndex((e) => e.identifier === el.name);
    const found = collection.elements[index];
    const where = `${label} element ${el.name}`;
    if (!found) {
      problems.push(`${where} not found (elements: ${collection.elements.map((e) => e.identifier).join(', ') || 'none'})`);
      continue;
    }
    if (ordered && index < lastIndex) problems.push(`${where} is out of order`);
    lastIndex = index;
    if (el.elements.length) {
      if (!found.collection) problems.push(`${where} is a dataset, expected a nested collection`);
      else problems.push(...(await checkElements(where, el.elements, found.collection, ctx, ordered)));
    } else if (found.dataset) {
      problems.push(...(await checkDataset(where, el.output, found.dataset, ctx)));
    } else problems.push(`${where} is a collection, expected a dataset`);
  }
  return problems;
}

async function checkCollection(spec: TestOutputCollection, collected: CollectedCollection | undefined, ctx: CheckContext, ordered: boolean): Promise<string[]> {
  const label = `output collection ${spec.name}`;
  if (!collected) return [`${label} was not produced`];
  const problems: string[] = [];
  if (spec.type !== undefined && spec.type !== collected.type) problems.push(`${label}: type is ${collected.type}, expected ${spec.type}`);
  if (spec.count !== undefined && spec.count !== collected.elements.length) problems.push(`${label}: has ${collected.elements.length} elements, expected ${spec.count}`);
  problems.push(...(await checkElements(label, spec.elements, collected, ctx, ordered)));
  return problems;
}

/** `ordered`: profile ≥ 20.09 tools check that collection elements come in the order listed. */
export async function checkOutputs(
  outputs: TestOutput[],
  collections: TestOutputCollection[],
  collected: CollectedOutputs,
  ctx: CheckContext,
  ordered: boolean,
): Promise<string[]> {
  const problems: string[] = [];
  for (const spec of outputs) problems.push(...(await checkOutput(spec, collected.datasets[spec.name], ctx)));
  for (const spec of collections) problems.push(...(await checkCollection(spec, collected.collections[spec.name], ctx, ordered)));
  return problems;
}
