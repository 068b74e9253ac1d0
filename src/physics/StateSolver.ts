import { InvalidInputError, show } from '../errors.js';
import type { CircuitState } from './CircuitState.js';
import { DenseLu } from './denseLu.js';
import { LaplacianSystem, type LaplacianSystemOptions, type SolveDiagnostics } from './LaplacianSystem.js';
import type { Network } from './Network.js';
import type { Roles } from './Task.js';

/**
 * Free, clamped and nudged states of a network for one task's node roles.
 *
 * The free state imposes the sources and ground; it is solved with a {@link LaplacianSystem} whose symbolic
 * analysis is done once here. The clamped and nudged states differ from the free one only at the targets,
 * so instead of a second factorisation they are obtained from the free state plus target current injections
 * `lambda` through the Green's functions `G = H_FF^{-1} E_T` (one solve per target, computed once per set of
 * conductances): `V = V^F + G lambda`, with `lambda` from a |T| x |T| dense system.
 */
export class StateSolver {
  readonly system: LaplacianSystem;
  readonly roles: Roles;
  readonly nodes: number;
  private readonly edgeA: Int32Array;
  private readonly edgeB: Int32Array;
  private readonly imposedValues: Float64Array;
  /** Green's function columns, one per target, each of length N (zero at imposed nodes). */
  private greens: Float64Array[] | null = null;
  private greensDiagnostics: SolveDiagnostics | null = null;
  /** G restricted to the targets: gTT[i][j] = G_j[target_i] (ohms). Symmetric positive definite. */
  private gTT: number[][] | null = null;
  /** G_TT from the factor (targetBlock), for the current conductances. */
  private directGTT: number[][] | null = null;
  /** Contrast states asked for with the current conductances, and with the last set that had any (targetBlock). */
  private contrastCalls = 0;
  private lastContrastCalls = 1;
  private hasConductance = false;

  constructor(net: Network, roles: Roles, options?: LaplacianSystemOptions) {
    this.roles = roles;
    this.nodes = net.nodes;
    this.edgeA = net.edgeA;
    this.edgeB = net.edgeB;
    const imposed = new Int32Array(roles.sources.length + roles.ground.length);
    imposed.set(roles.sources, 0);
    imposed.set(roles.ground, roles.sources.length);
    this.system = new LaplacianSystem(net.nodes, net.edgeA, net.edgeB, imposed, options);
    this.imposedValues = new Float64Array(imposed.length);
  }

  /** Load new conductances (siemens, length E) and re-factorise. Invalidates the Green's functions. */
  setConductance(k: Float64Array): void {
    this.system.setConductance(k);
    this.greens = null;
    this.gTT = null;
    this.directGTT = null;
    if (this.contrastCalls > 0) this.lastContrastCalls = this.contrastCalls;
    this.contrastCalls = 0;
    this.hasConductance = true;
  }

  /** Free state for source voltages `inputs` (volts, in the order of roles.sources); ground at 0 V. */
  free(inputs: ArrayLike<number>, out?: Float64Array): CircuitState {
    this.requireConductance();
    const ns = this.roles.sources.length;
    if (inputs.length !== ns) {
      throw new InvalidInputError({ field: 'inputs' }, `expected ${ns} source voltages, got ${inputs.length}`);
    }
    for (let i = 0; i < ns; i++) this.imposedValues[i] = inputs[i];
    this.imposedValues.fill(0, ns);
    const r = this.system.solve(this.imposedValues, undefined, out);
    return { kind: 'free', voltages: r.voltages, diagnostics: r.diagnostics };
  }

  /**
   * Clamped state of coupled learning: targets imposed at V_T^C = V_T^F + eta (V_T^* - V_T^F).
   * @param free the free state for the same inputs and conductances
   * @param desired V_T^* in volts, in the order of roles.targets
   * @param eta clamping strength, dimensionless in (0, 1]
   */
  clamped(free: CircuitState, desired: ArrayLike<number>, eta: number): CircuitState {
    const t = this.roles.targets;
    const delta = new Array<number>(t.length);
    for (let i = 0; i < t.length; i++) delta[i] = eta * (desired[i] - free.voltages[t[i]]);
    return this.clampedTo(free, delta, eta);
  }

  /**
   * State with the targets moved by `delta` volts from the free state (V_T = V_T^F + delta) and every other
   * non-imposed node obeying Kirchhoff's law.
   */
  clampedTo(free: CircuitState, delta: ArrayLike<number>, strength?: number): CircuitState {
    const direct = this.targetBlock();
    if (direct) {
      const lambda = solveSmall(direct, Array.from(delta));
      const r = this.injected(free, lambda);
      return { kind: 'clamped', voltages: r.voltages, diagnostics: worst(free.diagnostics, r.diagnostics), strength };
    }
    const { greens, gTT, diagnostics } = this.greenFunctions();
    const lambda = solveSmall(gTT, Array.from(delta));
    return { kind: 'clamped', voltages: combine(free.voltages, greens, lambda), diagnostics: worst(free.diagnostics, diagnostics), strength };
  }

  /**
   * G_TT without the Green's functions: from the Cholesky factor of the current conductances by forward solves along
   * the elimination tree (LaplacianSystem.inverseBlock), when that factor is in hand and the Green's functions have
   * not been computed anyway. Then a contrast state costs one solve (V^F + H_FF^{-1} E_T lambda) instead of |T|.
   * That pays while a set of conductances sees fewer contrast states than targets (a training step: one for CL and
   * EP, two for CEP); a caller taking many (diagnostics over a data set) is better served by the Green's functions,
   * after which each state is free. Predicted from the previous set of conductances, so the path is deterministic.
   */
  private targetBlock(): number[][] | null {
    this.contrastCalls++;
    if (this.greens || Math.max(this.lastContrastCalls, this.contrastCalls) >= this.roles.targets.length) return null;
    if (!this.directGTT) {
      const g = this.system.inverseBlock(this.roles.targets);
      if (!g) return null;
      this.directGTT = g;
    }
    return this.directGTT;
  }

  /** V^F + H_FF^{-1} E_T lambda: the free state with currents lambda (A) injected at the targets, one solve. */
  private injected(free: CircuitState, lambda: number[]): { voltages: Float64Array; diagnostics: SolveDiagnostics } {
    const rhs = new Float64Array(this.nodes);
    const t = this.roles.targets;
    for (let i = 0; i < t.length; i++) rhs[t[i]] += lambda[i];
    const r = this.system.solveFree(rhs, rhs);
    const v = r.x;
    const vf = free.voltages;
    for (let i = 0; i < v.length; i++) v[i] += vf[i];
    return { voltages: v, diagnostics: r.diagnostics };
  }

  /**
   * Nudged state of equilibrium propagation: each target joined by a conductance `beta` (siemens; negative for
   * the -beta state of centered EP) to a source at V_T^*. The injected current is beta (V_T^* - V_T), so with
   * V = V^F + G lambda: (I + beta G_TT) lambda = beta (V^* - V_T^F).
   */
  nudged(free: CircuitState, desired: ArrayLike<number>, beta: number): CircuitState {
    const t = this.roles.targets;
    const direct = this.targetBlock();
    const m = t.length;
    if (direct) {
      const a = direct.map((row, i) => row.map((g, j) => (i === j ? 1 : 0) + beta * g));
      const rhs = new Array<number>(m);
      for (let i = 0; i < m; i++) rhs[i] = beta * (desired[i] - free.voltages[t[i]]);
      const r = this.injected(free, solveSmall(a, rhs));
      return { kind: 'nudged', voltages: r.voltages, diagnostics: worst(free.diagnostics, r.diagnostics), strength: beta };
    }
    const { greens, gTT, diagnostics } = this.greenFunctions();
    const a = gTT.map((row, i) => row.map((g, j) => (i === j ? 1 : 0) + beta * g));
    const rhs = new Array<number>(m);
    for (let i = 0; i < m; i++) rhs[i] = beta * (desired[i] - free.voltages[t[i]]);
    const lambda = solveSmall(a, rhs);
    return { kind: 'nudged', voltages: combine(free.voltages, greens, lambda), diagnostics: worst(free.diagnostics, diagnostics), strength: beta };
  }

  /**
   * Adjoint field u = H_FF^{-1} E_T r for target residuals r (volts): the exact cost gradient is
   * dC/dk_e = -(u[b_e] - u[a_e]) (V[b_e] - V[a_e]). Costs no extra solve: it is a combination of the Green's functions.
   */
  adjoint(residualAtTargets: ArrayLike<number>): Float64Array {
    const { greens } = this.greenFunctions();
    return combine(new Float64Array(this.nodes), greens, Array.from(residualAtTargets));
  }

  /** Green's functions of the targets for the current conductances (computed on first use, |T| solves). */
  greenFunctions(): { greens: Float64Array[]; gTT: number[][]; diagnostics: SolveDiagnostics } {
    this.requireConductance();
    if (!this.greens || !this.gTT || !this.greensDiagnostics) {
      const t = this.roles.targets;
      const rhs = new Float64Array(this.nodes);
      const cols: Float64Array[] = [];
      let diag: SolveDiagnostics | null = null;
      for (let i = 0; i < t.length; i++) {
        rhs.fill(0);
        rhs[t[i]] = 1;
        const r = this.system.solveFree(rhs);
        cols.push(r.x);
        diag = diag ? worst(diag, r.diagnostics) : r.diagnostics;
      }
      const gTT: number[][] = Array.from(t, (ti) => cols.map((c) => c[ti]));
      // Symmetrise: G_TT is symmetric in exact arithmetic; rounding must not make the small solve asymmetric.
      for (let i = 0; i < t.length; i++) {
        for (let j = 0; j < i; j++) {
          const s = 0.5 * (gTT[i][j] + gTT[j][i]);
          gTT[i][j] = s;
          gTT[j][i] = s;
        }
      }
      this.greens = cols;
      this.gTT = gTT;
      this.greensDiagnostics = diag ?? { method: this.system.analysis.method, residual: 0, iterations: 0, converged: true };
    }
    return { greens: this.greens, gTT: this.gTT, diagnostics: this.greensDiagnostics };
  }

  /** Edge endpoints, for callers computing drops. */
  get edges(): { edgeA: Int32Array; edgeB: Int32Array } {
    return { edgeA: this.edgeA, edgeB: this.edgeB };
  }

  private requireConductance(): void {
    if (!this.hasConductance) throw new Error('StateSolver: call setConductance() before solving');
  }
}

function combine(base: Float64Array, greens: Float64Array[], lambda: number[]): Float64Array {
  const v = Float64Array.from(base);
  for (let j = 0; j < greens.length; j++) {
    const g = greens[j];
    const l = lambda[j];
    if (l === 0) continue;
    for (let i = 0; i < v.length; i++) v[i] += l * g[i];
  }
  return v;
}

function solveSmall(a: number[][], b: number[]): number[] {
  const m = b.length;
  if (m === 0) return [];
  if (m === 1) {
    if (!(a[0][0] !== 0)) throw new InvalidInputError({ field: 'beta' }, `nudge makes the target system singular (1 + beta G = ${show(a[0][0])})`, 'use a smaller beta');
    return [b[0] / a[0][0]];
  }
  // LU with partial pivoting (denseLu.ts; not ml-matrix, whose loading is ~0.1 s of a cold start)
  const lu = DenseLu.factor(Float64Array.from(a.flat()), m);
  if (!lu) throw new InvalidInputError({ field: 'beta' }, 'nudge makes the target system singular', 'use a smaller beta');
  return Array.from(lu.solve(b));
}

function worst(a: SolveDiagnostics, b: SolveDiagnostics): SolveDiagnostics {
  const d: SolveDiagnostics = {
    method: a.method,
    residual: Math.max(a.residual, b.residual),
    iterations: a.iterations + b.iterations,
    converged: a.converged && b.converged,
  };
  // Factor reuse (LaplacianSystem): the oldest factor used, and whether any of the solves had a new one.
  if (a.factorAge !== undefined || b.factorAge !== undefined) {
    d.factorAge = Math.max(a.factorAge ?? 0, b.factorAge ?? 0);
    d.refactorized = (a.refactorized ?? false) || (b.refactorized ?? false);
  }
  return d;
}
