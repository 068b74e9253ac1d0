import type { CircuitState } from '../CircuitState.js';
import type { Network } from '../Network.js';
import { nonlinearCostGradient, sparseJacobianFor } from '../nonlinear/nonlinearGradient.js';
import { DENSE_JACOBIAN_NODES, type SparseExactJacobian } from '../nonlinear/sparseJacobian.js';
import type { Roles } from '../Task.js';
import { type EdgeSignals, linearSignals } from './EdgeSignals.js';
import { clip, type ContrastSolver, type ContrastStates, type LearningRule } from './LearningRule.js';

/**
 * Exact gradient descent, a **reference rule for simulation only**: theta_e <- clip(theta_e - alpha dC/dtheta_e), with
 * dC/dtheta the exact gradient of the example's cost `C = 1/2 sum_T (V_T^F - V_T^*)^2` (V^2) by one adjoint solve with
 * the exact Kirchhoff Jacobian (src/physics/nonlinear/nonlinearGradient.ts; linear networks included, where it is
 * `-(dU_e)(dV_e)`).
 *
 * Why it exists beside the local rules: it answers "can this network learn this task at all?", which a local rule
 * cannot answer when it fails. No physical network computes it: the adjoint needs the transposed Jacobian, which a
 * contrast of two physical states only gives where the Jacobian is symmetric (resistors, diodes, tables). On
 * transistor networks CL and EP tend, as eta or beta -> 0, to the same formula with J in place of J^T
 * (docs/design.md, "Nonlinear learning"); the two differ, and where they part the local rules may stall where this
 * one does not (test/cli/trainXor.test.ts shows it on XOR).
 *
 * Units: alpha as EP's (the update is EP's beta -> 0 limit on symmetric networks): S^2/V^2 for conductances (dC/dk in
 * V^2/S), 1/V for gate voltages (dC/dV_G in V). Any size: the adjoint is a dense LU on small networks and a sparse
 * GMRES solve on large ones (nonlinearGradient.ts), whose solver (a fill-reducing ordering and symbolic analysis) this
 * rule makes once, on the first step that needs it.
 *
 * It reads the trainer's parameter array `theta` live (as nonlinearSignals does), so the gradient is taken at the
 * parameters of the step; its contrast states are none (the gradient is kept with the step's states).
 */
export class GradientDescent implements LearningRule {
  readonly name = 'gradient' as const;
  private readonly grads = new WeakMap<ContrastStates, Float64Array>();
  private sparse: SparseExactJacobian | undefined;

  /**
   * @param alpha learning rate (see the class comment for units), > 0
   * @param net the network (its elements and topology; parameters come from `theta`)
   * @param roles the task's node roles
   * @param theta the trainer's live parameter array (S or V per edge)
   */
  constructor(
    readonly alpha: number,
    private readonly net: Network,
    private readonly roles: Roles,
    private readonly theta: Float64Array,
  ) {}

  states(_solver: ContrastSolver, free: CircuitState, desired: ArrayLike<number>): ContrastStates {
    const s: ContrastStates = { free, contrast: [] };
    const freeNodes = this.net.nodes - new Set([...this.roles.sources, ...this.roles.ground]).size;
    if (freeNodes > DENSE_JACOBIAN_NODES) this.sparse ??= sparseJacobianFor(this.net, this.roles);
    this.grads.set(s, nonlinearCostGradient(this.net, this.theta, this.roles, free.voltages, desired, undefined, this.sparse));
    return s;
  }

  /** dC/dtheta itself (V^2/S or V), as computed for these states. */
  gradient(edgeA: Int32Array, _edgeB: Int32Array, s: ContrastStates, out = new Float64Array(edgeA.length), signals?: EdgeSignals): Float64Array {
    const g = this.of(s);
    for (let e = 0; e < edgeA.length; e++) out[e] = !signals || signals.learns(e) ? g[e] : 0;
    return out;
  }

  update(k: Float64Array, edgeA: Int32Array, edgeB: Int32Array, s: ContrastStates, bounds: [number, number], signals?: EdgeSignals): number {
    const sig = signals ?? linearSignals(edgeA, edgeB, bounds);
    const g = this.of(s);
    let changed = 0;
    for (let e = 0; e < edgeA.length; e++) {
      if (!sig.learns(e)) continue;
      const next = clip(k[e] - this.alpha * g[e], sig.lower(e), sig.upper(e));
      if (next !== k[e]) changed++;
      k[e] = next;
    }
    return changed;
  }

  private of(s: ContrastStates): Float64Array {
    const g = this.grads.get(s);
    if (!g) throw new TypeError('GradientDescent: states not computed by this rule (call states() first)');
    return g;
  }
}
