import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { fileError } from '../errors.js';

/**
 * Write a file under a temporary name and rename it into place, so that a reader never sees half a file. A wrong
 * path (no such directory, ...) is an InvalidInputError (exit 2); a failed write (disk full, permission denied) an
 * IoError (exit 1) naming the path and the reason.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // the temporary file was never created
    }
    throw fileError(e, path, 'write the file', 'check that the directory exists and is writable');
  }
}
