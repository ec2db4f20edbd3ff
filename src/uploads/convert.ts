import { Transform, type TransformCallback } from 'node:stream';

const CR = 0x0d;
const LF = 0x0a;

/** Whitespace Galaxy's space_to_tab collapses: any run of it (newlines aside) becomes one tab. */
function isBlank(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0b || byte === 0x0c;
}

export interface LineConversion {
  /** \r\n and lone \r become \n, and a non-empty file ends with a newline. */
  toPosixLines: boolean;
  /** Every run of spaces/tabs becomes a single tab (Galaxy's "Convert spaces to tabs"). */
  spaceToTab: boolean;
}

/**
 * Galaxy's upload line handling as a byte stream transform, so a file of any size is converted
 * with constant memory. It works on bytes, not characters: CR, LF, space and tab never occur
 * inside a multi-byte UTF-8 sequence, so no character can be split.
 */
export class LineConverter extends Transform {
  private pendingCr = false;
  private inBlankRun = false;
  private lastByte = -1;

  constructor(private readonly options: LineConversion) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (!this.options.spaceToTab && !this.pendingCr && chunk.indexOf(CR) === -1) {
      // The common case: nothing to rewrite in this chunk.
      if (chunk.length > 0) this.lastByte = chunk[chunk.length - 1];
      callback(null, chunk);
      return;
    }
    const out = Buffer.allocUnsafe(chunk.length + 1);
    let n = 0;
    const emit = (byte: number) => {
      out[n++] = byte;
      this.lastByte = byte;
    };
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (this.options.toPosixLines) {
        if (this.pendingCr) {
          this.pendingCr = false;
          emit(LF);
          this.inBlankRun = false;
          if (byte === LF) continue;
        }
        if (byte === CR) {
          this.pendingCr = true;
          continue;
        }
      }
      if (this.options.spaceToTab && isBlank(byte)) {
        if (!this.inBlankRun) emit(0x09);
        this.inBlankRun = true;
        continue;
      }
      this.inBlankRun = false;
      emit(byte);
    }
    callback(null, out.subarray(0, n));
  }

  override _flush(callback: TransformCallback): void {
    if (this.options.toPosixLines) {
      if (this.pendingCr) this.lastByte = LF;
      if (this.pendingCr || (this.lastByte !== -1 && this.lastByte !== LF)) {
        callback(null, Buffer.from([LF]));
        return;
      }
    }
    callback();
  }
}
