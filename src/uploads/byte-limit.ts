import { Transform } from 'node:stream';
import { UrlRefusedError } from './url-policy.ts';

/** Counts bytes and fails the stream once `limit` is passed, so a huge response cannot fill the disk. */
export function byteLimit(limit: number, what: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, callback) {
      seen += chunk.length;
      if (seen > limit) callback(new UrlRefusedError(`${what} is larger than the limit of ${limit} bytes`));
      else callback(null, chunk);
    },
  });
}
