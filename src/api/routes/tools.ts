/**
 * Tool listing and forms: GET /api/tools (panel or flat list, `q` search), GET /api/tools/{id}
 * (`io_details`), GET|POST /api/tools/{id}/build (the form model). Running tools (POST /api/tools)
 * and /api/tools/fetch live in uploads.ts. Tool ids containing '/' (Tool Shed ids) must be
 * URL-encoded in the path (%2F).
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { Pool } from '../../db/pool.ts';
import type { ObjectStore } from '../../objectstore/index.ts';
import {
  BUILTIN_SECTION, buildFormModel, builtinTools, compareVersions, latestVersions, listToolRows, loadRegisteredTool,
  toolIoDetails, toolSummary, ToolNotFoundError, type LoadedTool, type ToolRow,
} from '../../toolstore/index.ts';
import { ToolLoadError, ToolParameterError } from '../../tools/errors.ts';
import { buildToolState, unflatten } from '../../tools/parameters/state.ts';
import { dataTableRowsProvider, fillDataTableOptions } from '../../datatables/index.ts';
import { badRequest, notFound } from '../errors.ts';
import type { RoutePlugin } from '../server.ts';

const ListQuery = Type.Object({
  in_panel: Type.Optional(Type.String()),
  q: Type.Optional(Type.String()),
  tool_id: Type.Optional(Type.String()),
});
const ToolParams = Type.Object({ id: Type.String({ minLength: 1 }) });
const ShowQuery = Type.Object({
  io_details: Type.Optional(Type.String()),
  tool_version: Type.Optional(Type.String()),
  link_details: Type.Optional(Type.String()),
});
const BuildQuery = Type.Object({ tool_version: Type.Optional(Type.String()), history_id: Type.Optional(Type.String()) });
const BuildBody = Type.Union([
  Type.Object({
    inputs: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    tool_version: Type.Optional(Type.String()),
    history_id: Type.Optional(Type.String()),
  }),
  Type.Null(),
]);

/** Galaxy accepts True/true/1 and False/false/0 in query strings. */
function queryBool(value: string | undefined, fallback: boolean, name: string): boolean {
  if (value === undefined || value === '') return fallback;
  const v = value.toLowerCase();
  if (['true', '1', 'yes'].includes(v)) return true;
  if (['false', '0', 'no'].includes(v)) return false;
  throw badRequest(`${name} must be true or false, got ${JSON.stringify(value)}`);
}

interface Listed {
  summary: ReturnType<typeof toolSummary>;
  hidden: boolean;
  section: { id: string; name: string } | null;
}

async function listedTools(pool: Pool): Promise<Listed[]> {
  const rows = latestVersions(await listToolRows(pool));
  const fromRows = rows.map((r: ToolRow): Listed => {
    const section = r.section_id ? { id: r.section_id, name: r.section_name ?? r.section_id } : null;
    return { summary: toolSummary(r, { section }), hidden: r.hidden, section };
  });
  const registered = new Set(rows.map((r) => r.id));
  // A registered tool with a built-in's id (a site's own upload1) takes its place.
  const builtins = builtinTools()
    .filter((t) => !registered.has(t.id))
    .map((t): Listed => ({ summary: toolSummary(t, { section: BUILTIN_SECTION }), hidden: t.hidden, section: BUILTIN_SECTION }));
  return [...builtins, ...fromRows];
}

function panel(tools: Listed[]) {
  const out: unknown[] = [];
  const sections = new Map<string, { model_class: string; id: string; name: string; version: string; elems: unknown[] }>();
  for (const t of tools) {
    if (t.hidden) continue;
    if (!t.section) {
      out.push(t.summary);
      continue;
    }
    let s = sections.get(t.section.id);
    if (!s) {
      s = { model_class: 'ToolSection', id: t.section.id, name: t.section.name, version: '', elems: [] };
      sections.set(t.section.id, s);
      out.push(s);
    }
    s.elems.push(t.summary);
  }
  return out;
}

function matchesQuery(t: Listed, q: string): boolean {
  const needle = q.toLowerCase();
  return [t.summary.id, t.summary.name, t.summary.description].some((f) => f.toLowerCase().includes(needle));
}

async function loadTool(pool: Pool, store: ObjectStore, id: string, version?: string): Promise<LoadedTool> {
  try {
    return await loadRegisteredTool(pool, store, id, version);
  } catch (err) {
    if (err instanceof ToolNotFoundError) throw notFound(`Tool '${id}'${version ? ` version ${version}` : ''} not found`);
    if (err instanceof ToolLoadError) throw badRequest(`Tool '${id}' cannot be loaded: ${err.message}`);
    throw err;
  }
}

async function versionsOf(pool: Pool, loaded: LoadedTool): Promise<string[]> {
  const { rows } = await pool.query<{ version: string }>('SELECT version FROM tools WHERE id = $1', [loaded.tool.id]);
  const versions = rows.length ? rows.map((r) => r.version) : [loaded.tool.version];
  return versions.sort(compareVersions);
}

/**
 * Checks the given values the way running the tool would, without touching datasets: data
 * references are accepted as given. Returns Galaxy's `errors` map (`a|b` path → message).
 */
async function formErrors(pool: Pool, loaded: LoadedTool, given: Record<string, unknown>): Promise<Record<string, string>> {
  try {
    await buildToolState(loaded.tool, given, {
      dataTableRows: dataTableRowsProvider(pool),
      resolveData: async (ref) => ({ kind: 'dataset', id: String(ref.id), name: String(ref.id), ext: 'data', metadata: {} }),
    });
    return {};
  } catch (err) {
    if (err instanceof ToolParameterError) return { [err.path]: err.detail };
    throw err;
  }
}

async function buildResponse(pool: Pool, store: ObjectStore, request: FastifyRequest, id: string, version: string | undefined, inputs: Record<string, unknown> | undefined, historyId: string | undefined) {
  const loaded = await loadTool(pool, store, id, version);
  const given = inputs ? unflatten(inputs, loaded.tool.inputs) : undefined;
  const errors = given ? await formErrors(pool, loaded, given) : {};
  void request;
  return fillDataTableOptions(pool, loaded.tool, buildFormModel(loaded.tool, {
    section: loaded.section,
    versions: await versionsOf(pool, loaded),
    given,
    errors,
    historyId: historyId ?? null,
  }));
}

export const toolRoutes: RoutePlugin = (app, { pool, store }) => {
  app.get('/api/tools', { config: { auth: 'optional' }, schema: { querystring: ListQuery } }, async (request) => {
    const query = request.query as Static<typeof ListQuery>;
    const inPanel = queryBool(query.in_panel, true, 'in_panel');
    let tools = await listedTools(pool);
    if (query.q !== undefined && query.q.trim() !== '') {
      // Galaxy answers a search with the matching tool ids.
      return tools.filter((t) => !t.hidden && matchesQuery(t, query.q!.trim())).map((t) => t.summary.id);
    }
    if (query.tool_id) tools = tools.filter((t) => t.summary.id === query.tool_id);
    return inPanel ? panel(tools) : tools.map((t) => t.summary);
  });

  app.get('/api/tools/:id', { config: { auth: 'optional' }, schema: { params: ToolParams, querystring: ShowQuery } }, async (request) => {
    const { id } = request.params as Static<typeof ToolParams>;
    const query = request.query as Static<typeof ShowQuery>;
    const loaded = await loadTool(pool, store, id, query.tool_version);
    const summary = toolSummary(loaded.tool, { section: loaded.section });
    if (!queryBool(query.io_details, false, 'io_details')) return summary;
    return { ...summary, ...toolIoDetails(loaded.tool) };
  });

  app.get('/api/tools/:id/build', { config: { auth: 'optional' }, schema: { params: ToolParams, querystring: BuildQuery } }, async (request) => {
    const { id } = request.params as Static<typeof ToolParams>;
    const query = request.query as Static<typeof BuildQuery>;
    return buildResponse(pool, store, request, id, query.tool_version, undefined, query.history_id);
  });

  app.post('/api/tools/:id/build', { config: { auth: 'optional' }, schema: { params: ToolParams, body: BuildBody } }, async (request) => {
    const { id } = request.params as Static<typeof ToolParams>;
    const body = (request.body ?? {}) as { inputs?: Record<string, unknown>; tool_version?: string; history_id?: string };
    return buildResponse(pool, store, request, id, body.tool_version, body.inputs ?? {}, body.history_id);
  });
};
