/**
 * Kirchhoff's law for a network of monotone two-terminal elements, as the minimum of the convex co-content.
 *
 * With forward voltages `x_e = V[a_e] - V[b_e]` and element currents `I_e(x_e)` (a to b), the co-content
 * `P(V) = sum_e integral_0^{x_e} I_e(v) dv - sum_i J_i V_i` (J: injected currents, A) has gradient
 * `dP/dV_i = sum of the currents leaving node i - J_i`: Kirchhoff's residual. Monotone elements make P convex, so the
 * state with the imposed nodes held (sources, ground, clamps) is the minimum of P over the free nodes.
 *
 * Damped Newton: the Hessian of P is the Laplacian of the differential conductances `g_e = dI_e/dx_e`, assembled and
 * factorised by the {@link LaplacianSystem} of the linear solver (its fill-reducing ordering and symbolic analysis
 * are computed once, in the constructor; each iteration only re-factorises numerically), with `g_e` floored at
 * `slopeFloor` (default 1e-12 S, SPICE's gmin) in the Jacobian only, so that a reverse-biased diode or a cut-off
 * transistor (g ~ 0) cannot make it singular, and, only where the factorisation needs it, at a fraction of the largest
 * slope (factorise); the currents and so the solution are not changed by the floors. The step
 * length comes from a line search on P along the Newton direction (lineSearch.ts) that lowers P at every step:
 * convergence from any start. Stop: the largest Kirchhoff imbalance at a free node is at most
 * `absoluteTolerance + tolerance * max_e |I_e|` (amperes).
 *
 * Transistor edges (transistorLaw.ts) have no co-content: their exact law depends on the edges' mean voltage too.
 * The solver minimises the co-content of their gate-referenced form, each transistor's reference mean held, then
 * moves every reference to its edge's present mean and minimises again, until the residual of the exact law (which
 * the gate-referenced form equals once the references agree) meets the tolerance. Each minimisation converges from
 * any start; the outer re-referencing is a fixed-point iteration, started (for passive elements) from the iterate
 * projected onto the range of the imposed voltages, where the solution lies. It converges in the tests (the gen-2
 * operating range, saturation, starts at +-100 V) but is not proven to in general: a run that stops making progress
 * reports `converged: false` with its residual. The re-referencing converges linearly (153 iterations on the 64 x 64
 * transistor lattice); so from the second round on, the solver tries Newton on the exact equations (the sparse exact
 * Jacobian of sparseJacobian.ts, a step halved until the largest imbalance falls) and keeps to it while its steps stay
 * near full length and its GMRES solves converge quickly, which is where it converges quadratically (51 iterations on
 * that lattice, the Newton steps counted as iterations); otherwise the co-content rounds, which lower the co-content
 * from any start, go on, and Newton is tried again once they have lowered the residual tenfold (option exactNewton).
 */
import { InvalidInputError, NumericalError, show } from '../../errors.js';
import { LaplacianSystem, type LaplacianSystemOptions } from '../LaplacianSystem.js';
import { convexLineSearch } from './lineSearch.js';
import { SparseExactJacobian } from './sparseJacobian.js';
import { TransistorLaw } from './transistorLaw.js';
import type { TwoTerminalLaw } from './TwoTerminalLaw.js';

/** Options of {@link NonlinearSolver}. */
export interface NonlinearSolverOptions extends LaplacianSystemOptions {
  /** Relative tolerance on the Kirchhoff residual, as a fraction of the largest edge current. Default 1e-11. */
  tolerance?: number;
  /** Absolute tolerance on the Kirchhoff residual (A). Default 1e-18. */
  absoluteTolerance?: number;
  /** Newton iterations at most (all re-referencing rounds together). Default 500. */
  maxIterations?: number;
  /** Jacobian floor on differential conductances (S). Default 1e-12. */
  slopeFloor?: number;
  /**
   * Nodes in a connected component without an imposed node have no reference potential. 'refuse' (default): the
   * constructor throws a NumericalError naming them, as the linear solver does. 'zero': they are held at 0 V and not
   * solved for (what a board's ADC reads on a part of the board that nothing drives: the twin and the calibration's
   * board model), and their edges carry no current.
   */
  floating?: 'refuse' | 'zero';
  /**
   * Transistor networks: after the first co-content round, take exact Newton steps (sparse exact Jacobian,
   * sparseJacobian.ts) while they lower the exact residual, instead of only re-referencing (linear convergence).
   * Default true; false: the re-referencing alone (what the solver did before).
   */
  exactNewton?: boolean;
}

/** A solved nonlinear state. */
export interface NonlinearSolution {
  /** Node voltages (V), length N. */
  voltages: Float64Array;
  /** Edge currents from a_e to b_e (A), by the exact law, length E. */
  currents: Float64Array;
  /** The residual met the tolerance. */
  converged: boolean;
  /** Newton iterations taken. */
  iterations: number;
  /** Largest Kirchhoff current imbalance at a free node (A), exact law, injections included. */
  residual: number;
  /** The tolerance the residual was held to (A). */
  tolerance: number;
}

export class NonlinearSolver {
  readonly system: LaplacianSystem;
  /** Nodes solved for, ascending (neither imposed nor, with `floating: 'zero'`, floating). */
  readonly freeNodes: Int32Array;
  /** With `floating: 'zero'`: the nodes held at 0 V because nothing imposed reaches them, ascending; else empty. */
  readonly floatingNodes: Int32Array;
  private readonly nodes: number;
  private readonly edgeA: Int32Array;
  private readonly edgeB: Int32Array;
  private laws: readonly TwoTerminalLaw[];
  /** Indices of transistor edges (their laws have a reference mean). */
  private transistors: number[];
  private readonly free: Int32Array;
  /** The imposed nodes as the caller gave them (the floating ones follow them in the system's imposed list). */
  private readonly imposed: Int32Array;
  /** Every node the system holds: `imposed`, then `floatingNodes`. */
  private readonly held: Int32Array;
  private readonly tolerance: number;
  private readonly absoluteTolerance: number;
  private readonly maxIterations: number;
  private readonly slopeFloor: number;
  /** Exact-Newton finish of transistor networks (option exactNewton). */
  private readonly exactNewton: boolean;
  private jacobian: SparseExactJacobian | undefined;
  private dA: Float64Array | undefined;
  private dB: Float64Array | undefined;

  /**
   * @param nodes node count N
   * @param edgeA first endpoints (length E)
   * @param edgeB second endpoints (length E)
   * @param laws each edge's law (elementLaw.ts)
   * @param imposed node ids whose voltages are imposed (as LaplacianSystem)
   */
  constructor(nodes: number, edgeA: Int32Array, edgeB: Int32Array, laws: readonly TwoTerminalLaw[], imposed: Int32Array, options: NonlinearSolverOptions = {}) {
    this.floatingNodes = options.floating === 'zero' ? unreachedNodes(nodes, edgeA, edgeB, imposed) : new Int32Array(0);
    this.held = new Int32Array(imposed.length + this.floatingNodes.length);
    this.held.set(imposed);
    this.held.set(this.floatingNodes, imposed.length);
    this.system = new LaplacianSystem(nodes, edgeA, edgeB, this.held, options);
    this.nodes = nodes;
    this.edgeA = edgeA;
    this.edgeB = edgeB;
    this.laws = [];
    this.transistors = [];
    this.setLaws(laws);
    this.free = this.system.freeNodes;
    this.freeNodes = this.free;
    this.imposed = Int32Array.from(imposed);
    this.tolerance = positive(options.tolerance ?? 1e-11, 'tolerance');
    this.absoluteTolerance = positive(options.absoluteTolerance ?? 1e-18, 'absoluteTolerance');
    this.maxIterations = options.maxIterations ?? 500;
    if (!(Number.isInteger(this.maxIterations) && this.maxIterations >= 1)) {
      throw new InvalidInputError({ field: 'maxIterations' }, `must be a positive integer, got ${show(options.maxIterations)}`);
    }
    this.slopeFloor = positive(options.slopeFloor ?? 1e-12, 'slopeFloor');
    this.exactNewton = options.exactNewton ?? true;
    // A component without an imposed node has no reference potential: say so now, as the linear solver does (a
    // NumericalError naming the floating nodes), rather than as a Newton iteration that cannot factorise.
    this.system.setConductance(new Float64Array(edgeA.length).fill(1));
  }

  /**
   * Replace every edge's law (same edges; the ordering and symbolic analysis are kept). Why: a board whose settings,
   * drift or faults change solves the same graph with new laws many times, and the analysis is the costly part.
   */
  setLaws(laws: readonly TwoTerminalLaw[]): void {
    if (laws.length !== this.edgeA.length) {
      throw new InvalidInputError({ field: 'laws' }, `expected one law per edge (${this.edgeA.length}), got ${laws.length}`);
    }
    this.laws = laws;
    this.transistors = [];
    laws.forEach((l, e) => {
      if (l instanceof TransistorLaw) this.transistors.push(e);
    });
  }

  /**
   * The state for imposed voltages (V, in the order of the imposed nodes).
   * @param start initial node voltages (V, length N; imposed entries ignored). Default: every free node at the mean
   *   imposed voltage. Any finite start converges.
   * @param injection currents injected at nodes (A, length N; imposed entries ignored). Default none.
   */
  solve(imposedValues: Float64Array, start?: ArrayLike<number>, injection?: ArrayLike<number>): NonlinearSolution {
    const N = this.nodes;
    const E = this.edgeA.length;
    const { edgeA, edgeB, laws, free, imposed, held } = this;
    if (imposedValues.length !== imposed.length) {
      throw new InvalidInputError({ field: 'imposedValues' }, `expected ${imposed.length} values (one per imposed node), got ${imposedValues.length}`);
    }
    if (start && start.length !== N) throw new InvalidInputError({ field: 'start' }, `expected ${N} values (one per node), got ${start.length}`);
    if (injection && injection.length !== N) throw new InvalidInputError({ field: 'injection' }, `expected ${N} values (one per node), got ${injection.length}`);
    let mean = 0;
    for (const v of imposedValues) mean += v;
    mean = imposedValues.length > 0 ? mean / imposedValues.length : 0;
    const V = new Float64Array(N);
    for (const i of free) {
      V[i] = start ? start[i] : mean;
      if (!Number.isFinite(V[i])) throw new InvalidInputError({ field: `start[${i}]` }, `must be a finite voltage, got ${show(V[i])}`);
    }
    imposed.forEach((node, t) => (V[node] = imposedValues[t]));
    // floating nodes stay at 0 V (held by the system; their edges join only floating nodes, so carry no current)

    const x = new Float64Array(E);
    const cur = new Float64Array(E);
    const g = new Float64Array(E);
    const delta = new Float64Array(E);
    const r = new Float64Array(N);
    const rhs = new Float64Array(N);
    const dir = new Float64Array(N);

    /** Drops, currents and residual at V (gate-referenced form at the present references); returns [max |r|, tol]. */
    const evaluate = (): [number, number] => {
      r.fill(0);
      let scale = 0;
      for (let e = 0; e < E; e++) {
        const a = edgeA[e];
        const b = edgeB[e];
        x[e] = V[a] - V[b];
        const i = laws[e].current(x[e]);
        cur[e] = i;
        r[a] += i;
        r[b] -= i;
        scale = Math.max(scale, Math.abs(i));
      }
      let res = 0;
      for (const i of free) {
        if (injection) r[i] -= injection[i];
        res = Math.max(res, Math.abs(r[i]));
      }
      for (const i of held) r[i] = 0;
      return [res, this.absoluteTolerance + this.tolerance * scale];
    };
    // Passive elements (current with the sign of the drop, I(0) = 0) and no injection: the solution lies within the
    // range of the imposed voltages (discrete maximum principle: a free node above all its neighbours would only send
    // current out). Transistor networks project each iterate onto that range before re-referencing: that changes no
    // solution, and keeps the references where the gate-referenced form is close to the exact law (from a start at
    // 1000 V the re-referencing otherwise cycles among states hundreds of volts away, every transistor cut off).
    let lo = Infinity;
    let hi = -Infinity;
    // (floating nodes at 0 V are in another component: they do not bound this one's range)
    for (const v of imposedValues) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const project = this.transistors.length > 0 && !injection && laws.every((l) => l.current(0) === 0);
    const rereference = (): void => {
      if (project) for (const i of free) V[i] = Math.min(hi, Math.max(lo, V[i]));
      for (const e of this.transistors) (laws[e] as TransistorLaw).mean = 0.5 * (V[edgeA[e]] + V[edgeB[e]]);
    };

    const line = {
      slope: (t: number): number => {
        let s = 0;
        for (let e = 0; e < E; e++) if (delta[e] !== 0) s += laws[e].current(x[e] + t * delta[e]) * delta[e];
        if (injection) for (const i of free) s -= injection[i] * dir[i];
        return s;
      },
      change: (t: number): number => {
        let s = 0;
        for (let e = 0; e < E; e++) if (delta[e] !== 0) s += laws[e].coContent(x[e] + t * delta[e]) - laws[e].coContent(x[e]);
        if (injection) for (const i of free) s -= injection[i] * t * dir[i];
        return s;
      },
    };

    let iterations = 0;
    let converged = false;
    let residual = Infinity;
    let tol = 0;
    let bestOuter = Infinity;
    let sinceBest = 0;
    const hasTransistors = this.transistors.length > 0;
    let newtonRetryBelow = Infinity;
    const isHeld = new Uint8Array(N);
    for (const i of held) isHeld[i] = 1;
    const F = new Float64Array(N);
    const trial = new Float64Array(N);
    /** Exact law's residual at voltages v into F (held nodes 0); returns [max |F| over free nodes, tolerance]. */
    const exactResidual = (v: Float64Array): [number, number] => {
      F.fill(0);
      let scale = 0;
      for (let e = 0; e < E; e++) {
        const law = laws[e];
        const a = edgeA[e];
        const b = edgeB[e];
        const i = law instanceof TransistorLaw ? law.exactCurrent(v[a], v[b]) : law.current(v[a] - v[b]);
        F[a] += i;
        F[b] -= i;
        scale = Math.max(scale, Math.abs(i));
      }
      let res = 0;
      for (let i = 0; i < N; i++) {
        if (isHeld[i]) F[i] = 0;
        else {
          if (injection) F[i] -= injection[i];
          res = Math.max(res, Math.abs(F[i]));
        }
      }
      return [res, this.absoluteTolerance + this.tolerance * scale];
    };
    /**
     * Newton on the exact Kirchhoff equations from V, the step halved until the largest imbalance falls, until the
     * tolerance is met, a step fails, or the iteration budget is spent; returns the residual reached (V updated).
     */
    const exactNewtonSteps = (): number => {
      const jac = (this.jacobian ??= new SparseExactJacobian(this.system, edgeA, edgeB));
      const dA = (this.dA ??= new Float64Array(E));
      const dB = (this.dB ??= new Float64Array(E));
      let [res, tolNow] = exactResidual(V);
      while (res > tolNow && iterations < this.maxIterations) {
        for (let e = 0; e < E; e++) {
          const law = laws[e];
          if (law instanceof TransistorLaw) [dA[e], dB[e]] = law.exactDerivatives(V[edgeA[e]], V[edgeB[e]]);
          else {
            dA[e] = law.slope(V[edgeA[e]] - V[edgeB[e]]);
            dB[e] = -dA[e];
          }
        }
        try {
          jac.setDerivatives(dA, dB);
        } catch (err) {
          if (err instanceof NumericalError) break;
          throw err;
        }
        const sol = jac.solve(F, false, NEWTON_GMRES_TOLERANCE, NEWTON_GMRES_ITERATIONS);
        // GMRES slow to converge: J is still far from its co-content Hessian, where Newton is not yet worth its cost
        if (!sol.converged) break;
        const d = sol.x;
        iterations++;
        let step = 0;
        for (let h = 0, t = 1; h < 30; h++, t *= 0.5) {
          for (let i = 0; i < N; i++) trial[i] = isHeld[i] ? V[i] : V[i] - t * d[i];
          const [rt, tt] = exactResidual(trial);
          if (rt < res) {
            V.set(trial);
            res = rt;
            tolNow = tt;
            step = t;
            break;
          }
        }
        // A step cut below a quarter: not yet where Newton converges fast (on the 64 x 64 transistor lattice, from the
        // first round's iterate, 35 such steps barely moved the residual), so the co-content rounds take over again.
        if (step < MIN_NEWTON_STEP) break;
        [res, tolNow] = exactResidual(V);
      }
      return res;
    };
    for (;;) {
      rereference();
      [residual, tol] = evaluate();
      // with the references at the present means this is the exact law's residual
      if (residual <= tol) {
        converged = true;
        break;
      }
      if (iterations >= this.maxIterations) break;
      if (hasTransistors) {
        if (residual < 0.5 * bestOuter) {
          bestOuter = residual;
          sinceBest = 0;
        } else if (++sinceBest > 20) break;
        // Past the first round (the co-content minimum at the start's references has brought the iterate near the
        // solution), exact Newton converges superlinearly where the re-referencing only converges linearly. Kept only
        // while it lowers the exact residual; when it cannot, the co-content rounds go on, and Newton is tried again
        // once they have lowered the residual tenfold.
        if (this.exactNewton && iterations > 0 && residual < newtonRetryBelow) {
          const reached = exactNewtonSteps();
          // not converged: the co-content rounds go on, Newton is tried again once they have lowered it tenfold
          newtonRetryBelow = 0.1 * Math.min(reached, residual);
          if (reached < residual) continue;
          if (iterations >= this.maxIterations) break;
        }
      }
      // Minimise the co-content with the references held: to the tolerance, or (transistors) until the residual of
      // this form is well below the exact one, since the next re-referencing changes the problem anyway.
      const goal = (tolNow: number): number => (hasTransistors ? Math.max(tolNow, 1e-3 * residual) : tolNow);
      let res = residual;
      let target = goal(tol);
      let stuck = false;
      while (res > target && iterations < this.maxIterations) {
        // The Newton direction, with the Jacobian's slopes floored only as far as the factorisation needs
        // (see factorise): first at slopeFloor alone, then at a growing fraction of the largest slope.
        let slope0 = NaN;
        for (let attempt = 0, range = 0; attempt <= MAX_FLOOR_RAISES; attempt++, range = range === 0 ? FIRST_SLOPE_RANGE : range * 1e3) {
          if (!this.factorise(x, g, range)) continue;
          for (let i = 0; i < N; i++) rhs[i] = -r[i];
          this.system.solveFree(rhs, dir);
          slope0 = 0;
          for (let e = 0; e < E; e++) {
            delta[e] = dir[edgeA[e]] - dir[edgeB[e]];
            slope0 += cur[e] * delta[e];
          }
          if (injection) for (const i of free) slope0 -= injection[i] * dir[i];
          if (slope0 < 0) break;
        }
        iterations++;
        const t = convexLineSearch(line, slope0);
        if (!(t > 0)) {
          stuck = true;
          break;
        }
        for (const i of free) V[i] += t * dir[i];
        let tolNow: number;
        [res, tolNow] = evaluate();
        target = goal(tolNow);
      }
      if (!hasTransistors) {
        [residual, tol] = evaluate();
        converged = residual <= tol;
        break;
      }
      if (stuck && res >= residual) break;
    }
    // Currents by the exact law (transistors at their present means).
    for (const e of this.transistors) (laws[e] as TransistorLaw).mean = 0.5 * (V[edgeA[e]] + V[edgeB[e]]);
    const currents = new Float64Array(E);
    for (let e = 0; e < E; e++) currents[e] = laws[e].current(V[edgeA[e]] - V[edgeB[e]]);
    return { voltages: V, currents, converged, iterations, residual, tolerance: tol };
  }

  /**
   * Assemble and factorise the Jacobian: differential conductances at the drops `x`, floored at `slopeFloor` and at
   * `range` times the largest; false if the factorisation fails. Why a relative floor, and only on demand: far from
   * the solution a diode's slope can reach 1e24 S (its tangent continuation) beside 1e-30 S in reverse, and Cholesky
   * then loses every digit of the small ones (a pivot below its tolerance, or a direction that does not descend). The
   * floor changes the Jacobian only, so the step is still a descent direction and the line search still lowers the
   * co-content; but near the solution it would slow Newton down where nodes hang on reverse-biased diodes (a 2000-node
   * diode network: 181 iterations with a standing floor of 1e-10 of the largest slope, 10 without), hence range 0 first.
   */
  private factorise(x: Float64Array, g: Float64Array, range: number): boolean {
    const E = x.length;
    let top = 0;
    for (let e = 0; e < E; e++) {
      const v = this.laws[e].slope(x[e]);
      g[e] = v;
      if (v > top) top = v;
    }
    const floor = Math.max(this.slopeFloor, range * top);
    for (let e = 0; e < E; e++) if (!(g[e] >= floor)) g[e] = floor;
    try {
      this.system.setConductance(g);
      return true;
    } catch (err) {
      if (err instanceof NumericalError) return false;
      throw err;
    }
  }
}

/** Relative residual of an exact-Newton direction's GMRES solve, and its iterations at most (measured: about 22 near the
 * 64 x 64 transistor lattice's solution, 60..400 from the first round's iterate, where Newton barely progresses). */
const NEWTON_GMRES_TOLERANCE = 1e-10;
const NEWTON_GMRES_ITERATIONS = 50;
/** Shortest exact-Newton step length (fraction of the full step) that keeps the solver in its exact-Newton phase. */
const MIN_NEWTON_STEP = 0.25;
/** First relative floor of the Jacobian's slopes (a fraction of the largest) when the unfloored one fails (factorise). */
const FIRST_SLOPE_RANGE = 1e-14;
/** Times the floor is raised (x1000 each) before an iteration gives up: 1e-14 .. 1e1, the last a multiple of the top slope. */
const MAX_FLOOR_RAISES = 6;

/** Nodes whose connected component (every edge counts) holds no node of `imposed`, ascending. */
function unreachedNodes(nodes: number, edgeA: Int32Array, edgeB: Int32Array, imposed: Int32Array): Int32Array {
  const parent = Int32Array.from({ length: nodes }, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]];
    return i;
  };
  const inRange = (i: number): boolean => Number.isInteger(i) && i >= 0 && i < nodes;
  // (edges out of range are left to the LaplacianSystem, which names them)
  for (let e = 0; e < edgeA.length; e++) if (inRange(edgeA[e]) && inRange(edgeB[e])) parent[find(edgeA[e])] = find(edgeB[e]);
  const anchored = new Uint8Array(nodes);
  for (const i of imposed) if (inRange(i)) anchored[find(i)] = 1;
  const out: number[] = [];
  for (let i = 0; i < nodes; i++) if (!anchored[find(i)]) out.push(i);
  return Int32Array.from(out);
}

function positive(v: number, field: string): number {
  if (!(Number.isFinite(v) && v > 0)) throw new InvalidInputError({ field }, `must be a positive number, got ${show(v)}`);
  return v;
}
