/**
 * The CL training step that `npm run bench -- nonlinear` times (bench/nonlinear.ts timeClSteps), on 12 x 12 lattices of
 * the bench's two cases: it must be a real training step (the update applied to every learning parameter and to
 * nothing else) that learns (for a small learning rate, the example's error falls: CL descends the cost to first
 * order). No timing is checked.
 */
import { describe, expect, it } from 'vitest';
import { lattices, timeClSteps } from '../../bench/nonlinear.js';
import { parameterKind } from '../../src/physics/nonlinear/learningParameters.js';

// Learning rates small enough that one step moves a parameter by well under 1 % (first order), large enough that the
// error's fall is far above the solves' tolerance: resistors in S/V^2, gates in V/A.
const ALPHA = { diodes: 3e-9, transistors: 5e2 };
const SIDE = 12;
const STEPS = 2;

describe('bench/nonlinear CL training step', () => {
  const cases = lattices(SIDE, ALPHA);
  for (const [i, kind] of (['resistor', 'transistor'] as const).entries()) {
    const lat = cases[i];
    it(`${lat.step.name}: ${STEPS} steps update every ${kind}'s parameter, nothing else, and lower the example's error`, () => {
      const { figures, trainer, initial } = timeClSteps(lat, STEPS);
      const els = lat.step.net.elements!;
      let learning = 0;
      let moved = 0;
      let largest = 0;
      for (let e = 0; e < els.length; e++) {
        const changed = trainer.conductance[e] !== initial[e];
        if (parameterKind(els[e]) === 'none') {
          expect(els[e]!.kind).toBe('diode');
          expect(changed).toBe(false);
          continue;
        }
        expect(els[e]!.kind).toBe(kind);
        learning++;
        if (changed) moved++;
        largest = Math.max(largest, Math.abs(trainer.conductance[e] - initial[e]) / Math.abs(initial[e]));
      }
      expect(figures.parameters).toBe(learning);
      expect(learning).toBeGreaterThan(0);
      // most parameters move (cut-off transistors and edges without a drop have a zero signal); the steps' own count agrees
      expect(moved).toBeGreaterThan(learning / 2);
      expect(figures.changed[0]).toBeGreaterThan(learning / 2);
      expect(largest).toBeLessThan(0.01);
      expect(figures.updateIncluded).toBe(true);
      expect(figures.freeIterations).toHaveLength(STEPS);
      expect(figures.clampedIterations.every((n) => n > 0)).toBe(true);
      expect(figures.mseAfter).toBeLessThan(figures.mseBefore);
    });
  }
});
