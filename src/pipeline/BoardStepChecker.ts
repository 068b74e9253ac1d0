import type { BoardIdentity } from '../device/Board.js';
import type { Calibration } from '../calibration/Calibration.js';
import { ConsistencyChecker, type CheckResult, type ConsistencyOptions } from '../diagnostics/ConsistencyChecker.js';
import { settingsToConductance, type EdgeLaw } from '../physics/edgeLaws.js';
import type { StepChecker } from './TrainingEngine.js';
import type { StepResult } from './stepOnBoard.js';
import { Float64Slab } from '../Float64Slab.js';

/** The settings each step leaves, kept until the next (views of shared blocks: Float64Slab.ts). */
const slab = new Float64Slab();

/** A step's check: the free state's (and, host-stepped, the clamped state's) consistency with the Laplacian. */
export interface StepCheck {
  alarm: boolean;
  /** Absent when the step could not be checked (device-stepped: only the targets were measured). */
  free?: CheckResult;
  clamped?: CheckResult;
}

/**
 * Checks every measured state of a host-stepped run against the simulated Laplacian of the board's settings: the
 * free state with the settings in force before the step's update, the clamped state likewise. Device-stepped runs
 * report only the targets' free voltages, which cannot be checked node by node: those steps pass unchecked.
 *
 * With a {@link Calibration}, the readings are turned into volts and the commands into imposed volts through the
 * calibrated converters, and the conductances come from the calibrated per-edge law; the options' modelUncertainty
 * should then be the calibration's own (Calibration.conductanceUncertainty()).
 */
export class BoardStepChecker implements StepChecker<StepCheck> {
  private readonly checker: ConsistencyChecker;
  private readonly edgeA: Int32Array;
  private readonly edgeB: Int32Array;
  private settings: Float64Array;

  /**
   * @param model how settings become conductances: a board model's `edge` (nominal law), or a calibration
   * @param settings the board's settings when the run starts (taps or gate volts)
   * @param opts converter resolution and noise, and the model's uncertainty (see ConsistencyChecker)
   * @param multiplier nominal law only: per-edge factors on it, if any
   */
  constructor(
    id: BoardIdentity,
    private readonly model: EdgeLaw | Calibration,
    settings: Float64Array,
    opts: ConsistencyOptions,
    private readonly multiplier?: ArrayLike<number>,
  ) {
    this.edgeA = Int32Array.from(id.edges, (e) => e[0]);
    this.edgeB = Int32Array.from(id.edges, (e) => e[1]);
    this.checker = new ConsistencyChecker({ nodes: id.nodes, edgeA: this.edgeA, edgeB: this.edgeB }, opts);
    this.settings = Float64Array.from(settings);
  }

  check(step: StepResult): StepCheck {
    const before = this.settings;
    if (step.settingsAfter) this.settings = slab.copy(step.settingsAfter);
    if (step.vf.length !== this.checker.nodes) return { alarm: false };
    const m = this.model;
    if ('kind' in m) {
      const k = (v: Float64Array): Float64Array =>
        settingsToConductance(m, before, { multiplier: this.multiplier, edgeA: this.edgeA, edgeB: this.edgeB, voltages: v });
      // a tap law does not depend on the node voltages: one set of conductances serves both states
      const kFree = k(step.vf);
      const free = this.checker.check(step.vf, step.imposedFree, kFree);
      const clamped = step.vc ? this.checker.check(step.vc, step.imposedClamped, m.kind === 'tap' ? kFree : k(step.vc)) : undefined;
      return { alarm: free.alarm || (clamped?.alarm ?? false), free, clamped };
    }
    const cal = m;
    const run = (raw: Float64Array, commands: Map<number, number>): CheckResult => {
      const v = cal.readingsToVolts(raw);
      const k = cal.conductances(before, v);
      // the node voltages the channels impose: their sources less each series resistance's drop at the measured currents
      const drive = new Map<number, number>();
      const clamp = new Map<number, number>();
      for (const [n, c] of commands) (step.imposedFree.has(n) ? drive : clamp).set(n, c);
      return this.checker.check(v, cal.channelNodeVolts(drive, clamp, v, k), k);
    };
    const free = run(step.vf, step.imposedFree);
    const clamped = step.vc ? run(step.vc, step.imposedClamped) : undefined;
    return { alarm: free.alarm || (clamped?.alarm ?? false), free, clamped };
  }
}
