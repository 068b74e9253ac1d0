import { describe, expect, it } from 'vitest';
import { DiodeLaw, JUNCTION_ARG_MAX } from '../../../src/physics/nonlinear/diode.js';
import { TableLaw } from '../../../src/physics/nonlinear/tableLaw.js';
import { VT300 } from './truth.js';

describe('diode law', () => {
  const is = 1e-12;
  const n = 1.7;
  const nvt = n * VT300;

  it('without series resistance: Shockley, is (exp(x / n VT) - 1), its slope and co-content', () => {
    const d = new DiodeLaw(is, n, 0, VT300);
    for (const x of [-1, -0.1, 0, 1e-4, 0.3, 0.7, 1.2]) {
      const i = is * Math.expm1(x / nvt);
      expect(d.current(x)).toBeCloseTo(i, 15);
      expect(Math.abs(d.current(x) - i)).toBeLessThanOrEqual(1e-14 * Math.abs(i) + 1e-30);
      expect(Math.abs(d.slope(x) - (is / nvt) * Math.exp(x / nvt))).toBeLessThanOrEqual(1e-14 * (is / nvt) * Math.exp(x / nvt));
      // integral_0^x is (e^{v/nVT} - 1) dv = is (nVT (e^{x/nVT} - 1) - x)
      const c = is * (nvt * Math.expm1(x / nvt) - x);
      expect(Math.abs(d.coContent(x) - c)).toBeLessThanOrEqual(1e-13 * Math.abs(c) + 1e-30);
    }
  });

  it('with series resistance: x = v_j + rs I holds, and the slope is the series combination', () => {
    const rs = 25;
    const d = new DiodeLaw(is, n, rs, VT300);
    for (const x of [-3, -0.2, 0, 0.2, 0.6, 1, 5, 100]) {
      const i = d.current(x);
      // the junction then sits at v_j = x - rs I and must carry I by Shockley's law
      const vj = x - rs * i;
      expect(Math.abs(is * Math.expm1(vj / nvt) - i)).toBeLessThanOrEqual(1e-10 * Math.abs(i) + 1e-30);
      const gj = (is / nvt) * Math.exp(vj / nvt);
      expect(d.slope(x)).toBeCloseTo(gj / (1 + rs * gj), 12);
    }
  });

  it('beyond v_max = 80 n VT the junction continues by its tangent: current and slope continuous, finite at 1000 V', () => {
    const d = new DiodeLaw(is, n, 0, VT300);
    const vmax = JUNCTION_ARG_MAX * nvt;
    const below = d.current(vmax * (1 - 1e-12));
    const above = d.current(vmax * (1 + 1e-12));
    expect(Math.abs(above - below)).toBeLessThanOrEqual(1e-9 * below);
    expect(Math.abs(d.slope(vmax * (1 + 1e-12)) - d.slope(vmax * (1 - 1e-12)))).toBeLessThanOrEqual(1e-9 * d.slope(vmax));
    for (const x of [1000, 1e6]) {
      expect(Number.isFinite(d.current(x))).toBe(true);
      expect(Number.isFinite(d.coContent(x))).toBe(true);
      expect(d.current(x)).toBeCloseTo(d.current(vmax) + d.slope(vmax) * (x - vmax), -Math.log10(d.current(x)) + 12);
    }
    expect(Number.isFinite(new DiodeLaw(is, n, 10, VT300).current(1e6))).toBe(true);
  });
});

describe('table law', () => {
  const t = new TableLaw([-1, 0, 0.5, 1], [-2e-3, 0, 1e-4, 3e-3]);

  it('interpolates linearly between the points and passes through them', () => {
    expect(t.current(0.5)).toBe(1e-4);
    expect(t.current(0.25)).toBeCloseTo(0.5e-4, 18);
    expect(t.current(0.75)).toBeCloseTo(0.5 * (1e-4 + 3e-3), 18);
    expect(t.slope(0.75)).toBeCloseTo((3e-3 - 1e-4) / 0.5, 15);
  });

  it('continues beyond the ends with the end segments', () => {
    expect(t.current(3)).toBeCloseTo(3e-3 + 2 * ((3e-3 - 1e-4) / 0.5), 15);
    expect(t.current(-3)).toBeCloseTo(-2e-3 - 2 * 2e-3, 15);
    expect(t.slope(-3)).toBeCloseTo(2e-3, 15);
  });

  it('the co-content is the exact integral from 0 (trapezoids of the linear pieces)', () => {
    expect(t.coContent(0)).toBe(0);
    expect(t.coContent(0.5)).toBeCloseTo(0.5 * 0.5 * 1e-4, 18);
    expect(t.coContent(1)).toBeCloseTo(0.25 * 1e-4 + 0.5 * 0.5 * (1e-4 + 3e-3), 18);
    expect(t.coContent(-1)).toBeCloseTo(0.5 * 2e-3, 18);
    // beyond the last point: the extended segment's area
    const g = (3e-3 - 1e-4) / 0.5;
    expect(t.coContent(2)).toBeCloseTo(t.coContent(1) + 3e-3 + 0.5 * g, 15);
  });
});
