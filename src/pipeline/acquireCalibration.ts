/**
 * Run a calibration plan on a board: for every edge configuration, write the settings; for every pattern, apply the
 * drives and clamps and read every node. The board's own settings, sources and clamps are put back afterwards,
 * whether the acquisition finished, failed or was aborted.
 *
 * A dropped link under a measurement redoes that measurement (values are absolute; the board layer has restored the
 * last acknowledged state), so no measurement is lost or taken twice.
 */
import type { Board } from '../device/Board.js';
import { throwIfAborted } from '../device/abort.js';
import type { CalibrationData, CalibrationMeasurement, CalibrationPattern, ExpandedPlan } from '../calibration/types.js';
import { withLinkRetry } from './stepOnBoard.js';

/** Progress of an acquisition. */
export interface AcquireProgress {
  /** Measurements done and in all. */
  done: number;
  total: number;
  /** Configuration being measured (0-based) and how many. */
  configuration: number;
  configurations: number;
}

export interface AcquireOptions {
  signal?: AbortSignal;
  onProgress?: (p: AcquireProgress) => void;
  /** Link retries per measurement (default 5). */
  retries?: number;
}

/**
 * Apply one pattern (clamps released first, so that no node is driven and clamped at once; then the drives, then the
 * clamps) and read every node, redone from the start when the link fails under it.
 */
export async function measurePattern(board: Board, pat: CalibrationPattern, samples: number, retries: number): Promise<Float64Array> {
  const { value } = await withLinkRetry(async () => {
    await board.setClamps(new Map());
    await board.setSources(new Map(pat.drive));
    await board.setClamps(new Map(pat.clamp));
    return board.measure(samples);
  }, retries);
  return value;
}

/** Acquire the plan's measurements. The plan must have been expanded against this board's identity. */
export async function acquireCalibration(board: Board, plan: ExpandedPlan, opts: AcquireOptions = {}): Promise<CalibrationData> {
  const retries = opts.retries ?? 5;
  const C = plan.configurations.length;
  const P = plan.patterns.length;
  const total = C * P;
  const measurements: CalibrationMeasurement[] = [];
  const original = await board.readEdges();
  let current = Float64Array.from(original);
  const writeSettings = async (target: Float64Array): Promise<void> => {
    const changes = new Map<number, number>();
    for (let e = 0; e < target.length; e++) if (target[e] !== current[e]) changes.set(e, target[e]);
    if (changes.size > 0) await withLinkRetry(() => board.writeEdges(changes), retries);
    current = Float64Array.from(target);
  };
  opts.onProgress?.({ done: 0, total, configuration: 0, configurations: C });
  try {
    for (let c = 0; c < C; c++) {
      throwIfAborted(opts.signal, 'calibration');
      await writeSettings(plan.configurations[c]);
      for (let p = 0; p < P; p++) {
        throwIfAborted(opts.signal, 'calibration');
        const pat = plan.patterns[p];
        const readings = await measurePattern(board, pat, plan.samples, retries);
        measurements.push({ configuration: c, pattern: p, drive: pat.drive.map(([n, v]) => [n, v]), clamp: pat.clamp.map(([n, v]) => [n, v]), readings: Array.from(readings) });
        opts.onProgress?.({ done: measurements.length, total, configuration: c, configurations: C });
      }
    }
  } finally {
    // leave the board as it was: clamps and sources released, the original settings back
    await restore(board, original, current).catch(() => undefined);
  }
  return { configurations: plan.configurations.map((s) => Array.from(s)), measurements, samples: plan.samples };
}

async function restore(board: Board, original: Float64Array, current: Float64Array): Promise<void> {
  await board.setClamps(new Map());
  await board.setSources(new Map());
  const back = new Map<number, number>();
  for (let e = 0; e < original.length; e++) if (original[e] !== current[e]) back.set(e, original[e]);
  if (back.size > 0) await board.writeEdges(back);
}
