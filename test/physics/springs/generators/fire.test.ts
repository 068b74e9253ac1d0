import { describe, expect, it } from 'vitest';
import { fire } from '../../../../src/physics/springs/generators/fire.js';

describe('FIRE', () => {
  it('finds the minimum of an anisotropic quadratic (stiffnesses 1e-2 .. 10) to the force tolerance', () => {
    const k = [0.01, 0.3, 1, 10];
    const c = [1, -2, 0.5, 3];
    const r = fire(new Float64Array(4), (x, f) => {
      let e = 0;
      for (let i = 0; i < 4; i++) {
        f[i] = -k[i] * (x[i] - c[i]);
        e += (k[i] * (x[i] - c[i]) ** 2) / 2;
      }
      return e;
    }, { forceTolerance: 1e-10 });
    expect(r.converged).toBe(true);
    expect(r.maxForce).toBeLessThanOrEqual(1e-10);
    // |x_i - c_i| = |F_i| / k_i <= 1e-10 / k_i
    for (let i = 0; i < 4; i++) expect(Math.abs(r.x[i] - c[i])).toBeLessThanOrEqual(1e-10 / k[i]);
    expect(r.energy).toBeLessThan(1e-18);
  });

  it('finds the minimum (1, 1) of the Rosenbrock function', () => {
    const r = fire(Float64Array.from([-1.2, 1]), (x, f) => {
      const [a, b] = x;
      f[0] = -(-2 * (1 - a) - 400 * a * (b - a * a));
      f[1] = -(200 * (b - a * a));
      return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
    }, { forceTolerance: 1e-9, dt: 1e-3, dtMax: 1e-2 });
    expect(r.converged).toBe(true);
    expect(r.x[0]).toBeCloseTo(1, 6);
    expect(r.x[1]).toBeCloseTo(1, 6);
  });

  it('reports a run cut short as not converged, with its force', () => {
    const r = fire(Float64Array.from([5]), (x, f) => {
      f[0] = -x[0];
      return x[0] ** 2 / 2;
    }, { maxIterations: 3 });
    expect(r.iterations).toBe(3);
    expect(r.converged).toBe(false);
    expect(r.maxForce).toBeCloseTo(Math.abs(r.x[0]), 12);
  });
});
