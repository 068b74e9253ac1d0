/**
 * Option checks shared by the generators, and their random streams. Pure.
 */
import { InvalidInputError, show } from '../../errors.js';
import { Rng } from '../Rng.js';

/**
 * The random stream of one generator: seeded by `seed` (any finite number, default 0) and by the generator's
 * name, so that different generators given the same seed draw unrelated numbers (e.g. a lattice's
 * conductances and a task's inputs, both from `--seed 1`, are not the same uniform draws).
 */
export function generatorRng(seed: number | undefined, generator: string): Rng {
  const s = resolveSeed(seed, generator);
  let h = 0x811c9dc5; // FNV-1a of the generator name
  for (let i = 0; i < generator.length; i++) h = Math.imul(h ^ generator.charCodeAt(i), 0x01000193);
  return new Rng((Math.trunc(s) ^ h) >>> 0);
}

/** Check an optional seed: any finite number (default 0). */
export function resolveSeed(seed: number | undefined, source: string): number {
  if (seed === undefined) return 0;
  if (typeof seed !== 'number' || !Number.isFinite(seed)) {
    throw new InvalidInputError({ source, field: 'seed' }, `must be a finite number, got ${show(seed)}`, 'use an integer seed such as 1');
  }
  return seed;
}

/** Check that an option is an integer >= min. */
export function expectInteger(value: unknown, min: number, source: string, field: string, meaning: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new InvalidInputError({ source, field }, `${meaning} must be an integer >= ${min}, got ${show(value)}`, `set ${field} to an integer >= ${min}`);
  }
  return value;
}
