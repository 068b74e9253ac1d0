import type { Observable } from 'rxjs';
import type { BoardIdentity } from '../../firmware-protocol/identity.js';

export type { BoardIdentity };

/** Options every board call takes. */
export interface CallOptions {
  /** Cancel the call: it rejects with an AbortError-named error; see the contract on {@link Board}. */
  signal?: AbortSignal;
}

/** Result of the board's own learning step (PROTOCOL.md `STEP`). */
export interface DeviceStepResult {
  /** Free-state voltages at the targets, volts, in the order given. */
  freeTargets: Float64Array;
  /** Number of edges whose setting changed. */
  changed: number;
  /**
   * Every edge's setting after the step (tap index, or gate volts), as the board reported it within the same call.
   * A caller that needs the settings must take them from here rather than from a later readEdges(): if that later
   * call failed on a lost link, the caller would redo a step the board had already applied (issue 11).
   */
  settings: Float64Array;
}

/** Result of a host-side measurement cycle ({@link Board.measureCycle}). */
export interface MeasureCycleResult {
  /** Free-state readings of every node, V (as the ADC reported them). */
  free: Float64Array;
  /** Clamped-state readings of every node, V. */
  clamped: Float64Array;
  /**
   * The voltages the targets were clamped at (node -> V): `V_F + eta (desired - V_F)` from the reported free reading,
   * limited to the DAC range and at the wire's 6 decimals (firmware-protocol `cycleClamp`).
   */
  clamps: Map<number, number>;
  /** Every edge's setting during the cycle, as last acknowledged (tap index, or gate volts); no edge moves in a cycle. */
  settings: Float64Array;
}

/** An autonomous run: examples uploaded to the device, which steps through them on its own. */
export interface Schedule {
  /** Number of steps; step s uses example s mod examples.length. */
  steps: number;
  sources: number[];
  targets: number[];
  examples: { in: ArrayLike<number>; out: ArrayLike<number> }[];
  /** Clamping strength of the device's rule. */
  eta: number;
  /** Gate boards: update gain in V/V^2. */
  amp?: number;
}

/** One streamed step of an autonomous run. */
export interface RunFrame {
  step: number;
  example: number;
  freeTargets: Float64Array;
  changed: number;
}

/** Link and board events, for the dashboard and the run record. */
export type BoardEvent =
  | { type: 'connected'; identity: BoardIdentity }
  | { type: 'disconnected'; reason: string }
  | { type: 'reconnecting'; attempt: number; delayMs: number }
  | { type: 'reset-detected'; previousBoot: number; bootCount: number }
  | { type: 'state-restored' }
  | { type: 'retry'; verb: string; attempt: number; reason: string }
  | { type: 'link-error'; kind: 'crc' | 'garbage' | 'overlong' | 'unexpected'; detail?: string };

/**
 * The one seam between host and hardware. A real board over a serial line and the twin (in-process or over a
 * serial port) implement it; one contract suite (test/device/contract) runs against all of them.
 *
 * Contract:
 * - **Values** are absolute (sources, clamps, edge settings), so repeating a call is harmless. Voltages are
 *   checked against the board's DAC range and node roles, and edge settings against the tap count or gate range,
 *   **before anything is sent**: a violation rejects with InvalidInputError and the board is untouched.
 * - **Timeout**: each command has a per-command timeout; after bounded retries with backoff (same sequence
 *   number, so the board answers a duplicate from its reply cache instead of executing twice) the call rejects
 *   with BoardTimeoutError. State is whatever the board last acknowledged.
 * - **Cancel**: aborting `signal` rejects the call at once with an error named `AbortError`; a command already on
 *   the wire may still take effect on the board (the implementation keeps its record consistent either way).
 * - **Disconnect**: calls in flight reject at once with BoardDisconnectedError; nothing written while the link is
 *   down is ever delivered later. The implementation reconnects in the background with backoff; calls made
 *   meanwhile wait for the link (up to its reconnect limit) and then proceed.
 * - **Device reset**: detected by a changed boot counter (never by waiting for the banner). The host restores
 *   the board's state (edge settings, sources, clamps) from its record of acknowledged values, emits
 *   `reset-detected` and `state-restored`, then continues. After any reconnect the state is restored too, so a
 *   command whose reply was lost is never counted as applied.
 * - **Exactly once** holds per call: a call that resolved is applied once, a call that rejected on link trouble is
 *   not applied (the board is put back to the acknowledged state). A caller that makes several calls and redoes them
 *   all after link trouble must therefore end with the one that is not idempotent (deviceStep), taking what it needs
 *   from that call's result: a redo after it had resolved would apply it a second time.
 */
export interface Board {
  /** Identity and capabilities; cached after connect, refreshed on reconnect. */
  identify(opts?: CallOptions): Promise<BoardIdentity>;
  /** Drive exactly these nodes (node -> volts); every other source released. Empty map releases all. */
  setSources(sources: ReadonlyMap<number, number>, opts?: CallOptions): Promise<void>;
  /** Clamp exactly these nodes (node -> volts); every other clamp released. Empty map releases all. */
  setClamps(clamps: ReadonlyMap<number, number>, opts?: CallOptions): Promise<void>;
  /** Node voltages (volts, one per node), each the mean of `samples` ADC samples (default 16). */
  measure(samples?: number, opts?: CallOptions): Promise<Float64Array>;
  /** Every edge's setting: tap index, or gate voltage in volts. */
  readEdges(opts?: CallOptions): Promise<Float64Array>;
  /** Set the given edges (edge -> setting), absolute. */
  writeEdges(settings: ReadonlyMap<number, number>, opts?: CallOptions): Promise<void>;
  /** One on-device coupled-learning step with the present sources (targets: node -> desired volts). */
  deviceStep(targets: ReadonlyMap<number, number>, eta: number, amp?: number, opts?: CallOptions): Promise<DeviceStepResult>;
  /**
   * Optional (the serial host has it): a whole host-side measurement cycle as one call: release the clamps, drive
   * exactly `sources`, measure every node (`samples` samples, default 16), clamp each target at
   * `V_F + eta (desired - V_F)` (see {@link MeasureCycleResult.clamps}), measure again, release the clamps. The
   * sources stay driven. Same as setClamps(empty), setSources, measure, setClamps, measure, setClamps(empty), and
   * like them repeatable: on a protocol 1.4 board it is one `CYCLE` exchange (PROTOCOL.md 7.2), else those six.
   */
  measureCycle?(sources: ReadonlyMap<number, number>, targets: ReadonlyMap<number, number>, eta: number, samples?: number, opts?: CallOptions): Promise<MeasureCycleResult>;
  /**
   * Optional (the serial host has it): release the clamps, drive exactly `sources`, then {@link deviceStep}. Not
   * idempotent, as deviceStep; on a protocol 1.4 board it is one `STEP src=` exchange, else `CLAMP -`, `SRC`, `STEP`
   * and `EGET`.
   */
  stepWithSources?(sources: ReadonlyMap<number, number>, targets: ReadonlyMap<number, number>, eta: number, amp?: number, opts?: CallOptions): Promise<DeviceStepResult>;
  /**
   * Upload `schedule` and run it on the device, streaming one frame per step under credit-based flow control:
   * the host grants `window` frames at a time and the device never runs ahead. Unsubscribing halts the run.
   * Lost frames are re-requested, so the stream has every step exactly once, in order.
   */
  runSchedule(schedule: Schedule, window?: number): Observable<RunFrame>;
  /** Reboot the board; resolves once it answers again (state lost: sources, clamps released, edges at power-on). */
  reset(opts?: CallOptions): Promise<void>;
  /** Link and board events. */
  readonly events: Observable<BoardEvent>;
  /** Release sources and clamps if possible, then close the link. */
  close(): Promise<void>;
}
