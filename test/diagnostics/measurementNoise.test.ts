import { describe, expect, it } from 'vitest';
import { adcLsb, readingSigma } from '../../src/diagnostics/measurementNoise.js';
import { InvalidInputError } from '../../src/errors.js';

describe('measurement noise', () => {
  it('LSB and reading sigma', () => {
    expect(adcLsb({ bits: 12, lo: 0, hi: 5 })).toBeCloseTo(5 / 4095, 15);
    expect(readingSigma(0.001, 0, 16)).toBeCloseTo(0.001 / Math.sqrt(12), 15);
    expect(readingSigma(0.001, 0.004, 16)).toBeCloseTo(Math.sqrt(1e-6 + 1e-6 / 12), 15);
    expect(() => readingSigma(0, 0, 16)).toThrow(InvalidInputError);
    expect(() => readingSigma(0.001, 0, 0)).toThrow(InvalidInputError);
  });
});
