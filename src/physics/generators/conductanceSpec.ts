/**
 * How generators choose edge conductances and their bounds. Pure; randomness comes from an injected {@link Rng}.
 *
 * Defaults (siemens). Simulated networks work in normalised units: conductances around 1 S, the scale at which
 * the default learning rate alpha = 0.5 S/V^2 and nudge beta = 0.01 S are sensible (the update adds
 * alpha/(2 eta) times a squared voltage to k, so alpha must be commensurate with k). Board models carry their
 * own physical ranges.
 * - constant {@link DEFAULT_CONDUCTANCE} = 1 S when no seed is given;
 * - uniform random in {@link DEFAULT_RANDOM_RANGE} = [0.5, 1.5] S when a seed is given, so seeded
 *   networks start from a generic (non-symmetric) point;
 * - bounds {@link DEFAULT_BOUNDS} = [1e-3, 1e3] S, three decades either side of the default range, wide enough
 *   not to bind in ordinary training.
 */
import { InvalidInputError, show } from '../../errors.js';
import type { Rng } from '../Rng.js';

/** A constant conductance in siemens, or a range [lo, hi] in siemens to draw uniformly from. */
export type ConductanceSpec = number | readonly [number, number];

/** Constant conductance used without a seed: 1 S (normalised units). */
export const DEFAULT_CONDUCTANCE = 1;
/** Range drawn from when a seed is given and no conductance is specified: [0.5, 1.5] S. */
export const DEFAULT_RANDOM_RANGE: readonly [number, number] = [0.5, 1.5];
/** Default learning bounds [k_min, k_max]: [1 mS, 1 kS]. */
export const DEFAULT_BOUNDS: readonly [number, number] = [1e-3, 1e3];

/**
 * Validate `bounds` (default {@link DEFAULT_BOUNDS}) and return a fresh copy.
 * @param source the generator's name, for messages
 */
export function resolveBounds(bounds: readonly [number, number] | undefined, source: string): [number, number] {
  if (bounds === undefined) return [DEFAULT_BOUNDS[0], DEFAULT_BOUNDS[1]];
  const fix = 'give bounds as [k_min, k_max] in siemens with 0 < k_min <= k_max';
  if (!Array.isArray(bounds) || bounds.length !== 2) {
    throw new InvalidInputError({ source, field: 'bounds' }, `must be [k_min, k_max], got ${show(bounds)}`, fix);
  }
  const [lo, hi] = bounds;
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo > 0 && hi > 0 && lo <= hi)) {
    throw new InvalidInputError({ source, field: 'bounds' }, `must satisfy 0 < k_min <= k_max (finite, siemens), got ${show(bounds)}`, fix);
  }
  return [lo, hi];
}

/**
 * Conductances for `count` edges, in siemens.
 * @param spec a constant, a range [lo, hi] (uniform), or undefined for the defaults described above
 * @param rng the generator's random stream (used only for ranges)
 * @param seeded whether the caller was given a seed (selects the default when `spec` is undefined)
 * @param bounds every conductance must lie inside them
 * @param source the generator's name, for messages
 */
export function drawConductances(
  count: number,
  spec: ConductanceSpec | undefined,
  rng: Rng,
  seeded: boolean,
  bounds: readonly [number, number],
  source: string,
): Float64Array {
  const resolved = spec ?? (seeded ? DEFAULT_RANDOM_RANGE : DEFAULT_CONDUCTANCE);
  const [lo, hi] = typeof resolved === 'number' ? [resolved, resolved] : resolved;
  const fix = 'give conductance in siemens as a number > 0 or a range [lo, hi] with 0 < lo <= hi';
  if (typeof resolved !== 'number' && (!Array.isArray(resolved) || resolved.length !== 2)) {
    throw new InvalidInputError({ source, field: 'conductance' }, `must be a number or [lo, hi], got ${show(resolved)}`, fix);
  }
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo > 0 && lo <= hi)) {
    throw new InvalidInputError({ source, field: 'conductance' }, `must be finite and satisfy 0 < lo <= hi (siemens), got ${show(resolved)}`, fix);
  }
  if (lo < bounds[0] || hi > bounds[1]) {
    throw new InvalidInputError(
      { source, field: 'conductance' },
      `${show(resolved)} S is not inside bounds ${show(bounds)} S`,
      'choose conductances inside the bounds, or widen bounds',
    );
  }
  const k = new Float64Array(count);
  if (lo === hi) return k.fill(lo);
  for (let e = 0; e < count; e++) k[e] = rng.uniform(lo, hi);
  return k;
}
