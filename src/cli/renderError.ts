/**
 * How the CLI reports an error that ends a command: one paragraph on stderr (one line, printable, bounded) and the
 * exit code of docs/design.md: 2 for bad input, 1 for a failure of the run (including an I/O failure: permission denied,
 * disk full, an I/O error, named with the path and the operating system's reason). Only an error that no code
 * raised on purpose (a bug) carries its stack trace, to be reported.
 */
import { CllnError, clip, fileError, InvalidInputError, printable } from '../errors.js';

/** Longest message of a run failure (characters); bad-input messages are bounded by InvalidInputError itself. */
const MAX_FAILURE = 2000;

/** What the user was doing when a system call failed, for the message. */
const ACTIONS: Record<string, string> = {
  open: 'open the file',
  read: 'read the file',
  write: 'write the file',
  fsync: 'write the file',
  fdatasync: 'write the file',
  ftruncate: 'write the file',
  close: 'write the file',
  rename: 'rename the file',
  unlink: 'remove the file',
  mkdir: 'make the directory',
  scandir: 'list the directory',
  stat: 'look at the file',
  lstat: 'look at the file',
};

/** The exit code and the stderr text (ending in a newline) for an error thrown by command `command`. */
export function renderError(command: string, err: unknown): { code: number; text: string } {
  // A system error that escaped a command (a write in the middle of a run: disk full, permission denied) is typed
  // here, with the path it names.
  const path = (err as NodeJS.ErrnoException | undefined)?.path;
  if (!(err instanceof CllnError) && typeof path === 'string') {
    const syscall = (err as NodeJS.ErrnoException).syscall ?? '';
    err = fileError(err, path, Object.hasOwn(ACTIONS, syscall) ? ACTIONS[syscall] : 'access the file');
  }
  if (err instanceof InvalidInputError) {
    // errors raised while parsing the command line already name the command
    return { code: 2, text: `${err.message.startsWith('clln ') ? '' : `clln ${command}: `}${err.message}\n` };
  }
  if (err instanceof CllnError) {
    return { code: 1, text: `clln ${command}: ${clip(printable((err as Error).message), MAX_FAILURE)}\n` };
  }
  return { code: 1, text: `clln ${command}: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n` };
}
