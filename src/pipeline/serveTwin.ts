/**
 * `serveTwin`: start a simulated board (twin) that speaks the board protocol on a serial line — the entry of
 * `clln twin serve`, and with InProcessTwinBoard the only code in src/ that starts a twin (test/imports.test.ts).
 * The transports are loaded on demand: they pull in the serial port's and the pty's native bindings, which no other
 * command needs.
 */
import { CllnError, InvalidInputError } from '../errors.js';
import { loadBoardModel } from '../../twins/BoardModel.js';
import { TwinBoardCore } from '../../twins/TwinBoardCore.js';
import { TwinFirmware } from '../../twins/TwinFirmware.js';
import type { ServedTwin, TwinServerStats } from '../../twins/TwinServer.js';

/** Options of {@link serveTwin}. */
export interface ServeTwinOptions {
  /** A shipped model name (twins/models/NAME.json) or a `clln.board/1` file. */
  board: string;
  /** Seed of every non-ideality and fault; default 0. */
  seed?: number;
  /** No noise, drift, tolerance or DAC errors (ADC quantisation and tap granularity stay); default false. */
  ideal?: boolean;
  /**
   * Protocol version the twin speaks: '1.4' (default: 1.3 plus the compound commands CYCLE and STEP src=), '1.3',
   * '1.2' (no keep= in ID) or '1.1' (no edge law either), as older firmware.
   */
  protocol?: '1.1' | '1.2' | '1.3' | '1.4';
  /** Fault spec, e.g. `garble=0.01,drop=0.001,reset-every=2000` (twins/README.md); default none. */
  faults?: string;
  /** Output pacing in baud, 10 bit times per byte; 0 = unpaced; default 115200. */
  baud?: number;
  /** Time per step of an autonomous run (ms); default from the model's sample rate. */
  stepMs?: number;
  /** How far ahead of its wire time a paced line may be written (ms, TwinServerOptions.leadMs); default 20. */
  leadMs?: number;
  /** Serve on this existing serial device; otherwise on a new pseudo-terminal. */
  port?: string;
  /** Pseudo-terminal only: the path the host opens (must not exist); default a link in a fresh temporary folder. */
  link?: string;
  /** Diagnostic messages (unplug, reset, stale folders removed, ...). */
  log?: (message: string) => void;
}

/** A twin being served. */
export interface ServingTwin {
  /** The path the host opens. */
  readonly path: string;
  /** What is served, e.g. `penn-gen1 (16 nodes, 24 tap edges)`. */
  readonly description: string;
  /** What the server has done so far (commands, resets, unplugs, dropped lines, garbled bytes). */
  readonly stats: TwinServerStats;
  /** Stop serving and release the transport (closes the pty, removes the links it made). */
  close(): Promise<void>;
}

/**
 * Start serving a twin. Bad input (faults, model, a port that cannot be opened, a link that exists) is an
 * InvalidInputError naming the option; a pseudo-terminal that cannot be made is a CllnError.
 */
export async function serveTwin(opts: ServeTwinOptions): Promise<ServingTwin> {
  const { parseFaults, serveSerialPort } = await import('../../twins/TwinServer.js');
  const { servePty } = await import('../../twins/servePty.js');
  const faults = parseFaults(opts.faults ?? '');
  const model = loadBoardModel(opts.board);
  const seed = opts.seed ?? 0;
  // 1.4 adds commands only: its board core is a 1.3 core (PROTOCOL.md 7.2)
  const coreProtocol = opts.protocol === '1.4' ? undefined : opts.protocol;
  const firmware = new TwinFirmware(new TwinBoardCore(model, { seed, ideal: opts.ideal === true, ...(coreProtocol ? { protocol: coreProtocol } : {}) }), opts.protocol ? { protocol: opts.protocol } : {});
  const serverOptions = { baud: opts.baud ?? 115200, faults, seed, stepMs: opts.stepMs, leadMs: opts.leadMs, log: opts.log };
  let served: ServedTwin;
  if (opts.port !== undefined) {
    try {
      served = await serveSerialPort(opts.port, firmware, serverOptions);
    } catch (e) {
      throw new InvalidInputError({ source: '--port' }, `cannot open ${opts.port}: ${(e as Error).message}`, 'give the path of an existing serial device or pty');
    }
  } else {
    try {
      served = await servePty(firmware, { ...serverOptions, link: opts.link });
    } catch (e) {
      if (e instanceof InvalidInputError) throw e;
      throw new CllnError(`cannot make a pseudo-terminal: ${(e as Error).message}`);
    }
  }
  return {
    path: served.path,
    description: `${model.name} (${model.nodes} nodes, ${model.edges.length} ${model.edge.kind} edges)`,
    stats: served.server.stats,
    close: () => served.close(),
  };
}
