/**
 * Float64Slab hands out arrays that behave like fresh ones: the length asked for, zero-filled, and independent of
 * every other array handed out (writing one never shows in another), also across a block's end; long arrays get a
 * buffer of their own.
 */
import { describe, expect, it } from 'vitest';
import { Float64Slab } from '../src/Float64Slab.js';
import { Rng } from '../src/physics/Rng.js';

describe('Float64Slab', () => {
  it('arrays are zero-filled, of the asked length, and never overlap (300 random lengths over several blocks)', () => {
    const slab = new Float64Slab(256);
    const rng = new Rng(5);
    const got: { a: Float64Array; mark: number }[] = [];
    for (let k = 0; k < 300; k++) {
      const n = rng.int(70); // up to 69: some above a quarter block (64), which get their own buffer
      const a = k % 3 === 0 ? slab.copy(Float64Array.from({ length: n }, () => 0)) : slab.take(n);
      expect(a.length).toBe(n);
      expect(a.every((x) => x === 0)).toBe(true);
      a.fill(k + 1);
      got.push({ a, mark: k + 1 });
    }
    // every array still holds only what was written to it
    for (const { a, mark } of got) expect(a.every((x) => x === mark)).toBe(true);
    expect(got.some(({ a }) => a.buffer.byteLength === a.byteLength && a.length > 64)).toBe(true);
  });

  it('copy copies', () => {
    const slab = new Float64Slab();
    const src = [1.5, -2, NaN, Infinity];
    const a = slab.copy(src);
    expect(Array.from(a)).toEqual(src);
    src[0] = 9;
    expect(a[0]).toBe(1.5);
  });
});
