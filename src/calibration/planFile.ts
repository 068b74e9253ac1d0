/**
 * Calibration plans, format `clln.calibration-plan/1`: the one place callers import them from. Each concept has its
 * own file:
 * - parsePlan.ts: {@link parsePlan} and {@link readPlanFile}, structural validation of a document on its own;
 * - expandPlan.ts: {@link expandPlan} (check against a board, expand, fill defaults) and {@link sweepConfigurations};
 * - generatePatterns.ts: {@link generatePatterns}, seeded random patterns with coverage;
 * - defaultPlan.ts: {@link defaultPlan}, {@link generateDefaultPlan}, {@link listDefaultPlans}, {@link plansDir};
 * - planDefaults.ts: {@link PLAN_DEFAULTS} and the coverage constants.
 */
export { PLAN_FORMAT } from './types.js';
export { MAX_SAMPLES } from '../formats/limits.js';
export { COVER_MIN_COUNT, COVER_MIN_SPREAD, PLAN_DEFAULTS } from './planDefaults.js';
export { parsePlan, readPlanFile } from './parsePlan.js';
export { expandPlan, sweepConfigurations } from './expandPlan.js';
export { generatePatterns } from './generatePatterns.js';
export { defaultPlan, generateDefaultPlan, listDefaultPlans, plansDir } from './defaultPlan.js';
