import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** A file's text, or how large it was when it went over the limit. */
export type BoundedRead = { text: string } | { tooLarge: number };

const CHUNK_BYTES = 64 * 1024;

/**
 * Reads a UTF-8 file of at most `maxBytes` bytes. A regular file over the limit is refused from its
 * size alone, before any byte is read; a file whose size is not known up front (a pipe, a device such
 * as `/dev/zero`) is read only until it passes the limit. Errors of `open`/`read` are thrown as they are.
 *
 * @example
 * const read = readBoundedFile('config.yaml', 1024 * 1024);
 * if ('tooLarge' in read) throw new Error(`${read.tooLarge} bytes is too large`);
 */
export function readBoundedFile(path: string, maxBytes: number): BoundedRead {
  const fd = openSync(path, 'r');
  try {
    const stat = fstatSync(fd);
    if (stat.isFile() && stat.size > maxBytes) return { tooLarge: stat.size };
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, maxBytes + 1 - total));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > maxBytes) return { tooLarge: stat.isFile() ? Math.max(stat.size, total) : total };
    }
    return { text: Buffer.concat(chunks, total).toString('utf8') };
  } finally {
    closeSync(fd);
  }
}
