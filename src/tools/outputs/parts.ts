/**
 * Static elements of an output collection (`<collection type="paired"><data name="forward"/>…`):
 * each one is a dataset the job writes like a data output, under Galaxy's effective output name
 * `collection|__part__|element` (job_outputs, the job spec, the executor's output slots).
 */
import type { OutputCollection, OutputData, ToolOutput, ToolSource } from '../model.ts';

const PART = '|__part__|';

export function collectionPartName(collection: string, element: string): string {
  return `${collection}${PART}${element}`;
}

/** `{collection, element}` of a part name, or undefined for any other output name. */
export function splitPartName(name: string): { collection: string; element: string } | undefined {
  const at = name.indexOf(PART);
  if (at < 0) return undefined;
  return { collection: name.slice(0, at), element: name.slice(at + PART.length) };
}

/**
 * The elements a collection output has before its job runs, each with the collection's format,
 * format_source and metadata_source as defaults (Galaxy's parser does the same). A collection
 * that discovers its datasets has no static elements (its structure is dynamic).
 */
export function staticElements(collection: OutputCollection): OutputData[] {
  if (collection.discoverDatasets.length > 0) return [];
  return collection.elements.map((el) => ({
    ...el,
    format: el.format ?? (el.formatSource ? undefined : collection.format),
    formatSource: el.formatSource ?? (el.format ? undefined : collection.formatSource),
  }));
}

/** The definition behind an output name: a tool output, or the element a part name points at. */
export function outputDefinition(tool: ToolSource, name: string): ToolOutput | undefined {
  const direct = tool.outputs.find((o) => o.name === name);
  if (direct) return direct;
  const part = splitPartName(name);
  if (!part) return undefined;
  const collection = tool.outputs.find((o): o is OutputCollection => o.kind === 'collection' && o.name === part.collection);
  return collection ? staticElements(collection).find((e) => e.name === part.element) : undefined;
}
