import { open } from 'node:fs/promises';
import { decodeUtf8 } from '../sample.ts';
import { openContent } from './lines.ts';

const PEEK_BYTES = 64 * 1024;

/**
 * Galaxy's get_file_peek: the first 5 lines, long lines wrapped every 256 characters (each piece
 * counts as a line), joined with newlines, ending with one when the last line had one. Text that
 * is not UTF-8 gives "binary file".
 */
export async function filePeek(path: string, lineCount = 5, width = 256): Promise<string> {
  const { bytes, truncated } = await readContentStart(path, PEEK_BYTES);
  const text = decodeUtf8(bytes, truncated);
  if (text === undefined) return 'binary file';
  const lines: string[] = [];
  let position = 0;
  let lastLineBreak = false;
  // Python's readline(width): a newline counts toward the width, so a line of exactly `width`
  // characters comes back as that many characters and then an empty line.
  while (lines.length < lineCount && position < text.length) {
    const newline = text.indexOf('\n', position);
    if (newline >= 0 && newline - position + 1 <= width) {
      lines.push(text.slice(position, newline).replace(/\r$/, ''));
      lastLineBreak = true;
      position = newline + 1;
    } else {
      const end = Math.min(position + width, text.length);
      lines.push(text.slice(position, end));
      lastLineBreak = false;
      position = end;
    }
  }
  return lines.join('\n') + (lastLineBreak ? '\n' : '');
}

async function readContentStart(path: string, limit: number): Promise<{ bytes: Buffer; truncated: boolean }> {
  const stream = await openContent(path);
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      total += chunk.length;
      if (total >= limit) return { bytes: Buffer.concat(chunks).subarray(0, limit), truncated: true };
    }
  } catch {
    // A damaged compressed stream: peek at what decoded.
  } finally {
    stream.destroy();
  }
  return { bytes: Buffer.concat(chunks), truncated: false };
}

/** File size without reading it. */
export async function fileSize(path: string): Promise<number> {
  const handle = await open(path, 'r');
  try {
    return (await handle.stat()).size;
  } finally {
    await handle.close();
  }
}
