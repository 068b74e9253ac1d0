/**
 * The stiffness and learning bounds the spring generators share. Pure.
 */
import { InvalidInputError, show } from '../../../errors.js';

/**
 * Check a generator's uniform stiffness k (energy / length^2, default 1) and its learning bounds (default
 * [k / 1000, 1000 k]: three decades either way, room for learning to stiffen or soften a spring); k must lie inside.
 */
export function resolveSpringStiffness(stiffness: number | undefined, bounds: readonly [number, number] | undefined): { stiffness: number; bounds: [number, number] } {
  const k = stiffness ?? 1;
  if (!(Number.isFinite(k) && k > 0)) {
    throw new InvalidInputError({ source: '--stiffness' }, `must be a finite number > 0 (energy / length^2), got ${show(stiffness)}`, 'use e.g. 1');
  }
  const b: [number, number] = bounds ? [bounds[0], bounds[1]] : [k / 1000, k * 1000];
  if (!(Number.isFinite(b[0]) && Number.isFinite(b[1]) && b[0] > 0 && b[0] <= b[1])) {
    throw new InvalidInputError({ source: '--bounds' }, `expected LO,HI with 0 < LO <= HI (energy / length^2), got ${show(b.join(','))}`, 'use e.g. 1e-3,1e3');
  }
  if (k < b[0] || k > b[1]) {
    throw new InvalidInputError({ source: '--stiffness' }, `${show(k)} lies outside the bounds [${show(b[0])}, ${show(b[1])}]`, 'choose a stiffness inside --bounds, or widen --bounds');
  }
  return { stiffness: k, bounds: b };
}
