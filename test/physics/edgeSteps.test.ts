import { describe, expect, it } from 'vitest';
import { edgeContrast, gateStep, tapStep } from '../../src/physics/edgeSteps.js';

describe('edge step laws', () => {
  it('contrast is free drop squared minus clamped drop squared', () => {
    expect(edgeContrast([0, 1, 3], [0, 1, 2], 1, 2)).toBe(4 - 1);
    expect(edgeContrast([0, 1, 3], [0, 1, 2], 2, 1)).toBe(3);
  });

  it('tap step: one tap by the sign of the contrast, clipped to 0..top', () => {
    expect(tapStep(5, 1e-9, 9)).toBe(6);
    expect(tapStep(5, -2, 9)).toBe(4);
    expect(tapStep(5, 0, 9)).toBe(5);
    expect(tapStep(9, 1, 9)).toBe(9);
    expect(tapStep(0, -1, 9)).toBe(0);
  });

  it('gate step: amp times the contrast, limited to +-maxStep, then to the gate range', () => {
    expect(gateStep(2, 0.01, 10, 1, 0, 5)).toBeCloseTo(2.1, 15);
    expect(gateStep(2, -0.5, 10, 1, 0, 5)).toBe(1);
    expect(gateStep(4.5, 1, 10, 1, 0, 5)).toBe(5);
    expect(gateStep(0.2, -1, 10, 1, 0, 5)).toBe(0);
    expect(gateStep(2, 0.01, 10, 1, 0, 5, 2)).toBeCloseTo(2.2, 15);
  });
});
