/**
 * The learning-curve panel's slice: each step's free-state cost and the evaluations' train/test MSE.
 *
 * - `step`: (step number, cost) appended.
 * - `evaluation`: (step, trainMse, testMse) appended.
 *
 * Decimation keeps each list at most `maxPoints` long with the first and the newest point exact. Appending to a
 * full list first halves the resolution of its older half: with n = maxPoints points p0..p(n-1), the
 * m = floor(floor(n / 2) / 2) adjacent pairs (p1, p2), (p3, p4), ..., (p(2m-1), p(2m)) are each merged into one
 * point at the mean of their step numbers with the mean of their values (m = 1 when n is 3; a list of 2 just
 * replaces its newest point). p0 stays as it is, so the curve always starts where the run did; m slots free up,
 * so the next m - 1 points append without merging (amortised O(1) merges per point). Older stretches get coarser
 * each time, recent steps stay at full resolution. Merging is a plain mean of the two points, not weighted by how
 * many steps each already stands for.
 */
import type { CurveState, DashboardEvent, DashboardSetup } from './types.js';

/** Default CurveState.maxPoints. */
export const DEFAULT_CURVE_POINTS = 500;

/** Empty curve keeping at most setup.curvePoints (at least 2; default {@link DEFAULT_CURVE_POINTS}) points. */
export function initialCurve(setup: Pick<DashboardSetup, 'curvePoints'> = {}): CurveState {
  const maxPoints = Math.max(2, Math.floor(setup.curvePoints ?? DEFAULT_CURVE_POINTS));
  return { steps: [], cost: [], evals: [], maxPoints };
}

/**
 * Number of adjacent pairs merged when a list of n points is full (see the file comment): 0 only for n < 3.
 */
export function mergedPairs(n: number): number {
  const pairs = Math.max(1, Math.floor(Math.floor(n / 2) / 2));
  return Math.min(pairs, Math.floor((n - 1) / 2));
}

/**
 * `list` with `point` appended, decimated to at most `max` (>= 2) entries as the file comment says; `merge` makes
 * one point of two adjacent ones. Pure: returns a new array.
 */
export function appendDecimated<T>(list: readonly T[], point: T, max: number, merge: (older: T, newer: T) => T): T[] {
  if (list.length < max) return [...list, point];
  const pairs = mergedPairs(list.length);
  if (pairs === 0) return [...list.slice(0, Math.max(0, max - 1)), point];
  const out: T[] = [list[0]];
  for (let i = 0; i < pairs; i++) out.push(merge(list[1 + 2 * i], list[2 + 2 * i]));
  for (let i = 1 + 2 * pairs; i < list.length; i++) out.push(list[i]);
  out.push(point);
  return out;
}

/** The steps and costs as (step, cost) points, for appendDecimated. */
type CostPoint = [step: number, cost: number];
const mergeCost = (a: CostPoint, b: CostPoint): CostPoint => [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
type EvalPoint = CurveState['evals'][number];
const mergeEval = (a: EvalPoint, b: EvalPoint): EvalPoint => ({
  step: (a.step + b.step) / 2,
  trainMse: (a.trainMse + b.trainMse) / 2,
  testMse: (a.testMse + b.testMse) / 2,
});

/** Pure: see the file comment. Returns `state` itself when the event changes nothing. */
export function curveReducer(state: CurveState, event: DashboardEvent): CurveState {
  switch (event.type) {
    case 'step': {
      if (state.steps.length < state.maxPoints) {
        return { ...state, steps: [...state.steps, event.step], cost: [...state.cost, event.cost] };
      }
      const points = state.steps.map((s, i): CostPoint => [s, state.cost[i]]);
      const next = appendDecimated(points, [event.step, event.cost], state.maxPoints, mergeCost);
      return { ...state, steps: next.map((p) => p[0]), cost: next.map((p) => p[1]) };
    }
    case 'evaluation': {
      const point = { step: event.step, trainMse: event.trainMse, testMse: event.testMse };
      return { ...state, evals: appendDecimated(state.evals, point, state.maxPoints, mergeEval) };
    }
    default:
      return state;
  }
}
