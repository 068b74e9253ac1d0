/**
 * The dashboard's heat scale: a value's position in a range as one of five terminal colours, blue (low) through
 * cyan, green, yellow to red (high). Named colours rather than RGB so that 16-colour terminals show the same scale.
 */

/** The scale, low to high. */
export const HEAT_COLORS = ['blue', 'cyan', 'green', 'yellow', 'red'] as const;

export type HeatColor = (typeof HEAT_COLORS)[number];

/** Position of `v` in [lo, hi] as a fraction in [0, 1] (0.5 when the range is empty; 0 for NaN). */
export function heatFraction(v: number, lo: number, hi: number): number {
  if (Number.isNaN(v)) return 0;
  if (!(hi > lo)) return 0.5;
  return Math.min(1, Math.max(0, (v - lo) / (hi - lo)));
}

/** Colour of `v` on the scale over [lo, hi]. */
export function heatColor(v: number, lo: number, hi: number): HeatColor {
  const f = heatFraction(v, lo, hi);
  return HEAT_COLORS[Math.min(HEAT_COLORS.length - 1, Math.floor(f * HEAT_COLORS.length))];
}
