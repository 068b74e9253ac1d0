/**
 * `clln drift predict`: the periodic two-task limit cycle (task alpha over [0, tau/2), beta over [tau/2, tau)) at each
 * period tau from a `clln.drift-fit/1` document (issue 19, point 5), optionally beside measured sweeps in the published
 * layout (calibration/labdata/heldout). Measured data are read only to print ratios and draw them; nothing is fitted
 * to them.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidInputError } from '../errors.js';
import { readBowtieCsv, readTwoColumnCsv } from '../formats/gateSeriesCsv.js';
import { GateFlow } from '../physics/gateDynamics/GateFlow.js';
import { periodicLimitCycle, type LimitCycle, type LimitCycleOptions } from '../physics/gateDynamics/periodicLimitCycle.js';
import { SMALL_TASKS, smallGateNetwork } from '../physics/gateDynamics/smallGateNetwork.js';
import type { DriftFitForPrediction } from './driftFit.js';

/** One period's prediction and, with measured sweeps, the measured values at the same tau. */
export interface DriftPredictionRow {
  tau: number;
  cycle: LimitCycle;
  measured?: { d2: number; mse: number };
}

/** A measured bowtie (one period, G- and G+ in V) at period tau (s). */
export interface MeasuredBowtie {
  tau: number;
  gMinus: Float64Array;
  gPlus: Float64Array;
}

/** Measured sweeps of one experiment in the published layout: tau (s) -> D^2 (V^2) and MSE (V^2); bowties when present. */
export interface MeasuredSweeps {
  dir: string;
  tau: Float64Array;
  d2: Float64Array;
  mse: Float64Array;
  bowties: MeasuredBowtie[];
}

/** Relative tolerance when matching a predicted tau with a measured one (the published taus have 4 significant digits). */
const TAU_MATCH = 1e-6;

/** Newton's start (V) for the first tau; each later tau starts from the previous cycle (continuation). */
const START: [number, number] = [3, 3.5];

/**
 * Read DIR/measured-DG2-expN.csv and DIR/measured-MSE-expN.csv (two columns: tau s, value V^2, the same taus in
 * both) and any DIR/bowtie-expN-TAUs.csv among `bowtieTaus`.
 */
export function readMeasuredSweeps(dir: string, experiment: 1 | 2, bowtieTaus: readonly number[]): MeasuredSweeps {
  const d2Path = join(dir, `measured-DG2-exp${experiment}.csv`);
  if (!existsSync(d2Path)) {
    throw new InvalidInputError(
      { source: '--compare', field: dir },
      `the folder has no measured-DG2-exp${experiment}.csv (experiment ${experiment}'s D^2 sweep: two columns, tau in s, D^2 in V^2)`,
      'give a folder in the published layout, e.g. calibration/labdata/heldout',
    );
  }
  const d2 = readTwoColumnCsv(d2Path);
  const msePath = join(dir, `measured-MSE-exp${experiment}.csv`);
  const mse = readTwoColumnCsv(msePath);
  if (mse.x.length !== d2.x.length || mse.x.some((t, i) => Math.abs(t - d2.x[i]) > TAU_MATCH * Math.abs(t))) {
    throw new InvalidInputError({ source: msePath, field: 'column 1' }, 'its periods differ from those of the D^2 file', 'give both sweeps on the same tau grid');
  }
  const bowties: MeasuredBowtie[] = [];
  for (const tau of bowtieTaus) {
    const f = join(dir, `bowtie-exp${experiment}-${tau}s.csv`);
    if (existsSync(f)) bowties.push({ tau, ...readBowtieCsv(f) });
  }
  return { dir, tau: d2.x, d2: d2.y, mse: mse.y, bowties };
}

/** The two tasks' flows of a fit: the small network with the fit's rails, bias and rate. */
export function driftFlows(fit: DriftFitForPrediction): [GateFlow, GateFlow] {
  const net = smallGateNetwork(fit.rails);
  const [a, b] = SMALL_TASKS[fit.experiment === 1 ? 'exp1' : 'exp2'];
  return [new GateFlow(net, a, { r: fit.r, rc: fit.rc, bias: fit.bias }), new GateFlow(net, b, { r: fit.r, rc: fit.rc, bias: fit.bias })];
}

/** The limit cycle at each tau (s, in the given order, each started from the previous cycle), with measured values where a measured tau matches. */
export function predictDriftCycles(fit: DriftFitForPrediction, taus: readonly number[], measured?: MeasuredSweeps, limits: Pick<LimitCycleOptions, 'maxNewton' | 'maxPeriods'> = {}): DriftPredictionRow[] {
  const [fa, fb] = driftFlows(fit);
  let g: number[] = [...START];
  return taus.map((tau) => {
    const cycle = periodicLimitCycle(fa, fb, tau, g, limits);
    if (cycle.converged) g = Array.from(cycle.g0);
    const i = measured ? measured.tau.findIndex((t) => Math.abs(t - tau) <= TAU_MATCH * tau) : -1;
    return { tau, cycle, ...(measured && i >= 0 ? { measured: { d2: measured.d2[i], mse: measured.mse[i] } } : {}) };
  });
}

/**
 * Periods from the command line: a comma list `0.001,0.02` (s) or a log-spaced range `FROM:TO:COUNT`
 * (`0.001:1:13` = 13 periods from 1 ms to 1 s, equal ratios).
 */
export function parseTauList(text: string, source = '--tau'): number[] {
  const fix = 'give periods in seconds, e.g. --tau 0.002,0.02,0.08 or --tau 0.001:1:13 (FROM:TO:COUNT, log-spaced)';
  const parts = text.split(':');
  if (parts.length === 3) {
    const [from, to, count] = parts.map((p) => Number(p.trim()));
    if (!(from > 0) || !(to > from) || !Number.isFinite(to) || !Number.isSafeInteger(count) || count < 2 || count > 1000) {
      throw new InvalidInputError({ source }, `range ${JSON.stringify(text)} must be FROM:TO:COUNT with 0 < FROM < TO (s) and COUNT an integer in 2..1000`, fix);
    }
    return Array.from({ length: count }, (_, i) => from * (to / from) ** (i / (count - 1)));
  }
  const taus = text.split(',').map((p) => Number(p.trim()));
  if (text.trim() === '' || taus.some((t) => !(t > 0) || !Number.isFinite(t)) || taus.length > 1000) {
    throw new InvalidInputError({ source }, `${JSON.stringify(text.slice(0, 60))} must be up to 1000 comma-separated periods > 0 (s), or FROM:TO:COUNT`, fix);
  }
  return taus;
}
