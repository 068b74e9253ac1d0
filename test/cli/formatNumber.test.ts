/** Issue 15 point 6: numbers are printed with significant digits, never as `3.102344952878561e+29x`. */
import { describe, expect, it } from 'vitest';
import { formatRatio, formatSI, formatSig } from '../../src/formatNumber.js';

describe('formatSig', () => {
  it('writes everyday magnitudes plainly at 3 significant digits', () => {
    expect(formatSig(0.0123456)).toBe('0.0123');
    expect(formatSig(42)).toBe('42.0');
    // up to 9999 the integer part is kept whole (one more digit rather than an exponent)
    expect(formatSig(1234.4)).toBe('1234');
    expect(formatSig(9.996)).toBe('10.0');
    expect(formatSig(-0.5)).toBe('-0.500');
    expect(formatSig(0)).toBe('0');
  });
  it('writes large and tiny magnitudes with a short exponent', () => {
    expect(formatSig(3.102344952878561e29)).toBe('3.10e29');
    expect(formatSig(1.5e-7)).toBe('1.50e-7');
    expect(formatSig(12345)).toBe('1.23e4');
    expect(formatSig(-2.5e-4, 2)).toBe('-2.5e-4');
  });
  it('never writes NaN', () => {
    expect(formatSig(NaN)).toBe('-');
    expect(formatSig(Infinity, 3, 'n/a')).toBe('n/a');
  });
});

describe('formatSI', () => {
  it('picks the prefix of the rounded value', () => {
    expect(formatSI(0.0123, 'V')).toBe('12.3 mV');
    expect(formatSI(4.7e-6, 'S')).toBe('4.70 µS');
    expect(formatSI(0.99996, 'V')).toBe('1.00 V');
    expect(formatSI(2.2e3, 'Ω')).toBe('2.20 kΩ');
    expect(formatSI(1e-20, 'S')).toBe('1.00e-20 S');
    expect(formatSI(NaN, 'V')).toBe('-');
  });
});

describe('formatRatio', () => {
  it('says how much lower, in significant digits', () => {
    expect(formatRatio(3.102344952878561e-2, 1e-31)).toBe('3.10e29x lower');
    expect(formatRatio(1, 0.01)).toBe('100x lower');
    expect(formatRatio(1, 2)).toBe('2.00x higher');
    expect(formatRatio(1, 0)).toBe('exact');
    expect(formatRatio(NaN, 1)).toBe('-');
  });
});
