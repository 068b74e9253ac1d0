/**
 * Nonlinear benchmark (issue 14, point 5): clln's nonlinear solver on 64 x 64 lattices of diodes and of transistors,
 * against ngspice `.op` on the same netlist, in the same run; and nonlinear coupled-learning training steps.
 *
 * Cases (src/physics/generators/lattice.ts, no diagonals: 4096 nodes, 8064 edges, every edge oriented right or down):
 * - `diodes`: every edge a Shockley diode (IS 1e-12 A, N 1.5, RS 100 ohm), anode on the left or top. Sources on the
 *   left column from 20 V (top row) to 40 V (bottom row), the right column grounded (0 V): the horizontal diodes are
 *   forward-biased (64 in series, about 0.5 V each), the vertical ones in either direction.
 * - `transistors`: every edge a square-law transistor (s 1e-4 S/V, V_T 0.6 V, V_G uniform in 1..3 V, seeded; an
 *   ngspice level-1 NMOS), left column 0.5 V (top) to 2 V (bottom), right column 0 V: conducting, saturated (one end
 *   beyond V_G - V_T) and cut-off edges all occur.
 *
 * What is timed:
 * - clln: `solveNonlinearCircuit` from nothing (ordering, symbolic analysis, damped Newton from the default start),
 *   the median of {@link CLLN_RUNS} runs; the Newton part alone (the solver built once) is reported too.
 * - ngspice: one `ngspice -b` run on writeSpiceNetlist's netlist (the writer of `clln export spice`), wall time of the
 *   process (parsing, the operating point and printing 4096 voltages), and the analysis time ngspice reports itself
 *   (`rusage totaltime`, the one line appended to the writer's `.control` block). One run, not a median: a run takes
 *   tens of seconds to minutes. Tolerances: ngspice's own defaults (RELTOL 1e-3, VNTOL 1e-6 V, ABSTOL 1e-12 A), passed
 *   to the writer. Why not the writer's defaults (RELTOL 1e-12, VNTOL 1e-15, ABSTOL 1e-18, what the cross-check tests
 *   use on 60..1000 nodes): at those ngspice did not finish a 32 x 32 diode lattice in 120 s on this machine, so there
 *   would be no ratio. clln keeps its own tolerance (Kirchhoff's residual within 1e-11 of the largest edge current),
 *   far tighter than ngspice's defaults; the agreement column (max |V_ngspice - V_clln| / max |V_clln|) shows what
 *   ngspice's looser tolerance leaves.
 * - A nonlinear coupled-learning training step, through the trainer the CLI and the engine use (src/physics/Trainer.ts,
 *   whose `step()` SimulatedLearner runs): load the parameters into the solvers, the free solve, the clamped solve
 *   (four targets, rows 8, 24, 40 and 56 of the middle column, held at `V_F + eta (V* - V_F)`, eta {@link ETA},
 *   V* 15 V for the diode case and 0.8 V for the transistors; started from the free state)
 *   and the CL update of every learning parameter (rules/CoupledLearning.ts on the co-content signals of
 *   nonlinear/learningParameters.ts). {@link CL_STEPS} consecutive steps on the case's one example, so each step
 *   sees the previous one's parameters, as in training; the first step is reported apart (it runs before the JIT has
 *   seen the step's code, and from the untrained parameters), the median of the others as the per-step figure, the
 *   free and clamped solves' share of it (ms, iterations), and the trainer's construction (the two solvers' analyses,
 *   once per run) apart. The example's mean squared error before the first update and after the last (solved outside
 *   the timing) shows that the steps learn. Learning rates: {@link DIODE_CASE_ALPHA} and {@link TRANSISTOR_CASE_ALPHA},
 *   a few percent of a parameter's range per step at most.
 *   Warm start: the clamped solve starts from the free state, but the free solve starts from the mean imposed voltage
 *   at every step and not from the previous step's state: NonlinearStateSolver does so on purpose (a step's result
 *   then depends only on the parameters and the example, which a run record's replay relies on), and a benchmark of
 *   the training step should time that step, not a faster variant the trainer does not run.
 *   - transistors: the step updates V_G of all 8064 transistors (clipped to the trainer's default gate range 0..5 V).
 *     The co-content re-referencing alone stalls in this lattice's clamped state (residual about 8e-9 A after 201
 *     iterations, tolerance 1e-15 A); the solver's exact-Newton phase and the state solver's exact-Newton finish, both
 *     on the sparse exact Jacobian (nonlinear/sparseJacobian.ts), bring it to tolerance. Should the trainer still refuse
 *     a state (a NumericalError or InvalidInputError), the bench records that failure and times the step on the
 *     {@link FALLBACK_SIDE} x {@link FALLBACK_SIDE} lattice of the same case, rather than timing a step that learns
 *     from an unconverged state.
 *   - diodes: a diode has no learning parameter (learningParameters.ts: its junction is fixed), so a CL step on the
 *     all-diode lattice would be the two solves and an update that changes nothing. The step is timed instead on
 *     the lattice a user would train: the same lattice and sources with its horizontal edges diodes (the forward
 *     chains that carry the current, as above) and its vertical edges learning resistors ({@link RESISTOR_K}, bounds
 *     {@link RESISTOR_BOUNDS}), i.e. fixed nonlinear elements shaping the response while the resistors around them
 *     learn, the role clln gives diodes. 4032 diodes, 4032 learning conductances.
 *
 * The ratio printed is ngspice / clln (above 1: clln is faster). The load average is printed with the results: the
 * machine is shared, and the figures are only as steady as it was.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError, NumericalError } from '../src/errors.js';
import { writeSpiceNetlist } from '../src/formats/spice/writeNetlist.js';
import { latticeNetwork } from '../src/physics/generators/lattice.js';
import type { Network } from '../src/physics/Network.js';
import type { EdgeElement } from '../src/physics/nonlinear/EdgeElement.js';
import { elementLaw } from '../src/physics/nonlinear/elementLaw.js';
import { NonlinearSolver } from '../src/physics/nonlinear/NonlinearSolver.js';
import { NonlinearStateSolver } from '../src/physics/nonlinear/NonlinearStateSolver.js';
import { solveNonlinearCircuit } from '../src/physics/nonlinear/solveNonlinearCircuit.js';
import { Rng } from '../src/physics/Rng.js';
import type { Task } from '../src/physics/Task.js';
import { Trainer } from '../src/physics/Trainer.js';
import { ms, ratio, table, timeMs } from './timing.js';

/** Lattice side: 64 x 64 = 4096 nodes. */
export const SIDE = 64;
/** clln solves timed per figure (median). */
const CLLN_RUNS = 3;
/** ngspice gets this long (s) before it is stopped and reported as not finished. */
const NGSPICE_TIMEOUT_S = 900;
/** ngspice's default tolerances (its manual), written into the netlist by the writer's options. */
const NGSPICE_TOLERANCES = { reltol: 1e-3, vntol: 1e-6, abstol: 1e-12 };
/** CL clamping strength of the training step (dimensionless). */
export const ETA = 0.5;
/** Consecutive CL training steps timed per case. */
export const CL_STEPS = 5;
/**
 * Conductance (S) of the learning resistors (vertical edges) of the diode case's step lattice: 100 kohm, so that they
 * carry currents like the forward diodes' (about 1e-6..1e-5 A at 0.5..0.6 V) and the targets depend on them.
 */
export const RESISTOR_K = 1e-5;
/** Bounds (S) of those resistors in the trainer: two decades either side of {@link RESISTOR_K}. */
export const RESISTOR_BOUNDS: [number, number] = [1e-7, 1e-3];
/**
 * Side of the fallback lattice of a CL step that fails on the full one: 45, the largest whose free state (side^2 - 2
 * side free nodes) fit the dense exact Jacobian (2000 free nodes) that finished stalled states before the sparse one.
 */
export const FALLBACK_SIDE = 45;
/** CL learning rate of the diode case's resistors (S/V^2). */
const DIODE_CASE_ALPHA = 3e-7;
/** CL learning rate of the transistor case's gates (V/A = ohm). */
const TRANSISTOR_CASE_ALPHA = 2e4;

export interface NonlinearCase {
  name: string;
  nodes: number;
  edges: number;
  clln: {
    /** ms, analysis + Newton from the default start (median). */
    solveMs: number;
    /** ms, Newton alone with the solver built (median). */
    newtonMs: number;
    iterations: number;
    converged: boolean;
    /** Largest Kirchhoff imbalance at a free node (A) and the tolerance it met. */
    residual: number;
    tolerance: number;
  };
  ngspice: {
    /** ms, wall time of `ngspice -b` (null: not run or not finished). */
    wallMs: number | null;
    /** ms, ngspice's own `Total analysis time`. */
    analysisMs: number | null;
    iterations: number | null;
    /** Why there is no figure, if there is none. */
    note?: string;
  };
  /** ngspice wall / clln solve, and ngspice analysis / clln solve. */
  ratioWall: number | null;
  ratioAnalysis: number | null;
  /** max_i |V_ngspice - V_clln| / max_i |V_clln|. */
  agreement: number | null;
  /**
   * The CL step on the case's lattice; if the trainer cannot run it there (a state it cannot bring to tolerance), that
   * failure, then the step on the {@link FALLBACK_SIDE} x {@link FALLBACK_SIDE} lattice of the same case.
   */
  step: (ClStepFigures | ClStepFailure)[];
}

/** A CL step the trainer refused: the network and its error's message. */
export interface ClStepFailure {
  name: string;
  failed: string;
}

/** A CL training step's figures (bench doc comment: what is timed). */
export interface ClStepFigures {
  /** The network the steps train (the diode case's differs from the solve's: diodes do not learn). */
  name: string;
  /** Learning parameters: V_G of transistors (V), k of resistors (S). */
  parameters: number;
  parameter: 'V_G' | 'k';
  /** Learning rate of the step: V/A (ohm) on gates, S/V^2 on conductances; and the clamping strength. */
  alpha: number;
  eta: number;
  /** ms: the trainer's construction (the two solvers' analyses, once per training run). */
  setupMs: number;
  steps: number;
  /** ms: the first step, and the median of the others (free solve + clamped solve + update, each step whole). */
  firstMs: number;
  stepMs: number;
  /** ms, medians over the steps after the first: the free solve, the clamped solve, the rest (parameters loaded, cost, update). */
  freeMs: number;
  clampedMs: number;
  updateMs: number;
  /** Per step: Newton iterations of the free and clamped solves, parameters the update changed. */
  freeIterations: number[];
  clampedIterations: number[];
  changed: number[];
  /** Mean squared error per target (V^2) of the example before the first update and after the last. */
  mseBefore: number;
  mseAfter: number;
  updateIncluded: true;
}

export interface NonlinearResults {
  ngspice: string | null;
  tolerances: typeof NGSPICE_TOLERANCES;
  loadavg: { start: number[]; end: number[] };
  cpus: number;
  cases: NonlinearCase[];
}

export interface Lattice {
  name: string;
  net: Network;
  fixed: Map<number, number>;
  /** Target nodes of the CL step and their desired voltages (V). */
  targets: [number, number][];
  /** The CL step's network (diodes: with learning resistors, see the doc comment), its task and learning rate. */
  step: { name: string; net: Network; task: Task; alpha: number; bounds?: [number, number]; parameter: 'V_G' | 'k' };
}

/**
 * The two cases on a `side` x `side` lattice (the benchmark's is {@link SIDE}; tests use smaller ones). `alphas`
 * overrides the CL learning rates (diodes' resistors in S/V^2, transistors' gates in V/A).
 */
export function lattices(side = SIDE, alphas: { diodes?: number; transistors?: number } = {}): Lattice[] {
  const diode = (): EdgeElement => ({ kind: 'diode', is: 1e-12, n: 1.5, rs: 100 });
  const build = (name: string, element: () => EdgeElement, top: number, bottom: number, desired: number, step: { name: string; elements?: (e: number, net: Network) => EdgeElement; alpha: number; bounds?: [number, number]; parameter: 'V_G' | 'k' }): Lattice => {
    const net = latticeNetwork({ rows: side, cols: side, name });
    net.elements = Array.from(net.conductance, element);
    const fixed = new Map<number, number>();
    for (let r = 0; r < side; r++) {
      fixed.set(r * side, top + ((bottom - top) * r) / (side - 1));
      fixed.set(r * side + side - 1, 0);
    }
    const mid = side >> 1;
    // rows 8, 24, 40, 56 of 64
    const rows = [0.125, 0.375, 0.625, 0.875].map((f) => Math.floor(f * side));
    const targets = rows.map((r): [number, number] => [r * side + mid, desired]);
    const stepNet: Network = step.elements ? { ...net, name: step.name, elements: Array.from(net.conductance, (_, e) => step.elements!(e, net)) } : net;
    const column = (c: number) => Int32Array.from({ length: side }, (_, r) => r * side + c);
    const task: Task = {
      sources: column(0),
      ground: column(side - 1),
      targets: Int32Array.from(targets, ([n]) => n),
      train: [{ in: Float64Array.from(column(0), (n) => fixed.get(n)!), out: Float64Array.from(targets, ([, v]) => v) }],
      test: [],
    };
    return { name, net, fixed, targets, step: { name: step.name, net: stepNet, task, alpha: step.alpha, bounds: step.bounds, parameter: step.parameter } };
  };
  const rng = new Rng(1);
  return [
    build(`diodes ${side}x${side}`, diode, 20, 40, 15, {
      name: `diodes + resistors ${side}x${side}`,
      // edges run right (b = a + 1) or down: the horizontal ones stay diodes, the vertical ones learn
      elements: (e, net) => (net.edgeB[e] === net.edgeA[e] + 1 ? diode() : { kind: 'resistor', k: RESISTOR_K }),
      alpha: alphas.diodes ?? DIODE_CASE_ALPHA,
      bounds: RESISTOR_BOUNDS,
      parameter: 'k',
    }),
    build(`transistors ${side}x${side}`, () => ({ kind: 'transistor', s: 1e-4, vt: 0.6, vg: rng.uniform(1, 3), saturation: 'square' }), 0.5, 2, 0.8, {
      name: `transistors ${side}x${side}`,
      alpha: alphas.transistors ?? TRANSISTOR_CASE_ALPHA,
      parameter: 'V_G',
    }),
  ];
}

/** ngspice's version line, or null when it does not run here. */
function ngspiceVersion(): string | null {
  const r = spawnSync('ngspice', ['--version'], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  const m = /ngspice-\S+/.exec(r.stdout);
  return m ? m[0] : 'ngspice';
}

function runNgspice(lat: Lattice, dir: string): { wallMs: number | null; analysisMs: number | null; iterations: number | null; voltages: Float64Array | null; note?: string } {
  const text = writeSpiceNetlist(lat.net, lat.fixed, { printAll: true, ...NGSPICE_TOLERANCES }).replace('.endc', 'rusage totaltime totiter\n.endc');
  const file = join(dir, `${lat.name.replace(/\W+/g, '-')}.cir`);
  writeFileSync(file, text);
  const t0 = performance.now();
  const r = spawnSync('ngspice', ['-b', file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: NGSPICE_TIMEOUT_S * 1000 });
  const wallMs = performance.now() - t0;
  if (r.error || r.status !== 0) {
    const why = r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT' ? `not finished in ${NGSPICE_TIMEOUT_S} s` : `failed (${r.error?.message ?? `exit ${r.status}`})`;
    return { wallMs: null, analysisMs: null, iterations: null, voltages: null, note: why };
  }
  const out = r.stdout;
  const v = new Float64Array(lat.net.nodes).fill(NaN);
  for (const line of out.split('\n')) {
    const m = /^\s*n(\d+)\s+=\s+([-+0-9.eE]+)\s*$/.exec(line);
    if (m) v[Number(m[1])] = Number(m[2]);
  }
  const analysis = /Total analysis time \(seconds\)\s*=\s*([0-9.eE+-]+)/.exec(out);
  const iters = /Total iterations\s*=\s*(\d+)/.exec(out);
  const complete = v.every((x) => Number.isFinite(x));
  return {
    wallMs,
    analysisMs: analysis ? 1000 * Number(analysis[1]) : null,
    iterations: iters ? Number(iters[1]) : null,
    voltages: complete ? v : null,
    ...(complete ? {} : { note: 'printed no voltage for some node' }),
  };
}

function laws(net: Network) {
  return Array.from(net.conductance, (k, e) => elementLaw(net.elements?.[e], k));
}

/** Median of a non-empty list. */
function median(xs: number[]): number {
  const t = [...xs].sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)];
}

/**
 * `steps` consecutive CL training steps of `lat.step` by the trainer (Trainer.step, as SimulatedLearner and `clln
 * train` run it), each timed whole, with the free and clamped solves' share timed by wrapping the trainer's solver
 * (the wrappers only read the clock). Returns the figures, the trainer (its parameters after the steps) and the
 * parameters before them.
 */
export function timeClSteps(lat: Lattice, steps = CL_STEPS): { figures: ClStepFigures; trainer: Trainer; initial: Float64Array } {
  const { net, task, alpha, bounds, parameter } = lat.step;
  const t0 = performance.now();
  const trainer = new Trainer(net, task, { rule: 'cl', eta: ETA, alpha, steps, order: 'sequential', ...(bounds ? { bounds } : {}) });
  const setupMs = performance.now() - t0;
  const initial = Float64Array.from(trainer.conductance);
  const mseBefore = trainer.mse(task.train);
  const solver = trainer.solver;
  if (!(solver instanceof NonlinearStateSolver)) throw new Error(`bench: ${lat.step.name}: the trainer did not take the network as nonlinear`);
  const spent = { free: 0, clamped: 0 };
  const free = solver.free.bind(solver);
  const clamped = solver.clamped.bind(solver);
  solver.free = (inputs, out) => {
    const t = performance.now();
    const r = free(inputs, out);
    spent.free += performance.now() - t;
    return r;
  };
  solver.clamped = (state, desired, eta) => {
    const t = performance.now();
    const r = clamped(state, desired, eta);
    spent.clamped += performance.now() - t;
    return r;
  };
  const total: number[] = [];
  const freeMs: number[] = [];
  const clampedMs: number[] = [];
  const freeIterations: number[] = [];
  const clampedIterations: number[] = [];
  const changed: number[] = [];
  for (let i = 0; i < steps; i++) {
    spent.free = spent.clamped = 0;
    const t = performance.now();
    let r: ReturnType<Trainer['step']>;
    try {
      r = trainer.step();
    } catch (e) {
      // say which solve of which step (the trainer's message may not: its finish of a stalled state can be the refusal)
      const where = spent.clamped > 0 ? 'update' : spent.free > 0 ? 'clamped solve' : 'free solve';
      if (e instanceof NumericalError || e instanceof InvalidInputError) throw new NumericalError(`step ${i + 1}, ${where}: ${e.message}`, { cause: e });
      throw e;
    }
    total.push(performance.now() - t);
    freeMs.push(spent.free);
    clampedMs.push(spent.clamped);
    freeIterations.push(r.states.free.diagnostics.iterations);
    clampedIterations.push(r.states.contrast[0].diagnostics.iterations);
    changed.push(r.changed);
  }
  // the steps after the first (all of them if there is one)
  const rest = (xs: number[]) => (xs.length > 1 ? xs.slice(1) : xs);
  const stepMs = median(rest(total));
  const fMs = median(rest(freeMs));
  const cMs = median(rest(clampedMs));
  const figures: ClStepFigures = {
    name: lat.step.name,
    parameters: Array.from(trainer.conductance).filter((_, e) => trainer.signals!.learns(e)).length,
    parameter,
    alpha,
    eta: ETA,
    setupMs,
    steps,
    firstMs: total[0],
    stepMs,
    freeMs: fMs,
    clampedMs: cMs,
    updateMs: median(rest(total.map((x, i) => x - freeMs[i] - clampedMs[i]))),
    freeIterations,
    clampedIterations,
    changed,
    mseBefore,
    mseAfter: trainer.mse(task.train),
    updateIncluded: true,
  };
  return { figures, trainer, initial };
}

function runCase(lat: Lattice, smaller: Lattice, spice: boolean, noSpiceNote: string, dir: string, log: (s: string) => void): NonlinearCase {
  const { net, fixed } = lat;
  log(`bench: nonlinear ${lat.name}: clln ...`);
  let sol = solveNonlinearCircuit(net, fixed);
  const solveMs = timeMs(() => (sol = solveNonlinearCircuit(net, fixed)), { warmup: 0, minRuns: CLLN_RUNS, minMs: 0, maxRuns: CLLN_RUNS });
  const freeSolver = new NonlinearSolver(net.nodes, net.edgeA, net.edgeB, laws(net), Int32Array.from(fixed.keys()));
  const freeValues = Float64Array.from(fixed.values());
  let free = freeSolver.solve(freeValues);
  const newtonMs = timeMs(() => (free = freeSolver.solve(freeValues)), { warmup: 0, minRuns: CLLN_RUNS, minMs: 0, maxRuns: CLLN_RUNS });
  if (!free.converged) throw new Error(`bench: ${lat.name}: the free solve did not converge`);
  const step: (ClStepFigures | ClStepFailure)[] = [];
  for (const l of [lat, smaller]) {
    log(`bench: nonlinear ${l.step.name}: ${CL_STEPS} CL training steps ...`);
    try {
      step.push(timeClSteps(l).figures);
      break;
    } catch (e) {
      // the trainer's refusals of a state it cannot solve (a bug would be another error, and stops the bench)
      if (!(e instanceof NumericalError || e instanceof InvalidInputError)) throw e;
      step.push({ name: l.step.name, failed: e.message });
      log(`bench: nonlinear ${l.step.name}: the CL step failed: ${e.message}`);
    }
  }

  let ng: ReturnType<typeof runNgspice> = { wallMs: null, analysisMs: null, iterations: null, voltages: null, note: noSpiceNote };
  if (spice) {
    log(`bench: nonlinear ${lat.name}: ngspice -b (up to ${NGSPICE_TIMEOUT_S} s) ...`);
    ng = runNgspice(lat, dir);
  }
  let agreement: number | null = null;
  if (ng.voltages) {
    let scale = 0;
    let worst = 0;
    for (let i = 0; i < net.nodes; i++) {
      scale = Math.max(scale, Math.abs(sol.voltages[i]));
      worst = Math.max(worst, Math.abs(ng.voltages[i] - sol.voltages[i]));
    }
    agreement = worst / scale;
  }
  return {
    name: lat.name,
    nodes: net.nodes,
    edges: net.edgeA.length,
    clln: { solveMs, newtonMs, iterations: sol.iterations, converged: sol.converged, residual: sol.residual, tolerance: sol.tolerance },
    ngspice: { wallMs: ng.wallMs, analysisMs: ng.analysisMs, iterations: ng.iterations, ...(ng.note ? { note: ng.note } : {}) },
    ratioWall: ng.wallMs === null ? null : ng.wallMs / solveMs,
    ratioAnalysis: ng.analysisMs === null ? null : ng.analysisMs / solveMs,
    agreement,
    step,
  };
}

/**
 * @param options.spice false: clln alone, without the ngspice runs (minutes each), for a quick look; default true
 */
export function runNonlinearBench(log: (s: string) => void, options: { spice?: boolean } = {}): NonlinearResults {
  const start = loadavg();
  const version = options.spice === false ? null : ngspiceVersion();
  if (options.spice === false) log('bench: nonlinear: without ngspice (asked for)');
  else if (!version) log('bench: nonlinear: ngspice is not installed, clln alone (Debian/Ubuntu: apt-get install ngspice)');
  const dir = mkdtempSync(join(tmpdir(), 'clln-bench-nl-'));
  try {
    const small = lattices(FALLBACK_SIDE);
    const cases = lattices().map((lat, i) => runCase(lat, small[i], version !== null, options.spice === false ? 'not run (--no-spice)' : 'not installed (Debian/Ubuntu: apt-get install ngspice)', dir, log));
    return { ngspice: version, tolerances: NGSPICE_TOLERANCES, loadavg: { start, end: loadavg() }, cpus: cpus().length, cases };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function printNonlinear(r: NonlinearResults): string {
  const rows = r.cases.map((c) => [
    c.name,
    String(c.nodes),
    String(c.edges),
    ms(c.clln.solveMs),
    String(c.clln.iterations) + (c.clln.converged ? '' : ' (not converged)'),
    ms(c.ngspice.wallMs),
    ms(c.ngspice.analysisMs),
    c.ngspice.iterations === null ? '—' : String(c.ngspice.iterations),
    ratio(c.ratioWall),
    ratio(c.ratioAnalysis),
    c.agreement === null ? '—' : c.agreement.toExponential(1),
  ]);
  const its = (xs: number[]) => (xs.length > 1 ? `${xs[0]} / ${median(xs.slice(1))}` : String(xs[0]));
  const all = r.cases.flatMap((c) => c.step);
  const done = all.filter((st): st is ClStepFigures => !('failed' in st));
  const steps = all.map((st) => {
    if ('failed' in st) return [st.name, 'failed (below)', ...Array<string>(10).fill('—')];
    return [
      st.name,
      `${st.parameters} ${st.parameter}`,
      ms(st.setupMs),
      ms(st.firstMs),
      ms(st.stepMs),
      ms(st.freeMs),
      its(st.freeIterations),
      ms(st.clampedMs),
      its(st.clampedIterations),
      ms(st.updateMs),
      its(st.changed),
      `${st.mseBefore.toExponential(2)} -> ${st.mseAfter.toExponential(2)}`,
    ];
  });
  const failures = all.filter((st): st is ClStepFailure => 'failed' in st).map((st) => `${st.name}: the CL step failed: ${st.failed}\n`);
  const notes = r.cases.filter((c) => c.ngspice.note).map((c) => `${c.name}: ngspice ${c.ngspice.note}\n`);
  const tol = r.tolerances;
  return (
    table(['case', 'N', 'E', 'clln ms', 'Newton its', 'ngspice wall', 'ngspice analysis', 'its', 'wall/clln', 'analysis/clln', 'agreement'], rows) +
    `\n\nclln: analysis + Newton from the default start (median of ${CLLN_RUNS}), residual within 1e-11 of the largest edge current. ` +
    `ngspice (${r.ngspice ?? 'not installed'}): one \`ngspice -b\` run on the netlist of \`clln export spice\`'s writer, ` +
    `its default tolerances (RELTOL ${tol.reltol}, VNTOL ${tol.vntol} V, ABSTOL ${tol.abstol} A); analysis = its own "Total analysis time". ` +
    `Ratios: ngspice / clln. Agreement: max |V_ngspice - V_clln| / max |V_clln|.\n` +
    notes.join('') +
    `\nNonlinear CL training step (Trainer.step: free solve, clamped solve, CL update of every learning parameter), ` +
    `${done[0]?.steps ?? CL_STEPS} consecutive steps on one example (ms; "first" apart, "step" and its parts the median of the others; ` +
    'its and changed: first / median of the others):\n\n' +
    table(['network', 'learns', 'setup', 'first', 'step', 'free', 'its', 'clamped', 'its', 'rest', 'changed', 'MSE before -> after (V^2)'], steps) +
    `\n\nsetup: the trainer's two solver analyses (once per run). free: from the mean imposed voltage at every step (the ` +
    `trainer's choice, for replay); clamped: 4 targets at V_F + ${ETA} (V* - V_F), from the free state. rest: parameters ` +
    'loaded into the solvers, cost, CL update. Diodes do not learn: their step runs on the diode lattice with learning ' +
    `resistors on its vertical edges. alpha: ${done.map((st) => `${st.alpha} ${st.parameter === 'V_G' ? 'V/A' : 'S/V^2'}`).join(', ')}.\n` +
    failures.join('') +
    `load average ${r.loadavg.start.map((x) => x.toFixed(1)).join(' ')} -> ${r.loadavg.end.map((x) => x.toFixed(1)).join(' ')} (1, 5, 15 min) on ${r.cpus} CPUs.\n`
  );
}
