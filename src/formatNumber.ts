/**
 * Numbers as people read them in a terminal: a fixed count of significant digits, plain notation for everyday
 * magnitudes and a short exponent (`3.10e29`, `4.2e-7`) outside them, never the 17 digits and `e+29` of
 * `Number.prototype.toFixed` / `toString` on a large or tiny double. Used wherever the CLI and the dashboard print
 * measured or computed values (MSEs, ratios, residuals, rates).
 */

/** Below this magnitude (and from {@link PLAIN_HI} on) a number is written with an exponent. */
const PLAIN_LO = 1e-3;
const PLAIN_HI = 1e4;

/**
 * `x` to `digits` significant digits (default 3): plain for 1e-3 <= |x| < 1e4 (`0.0123`, `42.0`, `1230`), else
 * mantissa and exponent without `+` (`3.10e29`, `-1.50e-7`). Zero is `0`; NaN and the infinities are `nonFinite`
 * (default `-`), so that a missing value never prints as `NaN`.
 */
export function formatSig(x: number, digits = 3, nonFinite = '-'): string {
  if (!Number.isFinite(x)) return nonFinite;
  if (x === 0) return '0';
  const d = Math.max(1, Math.min(15, Math.floor(digits)));
  const a = Math.abs(x);
  if (a >= PLAIN_LO && a < PLAIN_HI) {
    // the exponent of the rounded value: 9.996 at 3 digits is 10.0, one more integer digit
    const e = Math.floor(Math.log10(Number(a.toPrecision(d))));
    return x.toFixed(Math.max(0, d - 1 - e));
  }
  return x.toExponential(d - 1).replace('e+', 'e');
}

/** SI prefixes from 1e-15 to 1e12, by power of 1000. */
const SI_PREFIXES: Record<number, string> = { [-5]: 'f', [-4]: 'p', [-3]: 'n', [-2]: 'µ', [-1]: 'm', 0: '', 1: 'k', 2: 'M', 3: 'G', 4: 'T' };

/**
 * `x` in `unit` with an SI prefix and `digits` significant digits (default 3): `formatSI(0.0123, 'V')` is
 * `12.3 mV`, `formatSI(4.7e-6, 'S')` is `4.70 µS`. Outside the prefixes (below 1 fS or from 1000 T) the exponent
 * form of {@link formatSig} with the bare unit. NaN and the infinities are `nonFinite` (default `-`).
 */
export function formatSI(x: number, unit: string, digits = 3, nonFinite = '-'): string {
  if (!Number.isFinite(x)) return nonFinite;
  if (x === 0) return `0 ${unit}`;
  const d = Math.max(1, Math.min(15, Math.floor(digits)));
  // the power of 1000 of the value as rounded to `d` digits (999.96 mV at 3 digits is 1.00 V)
  const rounded = Number(Math.abs(x).toPrecision(d));
  const k = Math.floor(Math.log10(rounded) / 3);
  const prefix = SI_PREFIXES[k];
  if (prefix === undefined) return `${formatSig(x, d)} ${unit}`;
  const m = x / 10 ** (3 * k);
  const e = Math.floor(Math.log10(Number(Math.abs(m).toPrecision(d))));
  return `${m.toFixed(Math.max(0, d - 1 - e))} ${prefix}${unit}`;
}

/**
 * How much lower `after` is than `before`, e.g. `310x lower`, `3.10e29x lower`, `1.50x higher`; `exact` when
 * `after` is 0 and `before` is not; `-` when either is not a finite number (e.g. no test set, or an aborted run).
 */
export function formatRatio(before: number, after: number, digits = 3): string {
  if (!Number.isFinite(before) || !Number.isFinite(after) || before < 0 || after < 0) return '-';
  if (after === 0) return before === 0 ? 'unchanged (0)' : 'exact';
  if (before === 0) return 'from 0';
  const r = before / after;
  return r >= 1 ? `${formatSig(r, digits)}x lower` : `${formatSig(1 / r, digits)}x higher`;
}
