import { Rng } from './Rng.js';

/** How training examples are visited: in file order, or reshuffled every epoch from the seed. */
export type ExampleOrder = 'sequential' | 'shuffle';

/**
 * Index of the training example used at step `step` (0-based). With 'sequential' it is `step mod count`
 * (docs/design.md, so runs compare across implementations); with 'shuffle' it is a fresh permutation per epoch drawn
 * from (seed, epoch) alone — a pure function of the step, so a resumed run visits the same examples.
 */
export function exampleIndex(order: ExampleOrder, step: number, count: number, seed: number, cache?: EpochCache): number {
  if (order === 'sequential') return step % count;
  const epoch = Math.floor(step / count);
  let perm: Int32Array;
  if (cache && cache.epoch === epoch && cache.perm.length === count) {
    perm = cache.perm;
  } else {
    perm = epochPermutation(epoch, count, seed);
    if (cache) {
      cache.epoch = epoch;
      cache.perm = perm;
    }
  }
  return perm[step % count];
}

/** Memo of the current epoch's permutation. */
export interface EpochCache {
  epoch: number;
  perm: Int32Array;
}

/** A new, empty cache. */
export function epochCache(): EpochCache {
  return { epoch: -1, perm: new Int32Array(0) };
}

function epochPermutation(epoch: number, count: number, seed: number): Int32Array {
  const rng = new Rng((Math.trunc(seed) >>> 0) ^ Math.imul(epoch + 1, 0x9e3779b1));
  const perm = new Int32Array(count);
  for (let i = 0; i < count; i++) perm[i] = i;
  return rng.shuffle(perm);
}
