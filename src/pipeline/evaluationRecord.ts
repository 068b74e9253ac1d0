/**
 * The `evaluation` stream of a run record (issue 15, contract A; layout `clln.evaluations/1`): one event per
 * evaluation of the run — before the first step, every --eval-every steps, and the finish's — in board runs (host- or
 * device-stepped, calibrated or not) and simulated runs alike. Its descriptor is written just before its first event.
 *
 * | key | value |
 * |---|---|
 * | `step` | integer: steps done when evaluated (0 = before training) |
 * | `train_mse` | V^2: mean over the training examples of the squared target error (calibrated volts in a calibrated run) |
 * | `test_mse` | V^2, null without test examples |
 * | `test_outputs` | `[M_test, T]` V (`dims: ["example", "target"]`, `<f8`): the targets' free-state voltages per test example, in task order; null without test examples |
 * | `final` | boolean: the finish's evaluation (after the last step) |
 *
 * A resumed run continues the stream without gaps or doubles: an evaluation is recorded when it is the finish's, or
 * when it falls on the run's grid (step 0 or a multiple of --eval-every) after the last one recorded. The evaluation a
 * resumed engine makes before its first step is therefore recorded only when the interrupted run had not recorded it
 * (it died between the evaluation's step and the evaluation), so a killed and resumed simulated run records the
 * evaluations of an uninterrupted one.
 */
import type { DescriptorInput, EventDoc, JsonValue } from '../store/documents.js';
import type { RunWriter } from '../store/RunWriter.js';
import type { Evaluation } from './TrainingEngine.js';

/** The evaluation stream's layout (its descriptor's `layout`). */
export const EVALUATION_LAYOUT = 'clln.evaluations/1';

/** Units of the evaluation stream's MSEs and outputs: volts for resistor networks and boards (the default). */
export interface EvaluationUnits {
  /** `train_mse` and `test_mse`. */
  mse: string;
  /** `test_outputs`. */
  outputs: string;
}

/** The evaluation units of resistor networks and boards. */
export const VOLT_EVALUATION_UNITS: EvaluationUnits = { mse: 'V^2', outputs: 'V' };

/** The evaluation stream's descriptor (without name: the writer names it `evaluation`). */
export function evaluationDescriptor(testExamples: number, targets: number, units: EvaluationUnits = VOLT_EVALUATION_UNITS): Omit<DescriptorInput, 'name'> {
  return {
    layout: EVALUATION_LAYOUT,
    data_keys: {
      step: { dtype: 'integer', shape: [], source: 'host:engine', object_name: 'engine' },
      train_mse: { dtype: 'number', shape: [], source: 'host:evaluation', units: units.mse, object_name: 'evaluation' },
      test_mse: { dtype: 'number', shape: [], source: 'host:evaluation', units: units.mse, nullable: true, object_name: 'evaluation' },
      test_outputs: {
        dtype: 'array',
        shape: [testExamples, targets],
        source: 'host:evaluation',
        units: units.outputs,
        dims: ['example', 'target'],
        dtype_numpy: '<f8',
        nullable: true,
        object_name: 'evaluation',
      },
      final: { dtype: 'boolean', shape: [], source: 'host:engine', object_name: 'engine' },
    },
    // Bluesky: object_keys groups the keys by the "device" that produced them; hints names what to plot
    object_keys: { engine: ['step', 'final'], evaluation: ['train_mse', 'test_mse', 'test_outputs'] },
    hints: { engine: { fields: [] }, evaluation: { fields: ['train_mse', 'test_mse'] } },
  };
}

/** The event data of one evaluation. */
export function evaluationData(e: Evaluation, testExamples: number): Record<string, JsonValue> {
  const outputs = testExamples > 0 && e.testOutputs && e.testOutputs.length === testExamples ? e.testOutputs.map((o) => Array.from(o, finiteOrNull)) : null;
  return {
    step: e.step,
    train_mse: finiteOrNull(e.trainMse),
    test_mse: testExamples === 0 ? null : finiteOrNull(e.testMse),
    test_outputs: outputs,
    final: e.final,
  };
}

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** Writes a run's evaluations to its writer's evaluation stream (see the file comment for which are written). */
export class EvaluationStream {
  /** The step of the last evaluation recorded, and whether it was the finish's; undefined before the first. */
  private last: { step: number; final: boolean } | undefined;

  constructor(
    readonly writer: RunWriter,
    /** The plan's --eval-every (0: only before the first step and after the last). */
    readonly evalEvery: number,
    readonly testExamples: number,
    readonly targets: number,
    /** The evaluation events recorded before a resume, if any. */
    recorded: EventDoc[] = [],
    /** Units of the MSEs and outputs (spring runs: strains); default volts. */
    readonly units: EvaluationUnits = VOLT_EVALUATION_UNITS,
  ) {
    const ev = recorded[recorded.length - 1];
    if (ev && typeof ev.data.step === 'number') this.last = { step: ev.data.step, final: ev.data.final === true };
  }

  /** Record `e` unless it would double one recorded or fall off the grid (a resumed run's first evaluation). */
  record(e: Evaluation): void {
    if (!this.wanted(e)) return;
    if (!this.writer.evaluationDescriptor) this.writer.addEvaluationStream(evaluationDescriptor(this.testExamples, this.targets, this.units));
    this.writer.appendEvaluation(evaluationData(e, this.testExamples));
    this.last = { step: e.step, final: e.final };
  }

  private wanted(e: Evaluation): boolean {
    const last = this.last;
    if (e.final) return !(last?.final && last.step === e.step);
    const onGrid = e.step === 0 || (this.evalEvery > 0 && e.step % this.evalEvery === 0);
    return onGrid && (last === undefined || e.step > last.step);
  }
}

/** The evaluations of a run as `clln train --json` reports them (V^2; null for an empty set). */
export function evaluationsJson(evaluations: Evaluation[]): { step: number; train_mse: number | null; test_mse: number | null }[] {
  return evaluations.map((e) => ({ step: e.step, train_mse: finiteOrNull(e.trainMse), test_mse: finiteOrNull(e.testMse) }));
}
