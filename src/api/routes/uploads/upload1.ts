import { truthy } from '../../../uploads/items.ts';
import { badRequest } from '../../errors.ts';
import { checkedExtension, checkedName, checkedUrl, nameFromUrl, type PendingItem } from './common.ts';

/** Lines that all look like `scheme://...` make a paste a list of URLs, as in Galaxy's upload form. */
const URL_LINE = /^[a-z][a-z0-9+.-]*:\/\/\S+$/i;

/**
 * Galaxy's upload1 tool state (legacy flat keys `files_N|...`) to the items it uploads. BioBlend
 * 1.0 puts `files_0|url_paste` beside `inputs` rather than in it, so both places are read.
 * Each `files_N` is one pasted dataset, or one dataset per line when the paste is a URL list.
 */
export function upload1Items(body: Record<string, unknown>): PendingItem[] {
  const inputs = { ...(body.inputs as Record<string, unknown> | undefined) };
  for (const [key, value] of Object.entries(body)) {
    if (key.startsWith('files_') && !(key in inputs)) inputs[key] = value;
  }
  const ext = checkedExtension(inputs.file_type);
  const dbkey = typeof inputs.dbkey === 'string' && inputs.dbkey ? inputs.dbkey : '?';
  const indices = new Set<number>();
  for (const key of Object.keys(inputs)) {
    const match = /^files_(\d+)\|/.exec(key);
    if (match) indices.add(Number(match[1]));
  }
  const items: PendingItem[] = [];
  for (const n of [...indices].sort((a, b) => a - b)) {
    const field = (name: string) => inputs[`files_${n}|${name}`];
    if (field('ftp_files') !== undefined && field('ftp_files') !== null && field('ftp_files') !== '') {
      throw badRequest('Uploads from an FTP directory are not supported by this server; use a URL or tus');
    }
    if (field('file_data') !== undefined && field('file_data') !== null && field('file_data') !== '') {
      throw badRequest('upload1 takes pasted content or URLs here; send files through tus and /api/tools/fetch');
    }
    const paste = field('url_paste');
    if (paste === undefined || paste === null || paste === '') continue;
    if (typeof paste !== 'string') throw badRequest(`files_${n}|url_paste must be a string`);
    const options = {
      ext,
      dbkey: typeof field('dbkey') === 'string' && field('dbkey') ? (field('dbkey') as string) : dbkey,
      toPosixLines: truthy(field('to_posix_lines'), true),
      spaceToTab: truthy(field('space_to_tab'), false),
      autoDecompress: true,
    };
    const lines = paste.split(/\r\n|\r|\n/).map((l) => l.trim()).filter(Boolean);
    if (lines.length > 0 && lines.every((l) => URL_LINE.test(l))) {
      for (const line of lines) {
        const url = checkedUrl(line);
        items.push({ ...options, name: checkedName(lines.length === 1 ? field('NAME') : undefined, nameFromUrl(url)), source: { kind: 'url', url } });
      }
    } else {
      items.push({ ...options, name: checkedName(field('NAME'), 'Pasted Entry'), source: { kind: 'paste', text: paste } });
    }
  }
  return items;
}
