/**
 * Reading a user's input file with a size limit checked before the file is read, and its failures typed: a wrong
 * path (missing, a directory, ...) is bad input (InvalidInputError, exit 2), any other failure (permission denied, an
 * I/O error) an IoError (exit 1) naming the path and the operating system's reason. See {@link fileError}.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { fileError, InvalidInputError } from '../errors.js';

/**
 * The bytes of the file at `path`, at most `maxBytes` of them.
 * A regular file larger than `maxBytes` is refused from its size, before anything is read; a file whose size is not
 * known in advance (a pipe, a device) is read up to `maxBytes + 1` bytes and refused if it has more. So a read costs
 * at most `maxBytes` of memory whatever the file.
 * @param what what the file should hold, for messages, e.g. `network file`
 * @param fix what to do about a wrong path
 * @throws InvalidInputError for a wrong path or a file over the limit; IoError for any other failure
 */
export function readInputFile(path: string, what: string, maxBytes: number, fix = 'check the path'): Buffer {
  const action = `read the ${what}`;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw fileError(e, path, action, fix);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new InvalidInputError({ source: path }, `cannot ${action}: it is a directory`, fix);
    if (st.isFile() && st.size > maxBytes) throw tooLarge(path, what, st.size, maxBytes);
    // Regular files are read in one go (their size is known); others in chunks, until the limit is passed.
    const chunks: Buffer[] = [];
    let total = 0;
    // (one byte more than the size, to see the end of the file in the first read)
    let chunkSize = st.isFile() && st.size > 0 ? st.size + 1 : 65536;
    while (true) {
      const buf = Buffer.allocUnsafe(Math.min(chunkSize, maxBytes + 1 - total));
      chunkSize = 65536;
      const got = readSync(fd, buf, 0, buf.length, null);
      if (got === 0) break;
      chunks.push(got === buf.length ? buf : buf.subarray(0, got));
      total += got;
      if (total > maxBytes) throw tooLarge(path, what, undefined, maxBytes);
    }
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
  } catch (e) {
    if (e instanceof InvalidInputError) throw e;
    throw fileError(e, path, action, fix);
  } finally {
    closeSync(fd);
  }
}

function tooLarge(path: string, what: string, size: number | undefined, maxBytes: number): InvalidInputError {
  const has = size === undefined ? `more than ${bytes(maxBytes)}` : bytes(size);
  return new InvalidInputError(
    { source: path },
    `the ${what} is ${has}; the limit is ${bytes(maxBytes)}`,
    `check that this is the right file; a larger ${what} must be split (see the limits in src/formats/README.md)`,
  );
}

/** `67108864` -> `64 MiB`, `1500` -> `1500 bytes`. */
function bytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(n % (1024 * 1024) === 0 ? 0 : 1)} MiB`;
  return `${n} bytes`;
}
