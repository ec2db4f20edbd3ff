/**
 * The JobSpec of one tool test: what the server would send an executor for the same tool state,
 * with the run's own bundle, input objects and attempt-scoped output keys.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { JobSpec, SpecInput, SpecOutput } from '../jobs/interfaces.ts';
import { planOutputs } from '../jobs/lifecycle/outputs.ts';
import { jobDiscoveredPrefix, jobOutputKey } from '../objectstore/keys.ts';
import type { ToolSource } from '../tools/model.ts';
import { collectionPartName, staticElements } from '../tools/outputs/parts.ts';
import type { ToolState } from '../tools/parameters/values.ts';

/** Galaxy's tool test framework runs as this user; `$__user_email__` renders it. */
export const TEST_USER = { id: 'tooltest', email: 'test@bx.psu.edu' };

/** What a job requests by default (docs/jobs.md): 1 core, 1024 MB. */
export const TEST_RESOURCES = { cores: 1, memoryMb: 1024 };

/**
 * A static element of an output collection travels as an output named `collection|__part__|element`
 * (Galaxy's name, as the server uses it): the executor collects it like a data output
 * (from_work_dir included) and the command sees it as `$collection.element`.
 */
export function elementOutputName(collection: string, element: string): string {
  return collectionPartName(collection, element);
}

export function buildTestJobSpec(options: {
  tool: ToolSource;
  toolDirectory: string;
  bundleKey: string;
  state: ToolState;
  inputs: SpecInput[];
  /** Outputs kept by their `<filter>`s. */
  included: Set<string>;
  walltimeSeconds: number;
}): JobSpec {
  const { tool, state, included } = options;
  const jobUuid = randomUUID();
  const attempt = 1;
  // The server decides each output's format when it creates the job; the same function here.
  const planned = new Map(planOutputs(tool, state, new Map()).datasets.map((d) => [d.name, d.ext]));
  const outputs: Omit<SpecOutput, 'objectKey'>[] = [];
  for (const out of tool.outputs) {
    if (!included.has(out.name)) continue;
    if (out.kind === 'data') outputs.push({ name: out.name, format: planned.get(out.name) ?? out.format ?? 'data' });
    else {
      for (const el of staticElements(out)) {
        const name = elementOutputName(out.name, el.name);
        outputs.push({
          name,
          format: planned.get(name) ?? el.format ?? 'data',
          ...(el.fromWorkDir ? { fromWorkDir: el.fromWorkDir } : {}),
        });
      }
    }
  }
  // The server numbers a job's outputs in name order (outputSlots); so does a test.
  outputs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    jobId: 'tooltest',
    jobUuid,
    attempt,
    tool: { id: tool.id, version: tool.version, bundleKey: options.bundleKey, toolPath: path.relative(options.toolDirectory, tool.file).split(path.sep).join('/') },
    toolState: state,
    inputs: options.inputs,
    outputs: outputs.map((o, index) => ({ ...o, objectKey: jobOutputKey(jobUuid, attempt, index) })),
    discoveredPrefix: jobDiscoveredPrefix(jobUuid, attempt),
    resources: { ...TEST_RESOURCES, walltimeSeconds: options.walltimeSeconds },
    user: TEST_USER,
  };
}
