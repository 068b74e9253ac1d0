import { InvalidInputError } from '../../errors.js';
import type { DriftRun } from './fitDriftTests.js';
import type { GateNetwork, GateTask } from './GateNetwork.js';

/** A recorded drift test: learning time (s) and the two gates (V) per sample. */
export interface GateSeries {
  time: ArrayLike<number>;
  gMinus: ArrayLike<number>;
  gPlus: ArrayLike<number>;
}

/**
 * Rails (V) of one drift test, per gate: the largest value the gate reaches if that is above `plateauAbove` (it sat on
 * its rail), else `fallback` (the top of the published rail range, 5.19 V); the lower rail is not reached (1 V).
 */
export function railsFromSeries(s: GateSeries, plateauAbove = 5.0, fallback = 5.19): [number, number][] {
  return [s.gMinus, s.gPlus].map((g) => {
    let hi = -Infinity;
    for (let i = 0; i < g.length; i++) hi = Math.max(hi, g[i]);
    return [1, hi > plateauAbove ? hi : fallback] as [number, number];
  });
}

/**
 * The fitting window of a drift test: `count` samples from `start` (default 2: sample 0 is before the reset and
 * sample 1 is the reset state; training has begun by sample 2), on a copy of `network` with the run's rails.
 */
export function driftRunFromSeries(
  name: string,
  experiment: number,
  series: GateSeries,
  network: GateNetwork,
  task: GateTask,
  start = 2,
  count = 40,
): DriftRun {
  const end = Math.min(series.time.length, start + count);
  if (end - start < 3) throw new InvalidInputError({ field: name }, `the drift window [${start}, ${end}) has fewer than 3 samples`, 'use a longer record');
  const time = new Float64Array(end - start);
  const gates = new Float64Array(2 * (end - start));
  for (let i = start; i < end; i++) {
    time[i - start] = series.time[i];
    gates[2 * (i - start)] = series.gMinus[i];
    gates[2 * (i - start) + 1] = series.gPlus[i];
  }
  return { name, experiment, network: { ...network, rails: railsFromSeries(series) }, task, time, gates };
}
