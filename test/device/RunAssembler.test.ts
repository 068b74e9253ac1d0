/** Flow control of autonomous runs: ordering, duplicates, gaps, and the credit window. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { RunFrame } from '../../src/device/Board.js';
import { RunAssembler } from '../../src/device/RunAssembler.js';

const frame = (step: number): RunFrame => ({ step, example: step % 3, freeTargets: Float64Array.of(step / 10), changed: 1 });

describe('RunAssembler', () => {
  it('emits in order, holds early frames, ignores duplicates and out-of-range steps', () => {
    const a = new RunAssembler(5, 3);
    expect(a.accept(frame(1))).toEqual([]);
    expect(a.missing()).toBe(0);
    expect(a.accept(frame(0)).map((f) => f.step)).toEqual([0, 1]);
    expect(a.accept(frame(1))).toEqual([]);
    expect(a.accept(frame(7))).toEqual([]);
    expect(a.accept(frame(-1))).toEqual([]);
    expect(a.duplicates).toBe(1);
    expect(a.missing()).toBeNull();
    expect(a.missing(true)).toBeNull(); // nothing granted yet
  });

  it('grants the window at first, tops it up in half-window batches, never beyond steps', () => {
    const a = new RunAssembler(10, 4);
    expect(a.grant()).toBe(4);
    expect(a.grant()).toBe(0);
    a.accept(frame(0));
    expect(a.grant()).toBe(0); // one emitted: a batch of 1 is below half a window
    a.accept(frame(1));
    expect(a.grant()).toBe(2);
    for (let s = 2; s < 8; s++) a.accept(frame(s));
    expect(a.grant()).toBe(4); // limit min(10, 8 + 4) = 10, granted 6
    expect(a.credits).toBe(10);
    for (let s = 8; s < 10; s++) a.accept(frame(s));
    expect(a.done).toBe(true);
    expect(a.grant()).toBe(0);
  });

  it('asks for the next frame again when stalled with credits outstanding', () => {
    const a = new RunAssembler(3, 2);
    a.grant();
    expect(a.missing(false)).toBeNull();
    expect(a.missing(true)).toBe(0);
  });

  it('whatever the arrival order, emits every step exactly once in order and never grants past emitted + window', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 8 }), fc.array(fc.nat(), { maxLength: 200 }), (steps, window, noise) => {
        const a = new RunAssembler(steps, window);
        const out: number[] = [];
        let k = 0;
        // a device that sends the granted frames in a scrambled order, some twice
        let idle = 0;
        while (!a.done) {
          a.grant();
          expect(a.credits).toBeLessThanOrEqual(Math.min(steps, a.emitted + window));
          const available = [...Array(a.credits).keys()].filter((s) => s >= a.emitted);
          expect(available.length).toBeGreaterThan(0); // never starves the device
          const pick = available[(noise[k++ % Math.max(1, noise.length)] ?? 0) % available.length];
          let got = a.accept(frame(pick));
          // what the host does after a gap or a stall: RESEND the first missing step
          if (got.length === 0 && ++idle >= 3) got = a.accept(frame(a.missing(true)!));
          if (got.length) idle = 0;
          for (const f of got) out.push(f.step);
        }
        expect(out).toEqual([...Array(steps).keys()]);
      }),
    );
  });
});
