/**
 * A bare pseudo-terminal pair opened inside this process, with no program spawned and no system tool: the master end
 * is a byte channel the twin reads and writes, the slave end is a device path (`/dev/pts/N`) that another process
 * opens as a serial port.
 *
 * How, and why so:
 * - `openpty(3)` comes from the native binding that `@lydell/node-pty` ships prebuilt inside its npm package
 *   (N-API; no install script, no compiler). Its `open()` is node-pty's own bare-pair primitive; node-pty's
 *   JavaScript wrapper around it is not used because it starts reading the slave, which would steal the bytes meant
 *   for the host.
 * - The slave is made raw (no echo, no line editing, no CR/LF translation, 8 bits) at once, before a byte is
 *   written, by opening it with serialport's native binding, which sets exactly that termios; that descriptor is
 *   then held open (never read) for the life of the pair. A fresh pty is cooked and echoes: the twin's banner, written
 *   before the host opens the slave, would come straight back to the twin as input. Holding a slave descriptor also
 *   keeps the master readable while no host has the slave open (Linux answers EIO on the master otherwise), so the
 *   host may come and go. When a host opens the slave with serialport it sets the same raw mode (and flushes what
 *   was waiting).
 * - The master is read through serialport's port binding for the platform (non-blocking reads woken by a poller)
 *   and written with non-blocking writes, not through a Node TTY stream: libuv treats a pty master as a
 *   blocking-write TTY and spins in its write loop when the slave's input queue is full (a host that does not
 *   read), freezing the process.
 * - Closing the master hangs up the slave: an open host port sees a disconnect, as when a USB adapter is pulled.
 *   Bytes already written to the master before the close are still delivered to the host.
 *
 * Linux and macOS only (there are no Unix pseudo-terminals on Windows). The master descriptor is inherited by child
 * processes spawned while the pair is open (the native open does not set close-on-exec): such a child keeps the
 * pair alive after {@link PseudoTerminal.close}, so serve a twin from a process that spawns nothing (as
 * `clln twin serve` does) when the hang-up must reach the host.
 */
import { closeSync, write } from 'node:fs';
import { createRequire } from 'node:module';
import { autoDetect, DarwinPortBinding, LinuxPortBinding, type BindingPortInterface } from '@serialport/bindings-cpp';
import { CllnError } from '../src/errors.js';

/** One end-to-end pseudo-terminal pair; see the file comment. */
export interface PseudoTerminal {
  /** The slave device (e.g. `/dev/pts/5`): what a host opens. */
  readonly slavePath: string;
  /** Queue bytes for the host, in order. Ignored once closed. */
  write(bytes: Uint8Array): void;
  /** Resolves once every byte queued so far has been written to the pty (not necessarily read by the host). */
  drained(): Promise<void>;
  /** Hang up: the host's open port sees a disconnect; queued bytes not yet written are dropped. Idempotent. */
  close(): Promise<void>;
}

/** Callbacks of {@link openPseudoTerminal}. */
export interface PseudoTerminalHandlers {
  /** Bytes the host wrote to the slave. */
  onData(chunk: Buffer): void;
  /** The master failed while open (not called for a close we asked for). The pair is unusable afterwards. */
  onError?(err: Error): void;
}

interface PtyNative {
  open(cols: number, rows: number): { master: number; slave: number; pty: string };
}

type PortBindingClass = new (fd: number, options: never) => BindingPortInterface;

let native: PtyNative | null = null;

function ptyNative(): PtyNative {
  if (process.platform !== 'linux' && process.platform !== 'darwin') {
    throw new CllnError(`pseudo-terminals need Linux or macOS (this is ${process.platform}); serve the twin on a serial port with --port PATH instead`);
  }
  if (!native) {
    // @lydell/node-pty resolves its per-platform binary package (an optional dependency) and says what to do when
    // npm left it out (e.g. --omit=optional)
    const require = createRequire(import.meta.url);
    const { requireBinary } = require('@lydell/node-pty/requireBinary.js') as { requireBinary(file: string): unknown };
    native = requireBinary('pty.node') as PtyNative;
  }
  return native;
}

/** Bytes asked for per read of the master (a protocol line is at most 1 kB). */
const READ_CHUNK = 4096;

/** Write what the descriptor takes now: the byte count, 0 when it is full (EAGAIN). */
function writeSome(fd: number, bytes: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    write(fd, bytes, 0, bytes.length, null, (err, n) => {
      if (!err) resolve(n);
      else if (err.code === 'EAGAIN' || err.code === 'EWOULDBLOCK' || err.code === 'EINTR') resolve(0);
      else reject(err);
    });
  });
}

/** Open a raw pseudo-terminal pair; see the file comment. */
export async function openPseudoTerminal(handlers: PseudoTerminalHandlers): Promise<PseudoTerminal> {
  const pair = ptyNative().open(80, 24);
  // The native call returns the slave descriptor too, without close-on-exec: close it at once (before anything can
  // spawn and inherit it) and hold the slave through serialport's descriptor below, which has close-on-exec.
  closeSync(pair.slave);
  const binding = autoDetect();
  let holder: BindingPortInterface;
  try {
    // lock: false — serialport's advisory lock would make the host's own open fail; hupcl: false — nothing to hang up
    holder = await binding.open({ path: pair.pty, baudRate: 115200, lock: false, hupcl: false });
  } catch (e) {
    closeSync(pair.master);
    throw new CllnError(`cannot open the slave of a new pseudo-terminal (${pair.pty}): ${(e as Error).message}`, { cause: e });
  }
  const PortBinding = (process.platform === 'darwin' ? DarwinPortBinding : LinuxPortBinding) as unknown as PortBindingClass;
  const master = new PortBinding(pair.master, (holder as unknown as { openOptions: never }).openOptions);

  let closed = false;
  /** Bytes waiting for the master to take them, and the loop writing them (null when idle). */
  let queue: Buffer[] = [];
  let writing: Promise<void> | null = null;
  /** The write system call in progress, if any: the descriptor must not be closed under it. */
  let inFlight: Promise<unknown> | null = null;
  const fail = (e: unknown): void => {
    if (closed) return;
    handlers.onError?.(e instanceof Error ? e : new Error(String(e)));
  };
  // One write at a time, of everything queued meanwhile (lines queued while the host is slow to read go out
  // together). Not through the port binding's write: its poller watches one event set per descriptor, so a write
  // waiting for room would stop the read loop's wait for input, or the reverse. When the pty is full (the host is
  // not reading) the write is retried after a pause that doubles from 1 ms up to 50 ms.
  const writeQueued = async (): Promise<void> => {
    while (queue.length > 0 && !closed) {
      let chunk = queue.length === 1 ? queue[0] : Buffer.concat(queue);
      queue = [];
      let pauseMs = 1;
      while (chunk.length > 0 && !closed) {
        const attempt = writeSome(pair.master, chunk);
        inFlight = attempt;
        const n = await attempt.catch((e: unknown) => e as Error);
        inFlight = null;
        if (n instanceof Error) {
          queue = [];
          fail(n);
          break;
        }
        if (n === 0) {
          await new Promise((r) => setTimeout(r, pauseMs));
          pauseMs = Math.min(2 * pauseMs, 50);
        } else {
          chunk = chunk.subarray(n);
          pauseMs = 1;
        }
      }
    }
    writing = null;
  };

  void (async () => {
    for (;;) {
      const buf = Buffer.allocUnsafe(READ_CHUNK);
      let n: number;
      try {
        n = (await master.read(buf, 0, buf.length)).bytesRead;
      } catch (e) {
        return fail(e); // includes the cancellation of the pending read when we close: ignored then
      }
      if (closed) return;
      if (n > 0) handlers.onData(buf.subarray(0, n));
    }
  })();

  return {
    slavePath: pair.pty,
    write(bytes) {
      if (closed) return;
      queue.push(Buffer.from(bytes));
      writing ??= writeQueued();
    },
    drained() {
      return writing ?? Promise.resolve();
    },
    async close() {
      if (closed) return;
      closed = true;
      // closing the master first hangs the slave up; queued bytes are dropped, a write system call under way ends first
      await inFlight?.catch(() => undefined);
      await master.close().catch(() => undefined);
      await holder.close().catch(() => undefined);
    },
  };
}
