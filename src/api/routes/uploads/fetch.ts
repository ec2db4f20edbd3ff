import { Type } from '@sinclair/typebox';
import type { PoolClient } from '../../../db/pool.ts';
import { createCollection, createHdca, getHdcaWithElements, type NewCollection } from '../../../model/collections.ts';
import { truthy } from '../../../uploads/items.ts';
import { consumeUploadSession, getUploadSession } from '../../../uploads/tus-sessions.ts';
import { currentUser } from '../../auth.ts';
import { badRequest, conflict } from '../../errors.ts';
import { serializeHdca } from '../../serializers/hdca.ts';
import type { RoutePlugin } from '../../server.ts';
import { checkedExtension, checkedName, checkedUrl, nameFromUrl, startUpload, toolResponse, writableHistory, type PendingItem } from './common.ts';

const FetchBody = Type.Object(
  {
    history_id: Type.Optional(Type.String()),
    targets: Type.Union([Type.Array(Type.Record(Type.String(), Type.Unknown()), { maxItems: 1000 }), Type.String()]),
    auto_decompress: Type.Optional(Type.Union([Type.Boolean(), Type.String()])),
  },
  { additionalProperties: true, description: 'Galaxy data fetch request; files_N|file_data entries name tus sessions' },
);

type Json = Record<string, unknown>;
const MAX_ELEMENTS = 10_000;

/** One tus session a `src: files` element takes, with the name the client gave it. */
interface FileRef {
  sessionId: string;
  name?: string;
}

/** The `files_N|file_data` entries of a fetch request, in N order (Galaxy matches them to elements in order). */
function fileRefs(body: Json): FileRef[] {
  const entries = Object.entries(body)
    .map(([key, value]) => ({ n: /^files_(\d+)\|file_data$/.exec(key)?.[1], value }))
    .filter((e) => e.n !== undefined)
    .sort((a, b) => Number(a.n) - Number(b.n));
  return entries.map(({ n, value }) => {
    const v = value as Json | null;
    if (!v || typeof v !== 'object' || typeof v.session_id !== 'string') {
      throw badRequest(`files_${n}|file_data must be {session_id, name}; multipart file parts are not supported, use tus`);
    }
    return { sessionId: v.session_id, name: typeof v.name === 'string' ? v.name : undefined };
  });
}

interface Parsed {
  items: PendingItem[];
  sessions: string[];
  /** For an hdca target: the collection tree with leaves as indices into items. */
  collections: { name: string; tree: LeafTree; collectionType: string }[];
}
type LeafTree = { collection_type: string; elements: Array<{ identifier: string; leaf: number } | { identifier: string; tree: LeafTree }> };

class FetchParser {
  readonly parsed: Parsed = { items: [], sessions: [], collections: [] };
  private nextFile = 0;

  constructor(
    private readonly files: FileRef[],
    private readonly autoDecompress: boolean,
  ) {}

  /** One element with bytes: pasted, url or files. */
  item(element: Json, visible: boolean): number {
    if (this.parsed.items.length >= MAX_ELEMENTS) throw badRequest(`a fetch request may create at most ${MAX_ELEMENTS} datasets`);
    const options = {
      ext: checkedExtension(element.ext),
      dbkey: typeof element.dbkey === 'string' && element.dbkey ? element.dbkey : '?',
      toPosixLines: truthy(element.to_posix_lines, true),
      spaceToTab: truthy(element.space_to_tab, false),
      autoDecompress: truthy(element.auto_decompress, this.autoDecompress),
      visible,
    };
    let pending: PendingItem;
    switch (element.src) {
      case 'pasted': {
        if (typeof element.paste_content !== 'string') throw badRequest('a pasted element needs paste_content (a string)');
        pending = { ...options, name: checkedName(element.name, 'Pasted Entry'), source: { kind: 'paste', text: element.paste_content } };
        break;
      }
      case 'url': {
        if (typeof element.url !== 'string') throw badRequest('a url element needs url (a string)');
        const url = checkedUrl(element.url);
        pending = { ...options, name: checkedName(element.name, nameFromUrl(url)), source: { kind: 'url', url } };
        break;
      }
      case 'files': {
        const ref = this.files[this.nextFile++];
        if (!ref) throw badRequest('a files element has no matching files_N|file_data entry');
        this.parsed.sessions.push(ref.sessionId);
        pending = { ...options, name: checkedName(element.name ?? ref.name, 'Uploaded File'), source: { kind: 'tus', sessionId: ref.sessionId } };
        break;
      }
      default:
        throw badRequest(`element src '${String(element.src).slice(0, 40)}' is not supported; use pasted, url or files`);
    }
    this.parsed.items.push(pending);
    return this.parsed.items.length - 1;
  }

  /** A collection level: its elements are items or nested levels of the remaining type. */
  tree(elements: unknown, collectionType: string, depth = 0): LeafTree {
    if (depth > 10) throw badRequest('collections nest at most 10 levels deep');
    if (!Array.isArray(elements) || elements.length === 0) throw badRequest(`a ${collectionType} collection needs elements`);
    const [head, ...rest] = collectionType.split(':');
    if (head !== 'list' && head !== 'paired') throw badRequest(`collection type '${collectionType}' is not supported`);
    const seen = new Set<string>();
    const out: LeafTree = { collection_type: collectionType, elements: [] };
    for (const raw of elements) {
      const element = raw as Json;
      const identifier = element?.name;
      if (typeof identifier !== 'string' || !identifier) throw badRequest('every collection element needs a name (its identifier)');
      if (seen.has(identifier)) throw badRequest(`duplicate element identifier '${identifier.slice(0, 100)}'`);
      seen.add(identifier);
      if (rest.length) out.elements.push({ identifier, tree: this.tree(element.elements, rest.join(':'), depth + 1) });
      else out.elements.push({ identifier, leaf: this.item(element, false) });
    }
    if (head === 'paired' && (out.elements.length !== 2 || !seen.has('forward') || !seen.has('reverse'))) {
      throw badRequest('a paired collection has exactly the elements forward and reverse');
    }
    return out;
  }

  target(target: Json): void {
    const destination = (target.destination ?? {}) as Json;
    if (destination.type === 'hdas') {
      if (!Array.isArray(target.elements)) throw badRequest('an hdas target needs elements');
      for (const element of target.elements) this.item(element as Json, true);
    } else if (destination.type === 'hdca') {
      const collectionType = typeof target.collection_type === 'string' ? target.collection_type : 'list';
      const tree = this.tree(target.elements, collectionType);
      this.parsed.collections.push({ name: checkedName(target.name, 'Unnamed collection'), tree, collectionType });
    } else {
      throw badRequest(`target destination type '${String(destination.type).slice(0, 40)}' is not supported; use hdas or hdca`);
    }
  }
}

function toNewCollection(tree: LeafTree, hdaIds: number[]): NewCollection {
  return {
    collection_type: tree.collection_type,
    elements: tree.elements.map((e) =>
      'leaf' in e ? { identifier: e.identifier, hdaId: hdaIds[e.leaf] } : { identifier: e.identifier, collection: toNewCollection(e.tree, hdaIds) },
    ),
  };
}

/** Galaxy's data fetch API (`__DATA_FETCH__`): pasted, url and tus-file elements into datasets and collections. */
export const fetchRoutes: RoutePlugin = (app, ctx) => {
  app.post(
    '/api/tools/fetch',
    { schema: { body: FetchBody, tags: ['tools', 'uploads'], summary: 'Upload datasets and collections (data fetch)' } },
    async (request) => {
      const user = currentUser(request);
      const body = request.body as Json;
      let targets = body.targets;
      if (typeof targets === 'string') {
        try {
          targets = JSON.parse(targets);
        } catch {
          throw badRequest('targets is not valid JSON');
        }
      }
      if (!Array.isArray(targets) || targets.length === 0) throw badRequest('targets must be a non-empty list');
      const parser = new FetchParser(fileRefs(body), truthy(body.auto_decompress, false));
      for (const target of targets) parser.target(target as Json);
      const { items, sessions, collections } = parser.parsed;
      if (new Set(sessions).size !== sessions.length) throw badRequest('the same upload session is used twice');
      for (const id of sessions) {
        const session = /^[0-9a-f-]{36}$/.test(id) ? await getUploadSession(ctx.pool, id) : null;
        if (!session || session.user_id !== user.id) throw badRequest(`upload session ${id.slice(0, 40)} not found`);
        if (session.offset !== session.length) throw badRequest(`upload session ${id} is incomplete (${session.offset} of ${session.length} bytes)`);
      }
      const history = await writableHistory(ctx, user, body.history_id);

      const { job, hdas, extra } = await startUpload(ctx, user, history, '__DATA_FETCH__', { targets }, items, {
        before: async (client: PoolClient) => {
          for (const id of sessions) {
            if (!(await consumeUploadSession(client, id, user.id))) throw conflict(`upload session ${id} was already used`);
          }
        },
        after: async (client, created) => {
          const ids = created.hdas.map((h) => h.id);
          const hdcas = [];
          for (const c of collections) {
            const collectionId = await createCollection(client, toNewCollection(c.tree, ids));
            const hdca = await createHdca(client, history.id, c.name, collectionId, { jobSourceId: created.job.id });
            hdcas.push(await getHdcaWithElements(client, hdca.id));
          }
          return hdcas;
        },
      });
      const outputCollections = (extra ?? []).map((hdca, i) => ({
        ...serializeHdca(ctx.ids, hdca!, 'detailed', { isAdmin: user.is_admin }),
        output_name: `output_collection${i}`,
      }));
      return toolResponse(ctx, request, job, hdas, outputCollections);
    },
  );
};
