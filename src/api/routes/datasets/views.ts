import { Type, type Static } from '@sinclair/typebox';

/** Galaxy's serialization parameters: a named view and/or an explicit list of keys. */
export const ViewQuery = {
  view: Type.Optional(Type.Union([Type.Literal('summary'), Type.Literal('detailed')])),
  keys: Type.Optional(Type.String({ description: 'Comma-separated keys to return' })),
};
const ViewQueryObject = Type.Object(ViewQuery);
export type ViewQueryParams = Static<typeof ViewQueryObject>;

/** Keeps only the asked keys (a key the object lacks is left out rather than invented). */
export function pickKeys(value: Record<string, unknown>, keys: string | undefined): Record<string, unknown> {
  if (!keys) return value;
  const wanted = keys.split(',').map((k) => k.trim()).filter(Boolean);
  return Object.fromEntries(wanted.filter((k) => k in value).map((k) => [k, value[k]]));
}

export const EncodedId = Type.String({ description: 'Encoded id', maxLength: 64 });

/**
 * BioBlend sends DELETE requests with `Content-Type: application/json` and an empty body, which
 * Fastify's JSON parser refuses; an empty body simply means "no options". Used as a route-level
 * onRequest hook, before the body is parsed.
 */
export async function emptyBodyIsNoBody(request: { headers: Record<string, unknown> }): Promise<void> {
  if (request.headers['content-length'] === '0') delete request.headers['content-type'];
}
