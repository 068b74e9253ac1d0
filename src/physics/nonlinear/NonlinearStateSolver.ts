/**
 * Free, clamped and nudged states of a nonlinear network for one task's node roles: the nonlinear counterpart of
 * StateSolver (src/physics/StateSolver.ts), which it mirrors so that the learning rules and the trainer take either.
 *
 * - free: sources and ground imposed, every other node by Kirchhoff's law (NonlinearSolver, from the mean imposed
 *   voltage: never from an earlier state, so that a step's result depends only on the parameters and the example, which
 *   a run record's replay relies on);
 * - clamped (CL): the targets imposed too, at V_T^C = V_T^F + eta (V_T^* - V_T^F), from the free state;
 * - nudged (EP): each target joined by a conductance beta (S, negative for centered EP's second state) to a source at
 *   V_T^*, i.e. the current `J_T = beta (V_T^* - V_T)` injected at T. J_T depends on the state, so it is found by
 *   Newton on `F(J) = J - beta (V^* - V_T(J)) = 0` (|T| unknowns), with `dV_T/dJ = G_TT` from the last factorised
 *   Jacobian (Laplacian of differential conductances) of the inner solves; an approximate G only slows this outer
 *   iteration, which stops on F itself. Why not a resistor edge to an imposed node: a -beta edge has a concave
 *   co-content, which the Newton solver's slope floor would hide from its Jacobian.
 *
 * A state that does not meet its tolerance throws a NumericalError naming it, rather than letting a rule learn from it.
 */
import { InvalidInputError, NumericalError } from '../../errors.js';
import type { CircuitState } from '../CircuitState.js';
import type { LaplacianSystem, SolveDiagnostics } from '../LaplacianSystem.js';
import type { Network } from '../Network.js';
import type { ContrastSolver } from '../rules/LearningRule.js';
import type { Roles } from '../Task.js';
import { DenseLu } from '../denseLu.js';
import { initialParameters, lawsAt } from './learningParameters.js';
import { exactJacobian, MAX_DENSE_NODES } from './nonlinearGradient.js';
import { DENSE_JACOBIAN_NODES, exactEdgeDerivatives, SparseExactJacobian } from './sparseJacobian.js';
import { TransistorLaw } from './transistorLaw.js';
import { type NonlinearSolution, NonlinearSolver, type NonlinearSolverOptions } from './NonlinearSolver.js';
import type { TwoTerminalLaw } from './TwoTerminalLaw.js';

/** Exact-Newton iterations at most when finishing a state the co-content solver left above tolerance. */
const MAX_POLISH_ITERATIONS = 50;
/** Floor of the differential conductances in a nudged state's G_TT (S): the Newton solver's default slopeFloor. */
const SLOPE_FLOOR = 1e-12;
/** Outer Newton iterations at most for a nudged state's target currents. */
const MAX_NUDGE_ITERATIONS = 40;

/**
 * Default absolute tolerance of the states' Kirchhoff residual (A): a femtoampere. The Newton solver's own default
 * (1e-18 A) is out of reach in double precision when a learned network cuts most transistors off (every current near
 * the 1e-10 S leak times volts, so 1e-11 of the largest current is already below 1e-18 A), and a fA is six orders
 * below what a board's ADC resolves.
 */
export const STATE_ABSOLUTE_TOLERANCE = 1e-15;

export class NonlinearStateSolver implements ContrastSolver {
  readonly roles: Roles;
  readonly nodes: number;
  /** Each edge's law at the present parameters; the two solvers hold this array and see its entries replaced. */
  readonly laws: TwoTerminalLaw[];
  private readonly freeSolver: NonlinearSolver;
  private readonly clampSolver: NonlinearSolver;
  private readonly imposed: Int32Array;
  private readonly tolerance: number;
  private readonly absoluteTolerance: number;
  private hasParameters = false;
  private theta: Float64Array = new Float64Array(0);
  /** Sparse exact-Jacobian solvers of the free and clamped solvers, made on first need (polished). */
  private readonly sparse = new Map<NonlinearSolver, SparseExactJacobian>();
  /** The last free solution (its currents, for diagnostics). */
  lastFree: NonlinearSolution | null = null;

  constructor(readonly net: Network, roles: Roles, options: NonlinearSolverOptions = {}) {
    options = { absoluteTolerance: STATE_ABSOLUTE_TOLERANCE, ...options };
    this.roles = roles;
    this.nodes = net.nodes;
    this.laws = lawsAt(net, initialParameters(net));
    this.imposed = new Int32Array(roles.sources.length + roles.ground.length);
    this.imposed.set(roles.sources, 0);
    this.imposed.set(roles.ground, roles.sources.length);
    const withTargets = new Int32Array(this.imposed.length + roles.targets.length);
    withTargets.set(this.imposed, 0);
    withTargets.set(roles.targets, this.imposed.length);
    this.freeSolver = new NonlinearSolver(net.nodes, net.edgeA, net.edgeB, this.laws, this.imposed, options);
    this.clampSolver = new NonlinearSolver(net.nodes, net.edgeA, net.edgeB, this.laws, withTargets, options);
    this.tolerance = options.tolerance ?? 1e-11;
    this.absoluteTolerance = options.absoluteTolerance!;
  }

  /** The free state's Laplacian system (its analysis says which linear method the Newton steps use). */
  get system(): LaplacianSystem {
    return this.freeSolver.system;
  }

  /** Load new learning parameters (learningParameters.ts: k in S, V_G in V, one per edge). */
  setConductance(theta: Float64Array): void {
    const laws = lawsAt(this.net, theta);
    for (let e = 0; e < laws.length; e++) this.laws[e] = laws[e];
    this.theta = Float64Array.from(theta);
    this.hasParameters = true;
  }

  /** Free state for source voltages `inputs` (V, in the order of roles.sources); ground at 0 V. */
  free(inputs: ArrayLike<number>, out?: Float64Array): CircuitState {
    this.require();
    const ns = this.roles.sources.length;
    if (inputs.length !== ns) throw new InvalidInputError({ field: 'inputs' }, `expected ${ns} source voltages, got ${inputs.length}`);
    const values = new Float64Array(this.imposed.length);
    for (let i = 0; i < ns; i++) values[i] = inputs[i];
    const r = this.polished(this.freeSolver.solve(values), this.freeSolver);
    this.lastFree = r;
    const voltages = out ?? r.voltages;
    if (out) out.set(r.voltages);
    return { kind: 'free', voltages, diagnostics: checked(r, 'free') };
  }

  /** Clamped state of coupled learning (eta dimensionless in (0, 1]), started from the free state. */
  clamped(free: CircuitState, desired: ArrayLike<number>, eta: number): CircuitState {
    const t = this.roles.targets;
    const values = new Float64Array(this.imposed.length + t.length);
    this.imposed.forEach((node, i) => (values[i] = free.voltages[node]));
    for (let i = 0; i < t.length; i++) {
      const vf = free.voltages[t[i]];
      values[this.imposed.length + i] = vf + eta * (desired[i] - vf);
    }
    const r = this.polished(this.clampSolver.solve(values, free.voltages), this.clampSolver);
    return { kind: 'clamped', voltages: r.voltages, diagnostics: checked(r, 'clamped'), strength: eta };
  }

  /** Nudged state of equilibrium propagation (beta in S, negative for centered EP's -beta state). */
  nudged(free: CircuitState, desired: ArrayLike<number>, beta: number): CircuitState {
    const t = this.roles.targets;
    const m = t.length;
    const values = new Float64Array(this.imposed.length);
    this.imposed.forEach((node, i) => (values[i] = free.voltages[node]));
    const injection = new Float64Array(this.nodes);
    // Start at J = 0, the free state (always solvable), and keep every accepted J one whose state the solver reaches:
    // a fixed current can have no state (more than a reverse-biased diode carries), while the nudge's own current
    // shrinks as the target moves, so the true J lies where the iteration goes and the steps are damped to stay solvable.
    let J = new Float64Array(m);
    let v = free.voltages;
    let diagnostics = free.diagnostics;
    let iterations = 0;
    const misfit = (J: Float64Array, v: Float64Array): { F: number[]; size: number; scale: number } => {
      const F = Array.from(J, (j, i) => j - beta * (desired[i] - v[t[i]]));
      let size = 0;
      let scale = 0;
      for (let i = 0; i < m; i++) {
        size = Math.max(size, Math.abs(F[i]));
        scale = Math.max(scale, Math.abs(J[i]), Math.abs(beta * (desired[i] - v[t[i]])));
      }
      return { F, size, scale };
    };
    let cur = misfit(J, v);
    // F is the Kirchhoff imbalance at the targets of the nudged circuit (the current the nudge conductance would carry
    // minus the one injected): done when it meets the tolerance the inner solves hold every other node to (A).
    let tolerance = this.lastFree?.tolerance ?? this.absoluteTolerance;
    let noise = tolerance;
    for (let outer = 0; ; outer++) {
      if (cur.size <= Math.max(tolerance, 1e-10 * cur.scale)) break;
      if (outer >= MAX_NUDGE_ITERATIONS && cur.size <= 10 * noise) break; // at the solves' noise (below)
      if (outer >= MAX_NUDGE_ITERATIONS) {
        throw new NumericalError(`nudged state (beta = ${beta} S): the target currents did not settle in ${MAX_NUDGE_ITERATIONS} Newton steps (misfit ${cur.size.toExponential(2)} A, noise ${noise.toExponential(2)} A); use a smaller beta`);
      }
      const cols = this.targetGreens(v);
      // F's noise: the inner solves leave each node's imbalance within `tolerance`, which moves V_T by up to
      // tolerance * G_TT and F by beta times that.
      let gMax = 0;
      for (let i = 0; i < m; i++) gMax = Math.max(gMax, Math.abs(cols[i][t[i]]));
      noise = tolerance * (1 + Math.abs(beta) * gMax);
      const a: number[][] = [];
      for (let i = 0; i < m; i++) a.push(cols.map((c, j) => (i === j ? 1 : 0) + beta * c[t[i]]));
      const step = m === 1 ? [cur.F[0] / a[0][0]] : solveTargetSystem(a, cur.F, beta);
      let accepted = false;
      for (let h = 0, len = 1; h < 30 && !accepted; h++, len *= 0.5) {
        const Jt = Float64Array.from(J, (j, i) => j - len * step[i]);
        for (let i = 0; i < m; i++) injection[t[i]] = Jt[i];
        const r = this.polished(this.freeSolver.solve(values, v, injection), this.freeSolver, injection);
        iterations += r.iterations;
        if (!r.converged) continue;
        const next = misfit(Jt, r.voltages);
        if (next.size < cur.size) {
          J = Jt;
          v = r.voltages;
          cur = next;
          diagnostics = diagnosticsOf(r);
          tolerance = r.tolerance;
          accepted = true;
        }
      }
      // Stalled within 10 times F's noise: as good as the inner solves make the state.
      if (!accepted && cur.size <= 10 * noise) break;
      if (!accepted) throw new NumericalError(`nudged state (beta = ${beta} S): no damped step on the target currents reduced their misfit (${cur.size.toExponential(2)} A, tolerance ${tolerance.toExponential(2)} A, noise ${noise.toExponential(2)} A, after ${outer} steps); use a smaller beta`);
    }
    return { kind: 'nudged', voltages: v === free.voltages ? Float64Array.from(v) : v, diagnostics: { ...diagnostics, iterations }, strength: beta };
  }

  /**
   * G_TT = dV_T/dJ_T at state v (ohm): column j is the response of every node to a unit current injected at target j.
   * Exact (dense LU of the exact Kirchhoff Jacobian, no slope floors) when the free nodes fit MAX_DENSE_NODES: a target
   * that hangs on reverse-biased diodes has a slope of 1e-14 S, and the solver's 1e-12 S floor would make G 100 times
   * too small and this Newton iteration crawl. Above that, the Laplacian of the floored differential conductances.
   */
  private targetGreens(v: Float64Array): Float64Array[] {
    const t = this.roles.targets;
    const N = this.nodes;
    const { n, index, J } = exactJacobian(this.net, this.theta, { sources: this.imposed, ground: new Int32Array(0) }, v, [], true);
    if (n <= MAX_DENSE_NODES) {
      const lu = DenseLu.factor(J, n);
      if (lu) {
        return Array.from(t, (tj) => {
          const rhs = new Float64Array(n);
          rhs[index[tj]] = 1;
          const x = lu.solve(rhs);
          return Float64Array.from({ length: N }, (_, i) => (index[i] >= 0 ? x[index[i]] : 0));
        });
      }
    }
    const g = new Float64Array(this.net.edgeA.length);
    for (let e = 0; e < g.length; e++) g[e] = Math.max(SLOPE_FLOOR, this.laws[e].slope(v[this.net.edgeA[e]] - v[this.net.edgeB[e]]));
    this.freeSolver.system.setConductance(g);
    return Array.from(t, (tj) => {
      const rhs = new Float64Array(N);
      rhs[tj] = 1;
      return Float64Array.from(this.freeSolver.system.solveFree(rhs).x);
    });
  }

  /**
   * A solution that the co-content solver could not bring to tolerance, finished by Newton on the exact Kirchhoff
   * equations, with the step halved until the largest imbalance falls. Why: with transistors the co-content solver's
   * outer re-referencing is a fixed-point iteration (README), and in learned networks whose gates sit near cut-off it
   * can stall (residuals of 1e-8..1e-5 A seen in XOR training; about 8e-9 A on the 64 x 64 transistor lattice's
   * clamped state); from its last iterate, exact Newton converges in a few steps. The Newton direction solves with the
   * exact Jacobian: a dense LU up to {@link DENSE_JACOBIAN_NODES} free nodes, above that the sparse solve
   * (sparseJacobian.ts: GMRES preconditioned by the Cholesky factor of the co-content Hessian, through `solver`'s own
   * system). Returned unchanged if already converged; a state this does not bring to tolerance comes back with
   * `converged: false` and its residual, for {@link checked} to report.
   * @param solver the co-content solver that produced `r`: its imposed nodes are the ones held, its system is reused
   */
  private polished(r: NonlinearSolution, solver: NonlinearSolver, injection?: Float64Array): NonlinearSolution {
    if (r.converged) return r;
    const N = this.nodes;
    const { edgeA, edgeB } = this.net;
    const E = edgeA.length;
    const held = solver.system.imposedNodes;
    const isImposed = new Uint8Array(N);
    for (const i of held) isImposed[i] = 1;
    const V = Float64Array.from(r.voltages);
    const currents = new Float64Array(E);
    const F = new Float64Array(N);
    const evaluate = (v: Float64Array): [number, number] => {
      F.fill(0);
      let scale = 0;
      for (let e = 0; e < E; e++) {
        const law = this.laws[e];
        const a = edgeA[e];
        const b = edgeB[e];
        const i = law instanceof TransistorLaw ? law.exactCurrent(v[a], v[b]) : law.current(v[a] - v[b]);
        currents[e] = i;
        F[a] += i;
        F[b] -= i;
        scale = Math.max(scale, Math.abs(i));
      }
      let res = 0;
      for (let i = 0; i < N; i++) {
        if (isImposed[i]) {
          F[i] = 0;
          continue;
        }
        if (injection) F[i] -= injection[i];
        res = Math.max(res, Math.abs(F[i]));
      }
      return [res, this.absoluteTolerance + this.tolerance * scale];
    };
    let [res, tol] = evaluate(V);
    let iterations = r.iterations;
    const trial = new Float64Array(N);
    const n = N - held.length;
    const sparse = n > DENSE_JACOBIAN_NODES ? this.sparseJacobian(solver) : null;
    const dA = new Float64Array(sparse ? E : 0);
    const dB = new Float64Array(sparse ? E : 0);
    for (let k = 0; k < MAX_POLISH_ITERATIONS && res > tol; k++) {
      // d by node id (imposed 0): J d = F, the step is -d
      let d: Float64Array;
      if (sparse) {
        exactEdgeDerivatives(this.net, this.theta, V, dA, dB);
        try {
          sparse.setDerivatives(dA, dB);
        } catch (err) {
          if (err instanceof NumericalError) break;
          throw err;
        }
        // an inexact direction is still tried: the halving below keeps only steps that lower the residual
        d = sparse.solve(F).x;
      } else {
        const { n: nd, index, J } = exactJacobian(this.net, this.theta, { sources: held, ground: new Int32Array(0) }, V);
        const lu = DenseLu.factor(J, nd);
        if (!lu) break;
        const rhs = new Float64Array(nd);
        for (let i = 0; i < N; i++) if (index[i] >= 0) rhs[index[i]] = F[i];
        const x = lu.solve(rhs);
        d = new Float64Array(N);
        for (let i = 0; i < N; i++) if (index[i] >= 0) d[i] = x[index[i]];
      }
      let t = 1;
      let improved = false;
      for (let h = 0; h < 40; h++, t *= 0.5) {
        trial.set(V);
        for (let i = 0; i < N; i++) if (!isImposed[i]) trial[i] -= t * d[i];
        const [rt, tt] = evaluate(trial);
        if (rt < res) {
          V.set(trial);
          res = rt;
          tol = tt;
          improved = true;
          break;
        }
      }
      iterations++;
      if (!improved) break;
    }
    evaluate(V);
    return { voltages: V, currents: Float64Array.from(currents), converged: res <= tol, iterations, residual: res, tolerance: tol };
  }

  /** The sparse exact-Jacobian solver over `solver`'s free nodes (made once per solver: its system is shared). */
  private sparseJacobian(solver: NonlinearSolver): SparseExactJacobian {
    let s = this.sparse.get(solver);
    if (!s) {
      s = new SparseExactJacobian(solver.system, this.net.edgeA, this.net.edgeB);
      this.sparse.set(solver, s);
    }
    return s;
  }

  private require(): void {
    if (!this.hasParameters) throw new Error('NonlinearStateSolver: call setConductance() before solving');
  }
}

function diagnosticsOf(r: NonlinearSolution): SolveDiagnostics {
  let scale = 0;
  for (const i of r.currents) scale = Math.max(scale, Math.abs(i));
  return { method: 'cholesky', residual: scale > 0 ? r.residual / scale : r.residual, iterations: r.iterations, converged: r.converged };
}

function checked(r: NonlinearSolution, which: string): SolveDiagnostics {
  if (!r.converged) {
    throw new NumericalError(`${which} state: the nonlinear solver did not converge (Kirchhoff residual ${r.residual.toExponential(2)} A after ${r.iterations} Newton iterations, tolerance ${r.tolerance.toExponential(2)} A)`);
  }
  return diagnosticsOf(r);
}

/** Solve the |T| x |T| target system of a nudge step by LU with partial pivoting (denseLu.ts). */
function solveTargetSystem(a: number[][], f: ArrayLike<number>, beta: number): number[] {
  const lu = DenseLu.factor(Float64Array.from(a.flat()), a.length);
  if (!lu) throw new NumericalError(`nudged state (beta = ${beta} S): the target system is singular; use a smaller beta`);
  return Array.from(lu.solve(f));
}
