/**
 * Defaults and coverage constants of calibration plans (`clln.calibration-plan/1`): the values {@link parsePlan}
 * leaves unset are filled in from {@link PLAN_DEFAULTS} by `expandPlan`; `generatePatterns` builds its coverage with
 * the two COVER_ constants.
 */
import type { ConductanceReference, VoltageReference } from './types.js';

/** Defaults of the optional plan fields. */
export const PLAN_DEFAULTS = {
  samples: 64,
  mixed: 3,
  seed: 1,
  drive: [2, 4] as [number, number],
  clamp: [0, 2] as [number, number],
  range: [0.1, 0.9] as [number, number],
  reference: { voltage: 'adc-mean', conductance: 'nominal-mean' } as { voltage: VoltageReference; conductance: ConductanceReference },
} as const;

/**
 * Fewest random patterns for which the coverage of {@link generatePatterns} is built (below, patterns are purely
 * random).
 */
export const COVER_MIN_COUNT = 8;

/** Two driven voltages of one node in the coverage differ by at least this fraction of the usable range. */
export const COVER_MIN_SPREAD = 0.25;
