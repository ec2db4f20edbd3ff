/**
 * A `<test>`'s params → an API payload for buildToolState, staging data inputs on the way.
 * Params may be nested (`<conditional>`, `<section>`, `<repeat>`), given by their `a|b` path,
 * or (old style) by their bare name anywhere in the active branch, as Galaxy's test loader allows.
 */
import type { TestCollectionValue, TestInputs, TestParamValue, ToolInput, ToolParam, ToolSource } from '../tools/model.ts';
import type { StateContext } from '../tools/parameters/state.ts';
import type { CollectionElementValue, CollectionValue, ResolvedData } from '../tools/parameters/values.ts';
import type { Stager } from './stage.ts';
import { resolveTestFile } from './test-data.ts';

type Payload = Record<string, unknown>;

function isParamValue(v: unknown): v is TestParamValue {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'compositeData' in v && 'metadata' in v;
}

export interface TestPayload {
  payload: Payload;
  context: StateContext;
}

export async function buildTestPayload(tool: ToolSource, inputs: TestInputs, stager: Stager, testDataDirs: string[]): Promise<TestPayload> {
  const collections = new Map<string, CollectionValue>();
  let collectionCounter = 0;
  // Flat `a|b` params and bare names, consumed as they are used.
  const flat = new Map<string, TestParamValue>();
  const bare = new Map<string, TestParamValue>();
  for (const [name, value] of Object.entries(inputs)) {
    if (!isParamValue(value)) continue;
    if (name.includes('|')) flat.set(name, value);
    else bare.set(name, value);
  }

  const stageFile = async (fileName: string, p: { ftype?: string; dbkey?: string; metadata?: Record<string, string> }, name?: string) =>
    stager.stage(resolveTestFile(fileName, testDataDirs), { name: name ?? fileName, ftype: p.ftype, dbkey: p.dbkey, metadata: p.metadata });

  const stageCollection = async (c: TestCollectionValue, name: string): Promise<CollectionValue> => {
    const elements: CollectionElementValue[] = [];
    for (const el of c.elements) {
      if (el.collection) elements.push({ identifier: el.name, value: await stageCollection(el.collection, el.name) });
      else if (el.value !== undefined) {
        const staged = await stageFile(el.value, { ftype: el.ftype }, el.name);
        elements.push({ identifier: el.name, value: { ...staged.value, elementIdentifier: el.name } });
      }
    }
    const id = `collection${++collectionCounter}`;
    const value: CollectionValue = { kind: 'collection', id, name: c.name ?? name, collectionType: c.type, elements };
    collections.set(id, value);
    return value;
  };

  const paramPayload = async (def: ToolParam, v: TestParamValue): Promise<unknown> => {
    if (v.valueJson !== undefined) return v.valueJson;
    if (def.type === 'data') {
      if (v.collection) {
        const c = await stageCollection(v.collection, def.name);
        return { src: 'hdca', id: c.id };
      }
      const names = v.values ?? (v.value !== undefined && v.value !== '' ? v.value.split(',') : []);
      const refs = [];
      for (const n of names) refs.push({ src: 'hda', id: (await stageFile(n.trim(), v)).value.id });
      return def.multiple ? refs : refs[0];
    }
    if (def.type === 'data_collection') {
      if (!v.collection) {
        if (v.value === undefined) return undefined;
        throw new Error(`test param ${def.name}: a data_collection needs a <collection> element`);
      }
      const c = await stageCollection(v.collection, def.name);
      return { src: 'hdca', id: c.id };
    }
    if (v.values) return v.values;
    return v.value;
  };

  const take = (node: TestInputs | undefined, name: string, path: string): TestParamValue | undefined => {
    const own = node?.[name];
    if (isParamValue(own)) return own;
    const byPath = flat.get(path);
    if (byPath) return byPath;
    return bare.get(name);
  };

  const group = async (defs: ToolInput[], node: TestInputs | undefined, prefix: string): Promise<Payload> => {
    const out: Payload = {};
    for (const def of defs) {
      const path = prefix ? `${prefix}|${def.name}` : def.name;
      if (def.kind === 'param') {
        const v = take(node, def.name, path);
        if (v) {
          const p = await paramPayload(def, v);
          if (p !== undefined) out[def.name] = p;
        }
      } else if (def.kind === 'section') {
        const child = node?.[def.name];
        out[def.name] = await group(def.inputs, isPlain(child) ? child : undefined, path);
      } else if (def.kind === 'conditional') {
        const child = node?.[def.name];
        const childNode = isPlain(child) ? child : undefined;
        const inner: Payload = {};
        const testValue = take(childNode, def.test.name, `${path}|${def.test.name}`);
        if (testValue) inner[def.test.name] = await paramPayload(def.test, testValue);
        // Pick the branch the way buildToolState will: the given value, else the default case.
        const chosen = testValue?.value;
        const t = def.test;
        const when =
          chosen === undefined
            ? defaultWhen(def)
            : (def.whens.find((w) => w.value === chosen) ??
              (t.type === 'boolean' ? def.whens.find((w) => w.value === (isTrue(chosen, t) ? t.truevalue : t.falsevalue)) : undefined));
        if (when) Object.assign(inner, await group(when.inputs, childNode, path));
        out[def.name] = inner;
      } else {
        const child = node?.[def.name];
        const items: Payload[] = [];
        if (Array.isArray(child)) {
          for (let i = 0; i < child.length; i++) items.push(await group(def.inputs, child[i], `${def.name}_${i}`));
        } else {
          // Flat `name_N|param` keys.
          const indexes = new Set<number>();
          for (const key of flat.keys()) {
            const m = new RegExp(`^${escapeRegex(prefix ? `${prefix}|` : '')}${escapeRegex(def.name)}_(\\d+)\\|`).exec(key);
            if (m) indexes.add(Number(m[1]));
          }
          for (const i of [...indexes].sort((a, b) => a - b)) items.push(await group(def.inputs, undefined, `${prefix ? `${prefix}|` : ''}${def.name}_${i}`));
        }
        if (items.length) out[def.name] = items;
      }
    }
    return out;
  };

  const payload = await group(tool.inputs, inputs, '');
  const context: StateContext = {
    async resolveData(ref, paramPath): Promise<ResolvedData> {
      const id = String(ref.id);
      const dataset = stager.byId.get(id);
      if (dataset) return dataset.value;
      const collection = collections.get(id);
      if (collection) return collection;
      throw new Error(`${paramPath}: unknown staged data ${id}`);
    },
  };
  return { payload, context };
}

function isPlain(v: unknown): v is TestInputs {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !isParamValue(v);
}

function isTrue(value: string | undefined, p: ToolParam): boolean {
  if (value === undefined) return p.type === 'boolean' && p.checked;
  return ['true', 'yes', 'on', '1'].includes(value.toLowerCase()) || (p.type === 'boolean' && value === p.truevalue);
}

function defaultWhen(def: Extract<ToolInput, { kind: 'conditional' }>) {
  const t = def.test;
  if (t.type === 'boolean') return def.whens.find((w) => w.value === (t.checked ? t.truevalue : t.falsevalue)) ?? def.whens.find((w) => w.value === String(t.checked));
  if (t.type === 'select') {
    const v = t.options.find((o) => o.selected)?.value ?? t.options[0]?.value;
    return def.whens.find((w) => w.value === v);
  }
  return def.whens[0];
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
