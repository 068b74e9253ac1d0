/**
 * Learning stability during a board run (issue 6, point 1g): alpha_eff times the largest eigenvalue of the rule's
 * Hessian (ruleStability.ts: for coupled learning J^T G_TT^-1 J) at the board's present conductances. Above 2, the discrete update overshoots along the stiffest mode
 * (plain gradient descent x <- x - alpha H x diverges along an eigenvector of H when alpha lambda > 2), so the run
 * oscillates or diverges instead of learning.
 *
 * The effective step of the hardware rules: docs/design.md's update is k <- k + alpha/(2 eta) [(dV^F)^2 - (dV^C)^2]. A gate
 * board moves V_G by amp [(dV^F)^2 - (dV^C)^2], i.e. k by s amp [...], so alpha_eff = 2 eta amp s (s the mean
 * transconductance factor). Tap boards step one tap by the sign of the difference — not a gradient step, so no
 * alpha applies and there is no monitor for them.
 */
import { ruleStability } from '../diagnostics/ruleStability.js';
import type { Network } from '../physics/Network.js';
import type { Task } from '../physics/Task.js';
import type { EngineWarning } from './TrainingEngine.js';

/**
 * The effective learning rate (S/V^2, as docs/design.md's alpha) of a gate board's on-board rule: it moves V_G by
 * amp [(dV^F)^2 - (dV^C)^2], i.e. k by s amp [...], which is alpha / (2 eta) [...] with alpha = 2 eta amp s.
 */
export function gateLearningRate(eta: number, amp: number, s: number): number {
  return 2 * eta * amp * s;
}

export interface StabilityMonitorOptions {
  /** The rule the board runs: coupled learning with its clamping strength (the boards' rule). */
  rule: { rule: 'cl'; eta: number };
  /** Check every this many steps (default 50). */
  every?: number;
  /** Warn above this index (default 2). */
  threshold?: number;
}

export class StabilityMonitor {
  readonly every: number;
  private readonly threshold: number;
  /** Every check made: step, index (for the record and tests). */
  readonly history: { step: number; index: number; lambdaMax: number }[] = [];

  /**
   * @param net the board's topology (conductances ignored)
   * @param conductances (settings, free-state readings of every node or null) -> conductances (S), e.g. a
   *   calibration's or the board model's nominal law (gate boards need node voltages for their law)
   * @param alpha the effective learning rate (S^2/V^2 per unit cost gradient), see the file comment
   */
  constructor(
    private readonly net: Pick<Network, 'name' | 'nodes' | 'edgeA' | 'edgeB'>,
    private readonly task: Task,
    private readonly conductances: (settings: Float64Array, readings: Float64Array | null) => Float64Array,
    readonly alpha: number,
    private readonly opts: StabilityMonitorOptions,
  ) {
    this.every = opts.every ?? 50;
    this.threshold = opts.threshold ?? 2;
  }

  check(settings: Float64Array, step: number, readings: Float64Array | null = null): EngineWarning | null {
    const k = this.conductances(settings, readings);
    const r = ruleStability({ ...this.net, conductance: k }, this.task, { ...this.opts.rule, alpha: this.alpha });
    this.history.push({ step, index: r.index, lambdaMax: r.lambdaMax });
    if (r.index <= this.threshold) return null;
    return {
      type: 'stability',
      step,
      index: r.index,
      alpha: this.alpha,
      lambdaMax: r.lambdaMax,
      message: `learning may be unstable: alpha * lambda_max = ${r.index.toFixed(2)} > ${this.threshold} (alpha ${this.alpha.toExponential(2)} S/V^2, largest eigenvalue of ${r.matrix} ${r.lambdaMax.toExponential(3)}); lower the learning rate (amp)`,
    };
  }
}
