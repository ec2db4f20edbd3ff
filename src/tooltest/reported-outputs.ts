/**
 * The executor's report, seen as a test sees outputs: each data output with its discovered
 * datasets, and each output collection as a tree of elements (static elements first, then the
 * discovered ones in the executor's order, nested by their `identifier_N` groups).
 */
import type { DiscoveredOutput, JobReport, ReportedOutput } from '../jobs/interfaces.ts';
import type { ToolSource } from '../tools/model.ts';
import { elementOutputName } from './test-job.ts';

export interface CollectedDataset {
  /** Where the bytes are in the run's object store. */
  objectKey: string;
  ext: string;
  /** As the executor computed it (our names; `galaxyMetadata` gives Galaxy's). */
  metadata: Record<string, unknown>;
  /** Discovered datasets: the designation (or name) that identifies them. */
  designation?: string;
}

export interface CollectedOutput extends CollectedDataset {
  discovered: CollectedDataset[];
}

export interface CollectedElement {
  identifier: string;
  dataset?: CollectedDataset;
  collection?: CollectedCollection;
}

export interface CollectedCollection {
  type: string;
  elements: CollectedElement[];
}

export interface CollectedOutputs {
  datasets: Record<string, CollectedOutput>;
  collections: Record<string, CollectedCollection>;
}

function dataset(o: ReportedOutput | DiscoveredOutput): CollectedDataset {
  return { objectKey: o.objectKey, ext: o.ext, metadata: o.metadata, ...('designation' in o ? { designation: o.designation } : {}) };
}

function nest(root: CollectedCollection, identifiers: string[], value: CollectedDataset): void {
  const levels = root.type.split(':');
  let current = root;
  for (let i = 0; i < identifiers.length - 1; i++) {
    let child = current.elements.find((e) => e.identifier === identifiers[i]);
    if (!child) {
      child = { identifier: identifiers[i]!, collection: { type: levels.slice(i + 1).join(':'), elements: [] } };
      current.elements.push(child);
    }
    current = child.collection ?? (child.collection = { type: levels.slice(i + 1).join(':'), elements: [] });
  }
  current.elements.push({ identifier: identifiers[identifiers.length - 1]!, dataset: value });
}

/** `included`: the outputs the job created (a filtered-out collection finds nothing here). */
export function outputsFromReport(tool: ToolSource, report: JobReport, included: Set<string>): CollectedOutputs {
  const result: CollectedOutputs = { datasets: {}, collections: {} };
  const reported = new Map(report.outputs.map((o) => [o.name, o]));
  for (const out of tool.outputs) {
    if (!included.has(out.name)) continue;
    const discovered = report.discovered.filter((d) => d.parent === out.name);
    if (out.kind === 'data') {
      const primary = reported.get(out.name);
      if (primary) result.datasets[out.name] = { ...dataset(primary), discovered: discovered.map(dataset) };
      continue;
    }
    const collection: CollectedCollection = { type: out.type ?? 'list', elements: [] };
    for (const el of out.elements) {
      const element = reported.get(elementOutputName(out.name, el.name));
      if (element) collection.elements.push({ identifier: el.name, dataset: dataset(element) });
    }
    for (const d of discovered) nest(collection, d.identifiers?.length ? d.identifiers : [d.designation], dataset(d));
    result.collections[out.name] = collection;
  }
  return result;
}

/** Galaxy's expect_num_outputs: the data outputs and output collections the job created. */
export function countCreatedOutputs(outputs: CollectedOutputs): number {
  return Object.keys(outputs.datasets).length + Object.keys(outputs.collections).length;
}
