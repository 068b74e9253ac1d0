import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { InvalidInputError } from '../errors.js';

/** Write a file under a temporary name and rename it into place, so that a reader never sees half a file. */
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
    const code = (e as NodeJS.ErrnoException).code;
    throw new InvalidInputError({ source: path }, `cannot write the file: ${code === 'ENOENT' ? 'no such directory' : (e as Error).message}`, 'check that the directory exists and is writable');
  }
}
