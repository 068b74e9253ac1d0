/**
 * Default calibration plans: the shipped calibration/plans/<model>.json of a board model, or one generated for any
 * board ({@link defaultPlan}, {@link generateDefaultPlan}, {@link listDefaultPlans}, {@link plansDir}).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { packagePath } from '../packageFiles.js';
import type { BoardIdentity } from '../../firmware-protocol/identity.js';
import { PLAN_FORMAT, type CalibrationPlan } from './types.js';
import { PLAN_DEFAULTS } from './planDefaults.js';
import { readPlanFile } from './parsePlan.js';

/** The package's calibration/plans folder (packageFiles.ts finds the package, in the sources or in dist/); undefined when there is none. */
export function plansDir(): string | undefined {
  const dir = packagePath('calibration', 'plans');
  return existsSync(dir) && statSync(dir).isDirectory() ? dir : undefined;
}

/** Names (board models) of the shipped default plans, calibration/plans/*.json, sorted. */
export function listDefaultPlans(): string[] {
  const dir = plansDir();
  if (!dir) return [];
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -5))
      .sort();
  } catch {
    return [];
  }
}

/**
 * The default plan of a board: the shipped calibration/plans/<model>.json when there is one (validated with
 * {@link readPlanFile}), otherwise {@link generateDefaultPlan}.
 */
export function defaultPlan(id: BoardIdentity): CalibrationPlan {
  const dir = plansDir();
  if (dir && /^[A-Za-z0-9._-]+$/.test(id.model)) {
    const path = join(dir, `${id.model}.json`);
    if (existsSync(path)) return readPlanFile(path);
  }
  return generateDefaultPlan(id);
}

/**
 * A plan for any board: tap boards visit taps round(x (taps - 1)) for x in 0.25, 0.5, 0.75, 1 (duplicates dropped);
 * gate boards 4 gate voltages evenly spread over the upper 70 % of the gate range (ends included, rounded to
 * 1e-4 V); 3 mixed configurations (seed 1); 24 random patterns (seed 1, default counts and range); 64 samples.
 */
export function generateDefaultPlan(id: BoardIdentity): CalibrationPlan {
  let levels: number[];
  let what: string;
  if (id.edge.kind === 'tap') {
    const top = id.edge.taps - 1;
    levels = [...new Set([0.25, 0.5, 0.75, 1].map((x) => Math.round(x * top)))];
    what = 'taps at a quarter, half, three quarters and all of the range';
  } else {
    const { lo, hi } = id.edge;
    const start = lo + 0.3 * (hi - lo);
    levels = [...new Set([0, 1, 2, 3].map((k) => Math.min(hi, Math.max(lo, Math.round((start + (k * (hi - start)) / 3) * 1e4) / 1e4))))];
    what = 'gate voltages evenly spread over the upper 70 % of the gate range';
  }
  return {
    format: PLAN_FORMAT,
    board: id.model,
    description: `Generated default plan for ${id.model}: every edge uniformly at each of ${levels.length} settings (${what}), plus 3 mixed configurations tying the settings together; 24 random patterns in each.`,
    samples: PLAN_DEFAULTS.samples,
    settings: { levels, mixed: PLAN_DEFAULTS.mixed, seed: PLAN_DEFAULTS.seed },
    patterns: { kind: 'random', count: 24, seed: 1 },
  };
}
