import { edgeDrops } from './edgeDrops.js';
import type { StateSolver } from './StateSolver.js';
import type { CircuitState } from './CircuitState.js';

/** Cost C = 1/2 sum_T (V_T - V_T^*)^2 in volts squared. */
export function cost(voltages: ArrayLike<number>, targets: Int32Array, desired: ArrayLike<number>): number {
  let c = 0;
  for (let i = 0; i < targets.length; i++) {
    const r = voltages[targets[i]] - desired[i];
    c += r * r;
  }
  return 0.5 * c;
}

/** Mean squared error per target output of one state, V^2: (1/|T|) sum_T (V_T - V_T^*)^2. */
export function squaredError(voltages: ArrayLike<number>, targets: Int32Array, desired: ArrayLike<number>): number {
  return targets.length === 0 ? 0 : (2 * cost(voltages, targets, desired)) / targets.length;
}

/**
 * Exact gradient of the cost with respect to every conductance, dC/dk_e in V^2/S, by one adjoint field:
 * with u = H_FF^{-1} E_T (V_T^F - V_T^*), dC/dk_e = -(dU_e)(dV_e^F), where dU and dV are edge drops.
 * The adjoint reuses the solver's target Green's functions, so it costs no factorisation.
 */
export function costGradient(
  solver: StateSolver,
  free: CircuitState,
  desired: ArrayLike<number>,
  out: Float64Array = new Float64Array(solver.edges.edgeA.length),
): Float64Array {
  const t = solver.roles.targets;
  const r = new Float64Array(t.length);
  for (let i = 0; i < t.length; i++) r[i] = free.voltages[t[i]] - desired[i];
  const u = solver.adjoint(r);
  const { edgeA, edgeB } = solver.edges;
  const dv = edgeDrops(edgeA, edgeB, free.voltages);
  const du = edgeDrops(edgeA, edgeB, u);
  for (let e = 0; e < out.length; e++) out[e] = -du[e] * dv[e];
  return out;
}
