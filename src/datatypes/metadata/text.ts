import type { DatasetMetadata } from '../types.ts';
import { countWith, niceSize } from './format.ts';
import { readLines } from './lines.ts';
import { filePeek, fileSize } from './peek.ts';

/** Text.count_data_lines: lines that are neither blank nor '#' comments. */
export async function countDataLines(path: string): Promise<number> {
  let count = 0;
  for await (const line of readLines(path)) {
    const trimmed = line.trim();
    if (trimmed !== '' && !trimmed.startsWith('#')) count += 1;
  }
  return count;
}

export async function textMetadata(path: string, lineClass = 'line'): Promise<DatasetMetadata> {
  const dataLines = await countDataLines(path);
  return { dataLines, peek: await filePeek(path), blurb: countWith(dataLines, lineClass) };
}

/** Text types whose Galaxy blurb is a fixed description rather than a line count. */
export function describedTextMetadata(blurb: string) {
  return async (path: string): Promise<DatasetMetadata> => ({
    dataLines: await countDataLines(path),
    peek: await filePeek(path),
    blurb,
  });
}

/** Binary types: a fixed peek and the size as the blurb. */
export function binaryMetadata(peek: string) {
  return async (path: string): Promise<DatasetMetadata> => ({ peek, blurb: niceSize(await fileSize(path)) });
}

/** HTML: Galaxy shows no content in the peek. */
export async function htmlMetadata(path: string): Promise<DatasetMetadata> {
  return { dataLines: await countDataLines(path), peek: 'HTML file', blurb: niceSize(await fileSize(path)) };
}
