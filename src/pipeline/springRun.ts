/**
 * A spring-network training run: the {@link SpringTrainer} on the engine (trainerRun.ts), recorded in layout
 * `clln.spring-steps/1` (springRunRecord.ts) unless asked not to, resumable from its record. `clln train
 * NET.springs.json TASK.strain.json` and `clln resume RUN` only parse arguments, call these and render.
 */
import type { SpringNetwork } from '../physics/springs/SpringNetwork.js';
import type { SpringTrainer, SpringTrainOptions } from '../physics/springs/SpringTrainer.js';
import type { StrainTask } from '../physics/springs/StrainTask.js';
import { SPRING_LEARNING, type SpringStepResult } from './SpringLearner.js';
import { SPRING_RECORD, STRAIN_EVALUATION_UNITS, type SpringKindTypes } from './springRunRecord.js';
import { openTrainerRun, resumeTrainerRun, type TrainerResumeOptions, type TrainerRun, type TrainerRunKind, type TrainerRunOptions } from './trainerRun.js';

/** A spring network's runs: its record, its learner, strains in its evaluations (no test set; one value per direction). */
export const SPRING_RUN: TrainerRunKind<SpringKindTypes, SpringStepResult> = {
  ...SPRING_RECORD,
  ...SPRING_LEARNING,
  openName: 'openSpringRun',
  evaluationShape: (t) => ({ testExamples: 0, targets: t.directions }),
  evaluationUnits: STRAIN_EVALUATION_UNITS,
};

/** What {@link openSpringRun} and {@link resumeSpringRun} return: run it with `runSimulated` (trainerRun.ts). */
export type SpringRun = TrainerRun<SpringTrainer>;

/** A fresh run's options; `options` as SpringTrainer takes them (rule and its options, steps, seed). */
export type SpringRunOptions = TrainerRunOptions<SpringNetwork, StrainTask, SpringTrainOptions>;

/** A fresh spring run (its record created, start and descriptor on disk, when `record` is a path). */
export function openSpringRun(o: SpringRunOptions): SpringRun {
  return openTrainerRun(SPRING_RUN, o);
}

/** Continue an interrupted spring run from its record, bit for bit (trainerRun.ts). */
export function resumeSpringRun(path: string, o: TrainerResumeOptions = {}): SpringRun & { startStep: number } {
  return resumeTrainerRun(SPRING_RUN, path, o);
}
