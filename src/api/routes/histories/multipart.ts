import { badRequest } from '../../errors.ts';

export interface UploadedFile {
  filename: string;
  data: Buffer;
}

/**
 * A small multipart/form-data reader for the history import form (a few text fields and one
 * archive, within the server's body limit). Text fields become strings, file parts
 * UploadedFile objects.
 */
export function parseMultipart(contentType: string, body: Buffer): Record<string, string | UploadedFile> {
  const match = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!match) throw badRequest('multipart/form-data body without a boundary');
  const boundary = Buffer.from(`--${match[1] ?? match[2]}`);
  const fields: Record<string, string | UploadedFile> = {};
  let pos = body.indexOf(boundary);
  if (pos < 0) throw badRequest('multipart body does not contain its boundary');
  for (;;) {
    pos += boundary.length;
    if (body.subarray(pos, pos + 2).toString() === '--') break;
    pos += 2; // CRLF after the boundary
    const headerEnd = body.indexOf('\r\n\r\n', pos);
    if (headerEnd < 0) throw badRequest('truncated multipart body');
    const headers = body.subarray(pos, headerEnd).toString('utf8');
    const next = body.indexOf(boundary, headerEnd + 4);
    if (next < 0) throw badRequest('truncated multipart body');
    const data = body.subarray(headerEnd + 4, next - 2); // minus the CRLF before the boundary
    const name = /name="([^"]*)"/i.exec(headers)?.[1];
    const filename = /filename="([^"]*)"/i.exec(headers)?.[1];
    if (name) fields[name] = filename !== undefined ? { filename, data: Buffer.from(data) } : data.toString('utf8');
    pos = next;
  }
  return fields;
}
