/**
 * The temporary folders of pty twins, and the removal of the ones whose twin died without cleaning up.
 *
 * A pty twin keeps its host link (`tty`) in a folder `clln-twin-<pid>-<6 random characters>` under the system's
 * temporary folder, `<pid>` being the twin's process. A twin removes its folder whenever it stops, even on an
 * uncaught error; only a twin killed outright (kill -9, power loss) leaves it behind, its link dangling. The next pty
 * twin to start removes such folders: **only ours** (the name pattern, owned by this user) and **only stale** (the
 * owner process is gone; a folder whose pid is alive, even if reused by another program, is left alone). A folder
 * records in `link.json` the `--link` path its twin made outside it, and that link goes too if it is still the
 * symlink the twin made. Folders of older twins, named `clln-twin-<6 random characters>` (no pid), are removed
 * only when all they hold is dangling `tty` / `dev` links (what a socat-era twin left).
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The folder-name prefix of this process's twins (mkdtemp adds the random part). */
export function twinDirPrefix(pid: number = process.pid): string {
  return `clln-twin-${pid}-`;
}

/** Name of the record, inside a twin's folder, of a host link made outside it: `{ "link": path, "target": slave }`. */
export const LINK_RECORD = 'link.json';

const CURRENT = /^clln-twin-(\d+)-[A-Za-z0-9]{6}$/;
const LEGACY = /^clln-twin-[A-Za-z0-9]{6}$/;

/** Remove stale twin folders under `parent` (default: the system's temporary folder); returns the removed paths. */
export function removeStaleTwinDirs(parent: string = tmpdir()): string[] {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const dir = join(parent, name);
    const m = CURRENT.exec(name);
    try {
      if (m) {
        if (!ownedDir(dir) || processAlive(Number(m[1]))) continue;
        removeRecordedLink(dir);
      } else if (LEGACY.test(name)) {
        if (!ownedDir(dir) || !onlyDanglingLinks(dir)) continue;
      } else {
        continue;
      }
      rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // another twin cleaning up at the same moment, or a folder we may not touch: leave it
    }
  }
  return removed;
}

/** A directory (not a symlink to one) owned by this user. */
function ownedDir(path: string): boolean {
  const st = lstatSync(path);
  return st.isDirectory() && (process.getuid === undefined || st.uid === process.getuid());
}

/** Does process `pid` exist? (EPERM: it exists, as another user's.) */
function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return true; // not a pid we can judge: leave the folder
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function removeRecordedLink(dir: string): void {
  let rec: { link?: unknown; target?: unknown };
  try {
    rec = JSON.parse(readFileSync(join(dir, LINK_RECORD), 'utf8')) as typeof rec;
  } catch {
    return; // no record: the link was the folder's own tty
  }
  if (typeof rec.link !== 'string' || typeof rec.target !== 'string') return;
  try {
    if (lstatSync(rec.link).isSymbolicLink() && readlinkSync(rec.link) === rec.target) unlinkSync(rec.link);
  } catch {
    /* gone, or not ours any more */
  }
}

function onlyDanglingLinks(dir: string): boolean {
  const entries = readdirSync(dir);
  return entries.every((e) => {
    if (e !== 'tty' && e !== 'dev') return false;
    const p = join(dir, e);
    if (!lstatSync(p).isSymbolicLink()) return false;
    try {
      statSync(p);
      return false; // its target exists: a live twin's link
    } catch {
      return true;
    }
  });
}
