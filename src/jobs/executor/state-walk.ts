/** Small readers over a built ToolState: its datasets, and a parameter's value by name. */
import type { CollectionValue, DatasetValue, StateValue, ToolState } from '../../tools/parameters/values.ts';

function isDataset(value: unknown): value is DatasetValue {
  return !!value && typeof value === 'object' && (value as { kind?: unknown }).kind === 'dataset';
}

function isCollection(value: unknown): value is CollectionValue {
  return !!value && typeof value === 'object' && (value as { kind?: unknown }).kind === 'collection';
}

/** Every DatasetValue in the state, collection elements included, in state order. */
export function datasetsIn(value: StateValue | undefined): DatasetValue[] {
  if (isDataset(value)) return [value];
  if (isCollection(value)) return value.elements.flatMap((e) => datasetsIn(e.value));
  if (Array.isArray(value)) return (value as StateValue[]).flatMap((v) => datasetsIn(v));
  if (value && typeof value === 'object') return Object.values(value as ToolState).flatMap((v) => datasetsIn(v));
  return [];
}

/**
 * The value of the parameter `name` anywhere in the state (Galaxy's format_source and
 * change_format name a parameter, possibly as `cond|param`; the last segment is what counts).
 */
export function findParameter(state: ToolState, name: string): StateValue | undefined {
  const wanted = name.split('|').pop()!;
  const visit = (node: StateValue | undefined): StateValue | undefined => {
    if (!node || typeof node !== 'object' || isDataset(node) || isCollection(node)) return undefined;
    if (Array.isArray(node)) {
      for (const item of node as StateValue[]) {
        const found = visit(item);
        if (found !== undefined) return found;
      }
      return undefined;
    }
    const record = node as ToolState;
    if (wanted in record) return record[wanted];
    for (const child of Object.values(record)) {
      const found = visit(child);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return visit(state);
}
