/**
 * The twin as a serialport binding of its own: an object with serialport's binding interface (`list()`, `open()`,
 * and per open port `read`, `write`, `close`, `update`, `set`, `get`, `getBaudRate`, `flush`, `drain`), whose ports
 * are twins. A host opens a twin exactly as it opens a board, only with this binding:
 *
 * ```ts
 * const binding = new TwinBinding();
 * const twin = binding.serve('/dev/twin0', core, { baud: 0 });
 * const board = await openSerialBoard('/dev/twin0', { binding });
 * ```
 *
 * Each TwinBinding has its own table of ports (nothing global, nothing patched): two bindings may serve the same
 * path independently. Bytes the host writes reach the twin's {@link TwinServer} one event-loop turn after the write
 * (as the operating system takes them from a real port); what the twin sends is read by the host. Pacing at the baud
 * rate, autonomous-run steps and unplug durations run on the server's injected clock (`timers`, see TwinTimers.ts).
 *
 * Written after the binding interface that node-serialport documents (its @serialport/bindings-interface types and
 * the behaviour its own mock binding shows): reads resolve with at least one byte; a read or write pending when the
 * port is closed on purpose fails with an error whose `canceled` is true; any other error (here: the twin unplugged
 * or gone) makes the serialport stream close itself with a disconnect (`close` event, `err.disconnected === true`).
 * Types are declared here structurally, since the interface package publishes no types NodeNext resolution sees.
 */
import { TwinBoardCore } from './TwinBoardCore.js';
import { TwinFirmware } from './TwinFirmware.js';
import { toFirmware, TwinServer, type ServedTwin, type TwinServerOptions } from './TwinServer.js';

/** What `open()` takes (serialport's OpenOptions). */
export interface TwinOpenOptions {
  path: string;
  baudRate: number;
  dataBits?: 5 | 6 | 7 | 8;
  lock?: boolean;
  stopBits?: 1 | 1.5 | 2;
  parity?: string;
  rtscts?: boolean;
  xon?: boolean;
  xoff?: boolean;
  xany?: boolean;
  hupcl?: boolean;
}

/** What `list()` reports per port (serialport's PortInfo). */
export interface TwinPortInfo {
  path: string;
  manufacturer: string | undefined;
  serialNumber: string | undefined;
  pnpId: string | undefined;
  locationId: string | undefined;
  productId: string | undefined;
  vendorId: string | undefined;
}

/** A twin served on a {@link TwinBinding} port. */
export interface BoundTwin extends ServedTwin {
  readonly firmware: TwinFirmware;
  readonly core: TwinBoardCore;
  /** Pull the plug now: the host's open port closes with a disconnect error; `open` fails until `downMs` passed (on the server's clock). */
  unplug(downMs?: number): void;
  /** True while unplugged. */
  readonly unplugged: boolean;
}

/** An error of a port closed on purpose, which serialport's stream does not treat as a disconnect. */
class CanceledError extends Error {
  readonly canceled = true;
}

function disconnectError(path: string): Error {
  return Object.assign(new Error(`${path}: device disconnected (twin unplugged)`), { disconnected: true });
}

/** The next turn of the microtask queue after the current one: the binding's answers are asynchronous, as the OS's are. */
function nextTick(): Promise<void> {
  return new Promise((resolve) => process.nextTick(resolve));
}

/** One served path: the twin's server and the host's open port, if any. */
class TwinEndpoint {
  /** The host's port open on this path now (at most one: ports are locked). */
  current: TwinPortBinding | null = null;
  unplugged = false;
  private downTimer: unknown = null;

  constructor(
    readonly path: string,
    readonly server: TwinServer,
  ) {}

  /** The link is gone (unplug, or the twin closed): the host's port fails with a disconnect, the lock is released. */
  cut(): void {
    this.server.detach();
    const port = this.current;
    this.current = null;
    port?.kill(disconnectError(this.path));
  }

  unplugFor(downMs: number): void {
    this.unplugged = true;
    this.cut();
    this.clearDownTimer();
    this.downTimer = this.server.timers.setTimeout(() => {
      this.downTimer = null;
      this.unplugged = false;
    }, downMs);
  }

  clearDownTimer(): void {
    if (this.downTimer !== null) this.server.timers.clearTimeout(this.downTimer);
    this.downTimer = null;
  }
}

/** A port the host opened on a {@link TwinBinding}: serialport's BindingPortInterface. */
export class TwinPortBinding {
  isOpen = true;
  readonly openOptions: Required<TwinOpenOptions>;
  /** Bytes the twin sent that the host has not read yet. */
  private received: Buffer[] = [];
  private pendingRead: { wake: () => void; fail: (e: Error) => void } | null = null;
  private writing: Promise<void> | null = null;
  /** Set when the device went away: reads and writes fail with it until the host closes the port. */
  private gone: Error | null = null;

  constructor(
    private readonly endpoint: TwinEndpoint,
    openOptions: Required<TwinOpenOptions>,
  ) {
    this.openOptions = openOptions;
  }

  /** From the twin: bytes for the host. */
  deliver(bytes: Buffer): void {
    if (!this.isOpen || this.gone) return;
    this.received.push(Buffer.from(bytes));
    const r = this.pendingRead;
    this.pendingRead = null;
    r?.wake();
  }

  /** The device went away: a pending read fails with `error` (not canceled: the stream sees a disconnect). */
  kill(error: Error): void {
    this.gone ??= error;
    this.received = [];
    const r = this.pendingRead;
    this.pendingRead = null;
    r?.fail(error);
  }

  async read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }> {
    if (!Buffer.isBuffer(buffer)) throw new TypeError('"buffer" is not a Buffer');
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 1) throw new TypeError('"offset" and "length" must be integers, length >= 1');
    if (buffer.length < offset + length) throw new Error('buffer is too small');
    if (!this.isOpen) throw new Error('Port is not open');
    await nextTick();
    for (;;) {
      if (!this.isOpen) throw new CanceledError('Read canceled');
      if (this.gone) throw this.gone;
      if (this.received.length > 0) break;
      await new Promise<void>((resolve, reject) => {
        this.pendingRead = { wake: resolve, fail: reject };
      });
    }
    let bytesRead = 0;
    while (bytesRead < length && this.received.length > 0) {
      const head = this.received[0];
      const n = head.copy(buffer, offset + bytesRead, 0, Math.min(head.length, length - bytesRead));
      bytesRead += n;
      if (n === head.length) this.received.shift();
      else this.received[0] = head.subarray(n);
    }
    return { buffer, bytesRead };
  }

  async write(buffer: Buffer): Promise<void> {
    if (!Buffer.isBuffer(buffer)) throw new TypeError('"buffer" is not a Buffer');
    if (!this.isOpen) throw new Error('Port is not open');
    if (this.writing) throw new Error('Overlapping writes are not supported and should be queued by the serialport object');
    const copy = Buffer.from(buffer);
    this.writing = (async () => {
      try {
        await nextTick();
        if (!this.isOpen) throw new CanceledError('Write canceled');
        if (this.gone || this.endpoint.current !== this) throw this.gone ?? disconnectError(this.endpoint.path);
        // the bytes reach the twin on the next turn of the event loop, as they reach a device after the OS took them
        setImmediate(() => {
          if (this.endpoint.current === this) this.endpoint.server.input(copy);
        });
      } finally {
        this.writing = null;
      }
    })();
    return this.writing;
  }

  async close(): Promise<void> {
    if (!this.isOpen) throw new Error('Port is not open');
    this.isOpen = false;
    this.received = [];
    if (this.endpoint.current === this) {
      this.endpoint.current = null;
      this.endpoint.server.detach();
    }
    const r = this.pendingRead;
    this.pendingRead = null;
    r?.fail(new CanceledError('port is closed'));
  }

  async update(options: { baudRate: number }): Promise<void> {
    if (typeof options !== 'object' || typeof options.baudRate !== 'number') throw new TypeError('"options.baudRate" is not a number');
    this.requireOpen();
    await nextTick();
    this.openOptions.baudRate = options.baudRate;
  }

  async set(options: { brk?: boolean; cts?: boolean; dsr?: boolean; dtr?: boolean; rts?: boolean }): Promise<void> {
    if (typeof options !== 'object') throw new TypeError('"options" is not an object');
    this.requireOpen();
    await nextTick();
  }

  /** Modem lines: the twin is always ready (CTS, DSR); there is no carrier to detect (DCD). */
  async get(): Promise<{ cts: boolean; dsr: boolean; dcd: boolean }> {
    this.requireOpen();
    await nextTick();
    return { cts: true, dsr: true, dcd: false };
  }

  async getBaudRate(): Promise<{ baudRate: number }> {
    this.requireOpen();
    await nextTick();
    return { baudRate: this.openOptions.baudRate };
  }

  /** Discard what the twin sent and the host has not read. */
  async flush(): Promise<void> {
    this.requireOpen();
    await nextTick();
    this.received = [];
  }

  /** Wait until the write in progress has been taken. */
  async drain(): Promise<void> {
    this.requireOpen();
    await this.writing?.catch(() => undefined);
    await nextTick();
  }

  private requireOpen(): void {
    if (!this.isOpen) throw new Error('Port is not open');
  }
}

/** serialport's binding interface, serving twins. See the file comment. */
export class TwinBinding {
  private readonly endpoints = new Map<string, TwinEndpoint>();

  /**
   * Serve a twin at `path` on this binding (a distinct path per twin; a path served already is an error). `opts`
   * as for {@link TwinServer}; `baud` defaults to 115200 (replies take their wire time), `baud: 0` answers at once.
   */
  serve(path: string, firmwareOrCore: TwinFirmware | TwinBoardCore, opts: TwinServerOptions = {}): BoundTwin {
    if (this.endpoints.has(path)) throw new Error(`${path} is already served by this twin binding`);
    const firmware = toFirmware(firmwareOrCore);
    const server = new TwinServer(firmware, opts);
    const ep = new TwinEndpoint(path, server);
    this.endpoints.set(path, ep);
    server.onUnplug = (downMs) => ep.unplugFor(downMs);
    const endpoints = this.endpoints;
    return {
      path,
      server,
      firmware,
      core: firmware.core,
      unplug(downMs = server.faults.unplugMs) {
        server.powerLoss();
        ep.unplugFor(downMs);
      },
      get unplugged() {
        return ep.unplugged;
      },
      async close() {
        ep.clearDownTimer();
        server.close();
        if (endpoints.get(path) === ep) endpoints.delete(path);
        // the host's port sees a disconnect, as when a board goes away
        ep.cut();
      },
    };
  }

  /** The served paths that are plugged in. */
  async list(): Promise<TwinPortInfo[]> {
    return [...this.endpoints.values()]
      .filter((ep) => !ep.unplugged)
      .map((ep) => ({
        path: ep.path,
        manufacturer: 'clln twin',
        serialNumber: ep.server.firmware.core.model.uid,
        pnpId: undefined,
        locationId: undefined,
        productId: undefined,
        vendorId: undefined,
      }));
  }

  /** Open the port at `options.path`: fails when nothing is served there, while unplugged, or while it is open (locked). */
  async open(options: TwinOpenOptions): Promise<TwinPortBinding> {
    if (!options || typeof options !== 'object' || Array.isArray(options)) throw new TypeError('"options" is not an object');
    if (!options.path) throw new TypeError('"path" is not a valid port');
    if (!options.baudRate) throw new TypeError('"baudRate" is not a valid baudRate');
    const openOptions: Required<TwinOpenOptions> = {
      dataBits: 8,
      lock: true,
      stopBits: 1,
      parity: 'none',
      rtscts: false,
      xon: false,
      xoff: false,
      xany: false,
      hupcl: true,
      ...options,
    };
    await nextTick();
    const ep = this.endpoints.get(options.path);
    if (!ep) throw new Error(`Port ${options.path} does not exist (no twin is served there)`);
    if (ep.unplugged) throw new Error(`Port ${options.path} does not exist (twin unplugged)`);
    if (ep.current) throw new Error(`Port ${options.path} is locked (already open)`);
    const port = new TwinPortBinding(ep, openOptions);
    ep.current = port;
    ep.server.attach((bytes) => {
      if (ep.current === port) port.deliver(bytes);
    });
    return port;
  }
}
