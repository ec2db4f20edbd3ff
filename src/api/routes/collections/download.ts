import { Type } from '@sinclair/typebox';
import { Readable } from 'node:stream';
import { loadCollection, type LoadedCollection } from '../../../model/collections.ts';
import type { ObjectStore } from '../../../objectstore/types.ts';
import type { RoutePlugin } from '../../server.ts';
import { notFound } from '../../errors.ts';
import { zipStream, type ZipEntry } from '../../../util/zip.ts';
import { loadHdca } from '../datasets/access.ts';
import { EncodedId } from '../datasets/views.ts';

/** Names inside the archive: never a path separator or a dot-only segment from a user's name. */
const safeSegment = (name: string) => {
  const cleaned = name.replace(/[/\\\0]/g, '_').replace(/^\.+$/, '_');
  return cleaned || '_';
};

function* entriesOf(store: ObjectStore, collection: LoadedCollection, dir: string): Generator<ZipEntry> {
  for (const element of collection.elements) {
    const identifier = safeSegment(element.element_identifier);
    if (element.element_type === 'dataset_collection') {
      yield* entriesOf(store, element.collection, `${dir}/${identifier}`);
      continue;
    }
    const hda = element.hda;
    yield {
      name: `${dir}/${identifier}.${safeSegment(hda.extension)}`,
      open: async () => {
        if (!hda.object_key || hda.dataset_purged || hda.file_size === 0) return Readable.from([]);
        const info = hda.file_size === null ? await store.head(hda.object_key) : { size: hda.file_size };
        return info && info.size > 0 ? store.get(hda.object_key) : Readable.from([]);
      },
    };
  }
}

/**
 * GET /api/dataset_collections/{id}/download: a zip with one top directory named after the
 * collection, `<identifier>.<ext>` files, and a directory per nested collection, streamed.
 */
export const downloadCollectionRoutes: RoutePlugin = (app, ctx) => {
  app.get(
    '/api/dataset_collections/:id/download',
    {
      config: { auth: 'optional' },
      schema: { tags: ['collections'], summary: 'Download a collection as a zip', params: Type.Object({ id: EncodedId }) },
    },
    async (request, reply) => {
      const { hdca } = await loadHdca(ctx.pool, ctx.ids, request.user, (request.params as { id: string }).id, 'read');
      const collection = await loadCollection(ctx.pool, hdca.collection_id);
      if (!collection) throw notFound('Collection not found');
      const top = safeSegment(hdca.name);
      const ascii = top.replace(/[^A-Za-z0-9._-]/g, '_');
      reply.header('Content-Type', 'application/zip');
      reply.header(
        'Content-Disposition',
        `attachment; filename="${ascii}.zip"; filename*=UTF-8''${encodeURIComponent(top)}.zip`,
      );
      return reply.send(zipStream(entriesOf(ctx.store, collection, top)));
    },
  );
};
