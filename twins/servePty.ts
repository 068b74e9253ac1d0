/**
 * The twin on a pseudo-terminal, made in this process (no socat, no helper process): the twin holds the master end,
 * the host opens a stable path, a symlink to the slave end. See PseudoTerminal.ts for the pty itself and
 * staleTwinDirs.ts for the twin's temporary folder.
 */
import { EventEmitter } from 'node:events';
import { lstatSync, mkdtempSync, readlinkSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError } from '../src/errors.js';
import { openPseudoTerminal, type PseudoTerminal } from './PseudoTerminal.js';
import { LINK_RECORD, removeStaleTwinDirs, twinDirPrefix } from './staleTwinDirs.js';
import type { TwinBoardCore } from './TwinBoardCore.js';
import type { TwinFirmware } from './TwinFirmware.js';
import { type ServedTwin, toFirmware, TwinServer, type TwinServerOptions } from './TwinServer.js';

/** Options of {@link servePty}. */
export interface PtyOptions extends TwinServerOptions {
  /** Path the host opens (a symlink to the pty's slave; must not exist). Default: `tty` in a fresh temporary folder. */
  link?: string;
}

/** A twin served on a pseudo-terminal. */
export interface ServedPty extends ServedTwin {
  /**
   * `'unplugged'` once an unplug fault has hung up the pty and removed {@link path}; `'plugged'` once a new pty is
   * ready and {@link path} points to it again (the board rebooted). For tests and logs: wait on these, not on time.
   */
  readonly events: EventEmitter<{ unplugged: []; plugged: [] }>;
}

/**
 * Serve the twin on a pseudo-terminal pair. The host opens `path` (a symlink to the slave, created once the slave is
 * raw and the twin listens). On an unplug fault the pty is hung up (an open host port sees a disconnect; the last
 * reply is written first) and `path` disappears; after `unplugMs` a new pty is made and `path` comes back.
 *
 * Leftovers: the link lives in a temporary folder named after this process (or at `link`, recorded in that folder),
 * removed by `close()` and, should the process end without it (an uncaught error, `process.exit`), on its way out.
 * Folders of twins that were killed outright are removed here, before this twin makes its own (staleTwinDirs.ts).
 */
export async function servePty(firmware: TwinFirmware | TwinBoardCore, opts: PtyOptions = {}): Promise<ServedPty> {
  const server = new TwinServer(toFirmware(firmware), opts);
  const log = opts.log ?? (() => {});
  for (const d of removeStaleTwinDirs()) log(`removed the folder of a twin that died without cleaning up: ${d}`);
  if (opts.link !== undefined && existsOrLink(opts.link)) {
    throw new InvalidInputError({ source: '--link' }, `${opts.link} already exists`, 'choose a path that does not exist (the twin creates it)');
  }
  const dir = mkdtempSync(join(tmpdir(), twinDirPrefix()));
  const hostLink = opts.link ?? join(dir, 'tty');
  const events = new EventEmitter<{ unplugged: []; plugged: [] }>();
  let pty: PseudoTerminal | null = null;
  /** The slave our link points to, while we own the link. */
  let linkTarget: string | null = null;
  let replugTimer: unknown = null;
  let closed = false;

  /** For a link outside the folder: where it points, so that a later twin can remove it if this one is killed. */
  const recordLink = (target: string): void => {
    if (opts.link === undefined) return;
    const tmp = join(dir, `${LINK_RECORD}.tmp`);
    writeFileSync(tmp, JSON.stringify({ link: hostLink, target }));
    renameSync(tmp, join(dir, LINK_RECORD));
  };

  const removeLink = (): void => {
    if (linkTarget === null) return;
    try {
      // only the symlink we made (a path someone replaced in the meantime is theirs)
      if (lstatSync(hostLink).isSymbolicLink() && readlinkSync(hostLink) === linkTarget) unlinkSync(hostLink);
    } catch {
      /* gone already */
    }
    linkTarget = null;
  };

  const plug = async (banner: boolean): Promise<void> => {
    const p = await openPseudoTerminal({
      onData: (d) => {
        if (pty === p) server.input(d);
      },
      onError: (e) => {
        log(`pty error: ${e.message}`);
        if (pty === p) server.detach();
      },
    });
    if (closed) {
      await p.close();
      return;
    }
    try {
      recordLink(p.slavePath);
      symlinkSync(p.slavePath, hostLink);
    } catch (e) {
      await p.close();
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw new InvalidInputError({ source: '--link' }, `${hostLink} already exists`, 'choose a path that does not exist (the twin creates it)');
      throw e;
    }
    linkTarget = p.slavePath;
    pty = p;
    server.attach((b) => p.write(b), { banner });
    events.emit('plugged');
  };

  const unplug = async (): Promise<void> => {
    server.detach();
    const p = pty;
    pty = null;
    // the last reply is written to the pty first (a hang-up then discards what the host has not read yet, as a
    // pulled cable loses what is in flight), then the path goes, then the hang-up
    if (p) await p.drained();
    removeLink();
    if (p) await p.close();
  };

  server.onUnplug = (downMs) => {
    log(`unplugged: ${hostLink} removed for ${downMs} ms`);
    void unplug().then(() => {
      if (closed) return;
      events.emit('unplugged');
      replugTimer = server.timers.setTimeout(() => {
        replugTimer = null;
        if (closed) return;
        plug(false).then(
          () => log(`plugged in again: ${hostLink}`),
          (e: Error) => log(`replug failed: ${e.message}`),
        );
      }, downMs);
    });
  };

  // However the process ends without close() (an uncaught error, process.exit), remove the link and the folder on
  // the way out (the pty itself closes with the process). Not on a signal: the command that serves handles those.
  const removeOnExit = (): void => {
    removeLink();
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', removeOnExit);

  const release = async (): Promise<void> => {
    closed = true;
    process.off('exit', removeOnExit);
    server.close();
    if (replugTimer !== null) server.timers.clearTimeout(replugTimer);
    replugTimer = null;
    const p = pty;
    pty = null;
    removeLink();
    if (p) await p.close();
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await plug(true);
  } catch (e) {
    await release();
    throw e;
  }
  return { path: hostLink, server, events, close: release };
}

function existsOrLink(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
