/**
 * One solver benchmark case, run in its own process so that its peak memory (maxRSS) is its own.
 * Usage: node dist/bench/solverCase.js KIND SIZE   (KIND lattice: SIZE = side; KIND random: SIZE = nodes)
 * Prints one JSON object on stdout.
 */
import { loadavg } from 'node:os';
import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import { latticeNetwork } from '../src/physics/generators/lattice.js';
import { linearTask } from '../src/physics/generators/linearTask.js';
import { randomGraphNetwork } from '../src/physics/generators/randomGraph.js';
import { LaplacianSystem } from '../src/physics/LaplacianSystem.js';
import type { Network } from '../src/physics/Network.js';
import { StateSolver } from '../src/physics/StateSolver.js';
import { Trainer } from '../src/physics/Trainer.js';
import { timeMs } from './timing.js';

export interface CaseResult {
  name: string;
  nodes: number;
  edges: number;
  method: string;
  ordering: string;
  nnzL: number;
  /** ordering + symbolic analysis, once per topology (ms): the whole LaplacianSystem constructor */
  analysisMs: number;
  /** of analysisMs: the fill-reducing ordering, and the symbolic factorisation with the solver's set-up (ms) */
  orderingMs: number;
  symbolicMs: number;
  /** numeric factorisation (or preconditioner set-up for CG) after the conductances change (ms) */
  factorMs: number;
  /** one state solve with the factorisation in hand (ms) */
  solveMs: number;
  /** one full training step: refactorise, free state, Green's functions, clamped state, update (ms) */
  stepMs: number;
  /** the same step with factor reuse ('auto': CG preconditioned by an earlier factor while that pays), ms */
  stepReuseMs: number;
  /** factorisations per step in the reuse run, and CG iterations per reused solve */
  reuseFactorsPerStep: number;
  reuseIterationsPerSolve: number;
  /** 1-minute load average when the case started */
  load: number;
  /** largest relative residual of any free or contrast state in the timed steps (both runs) */
  maxResidual: number;
  /** dense ml-matrix baseline: Cholesky of the grounded Laplacian + one solve (ms), null where infeasible */
  denseSolveMs: number | null;
  /** dense baseline of a training step: Cholesky + 3 solves (free state and two target Green's functions) */
  denseStepMs: number | null;
  /** peak resident memory of the process (MiB) */
  peakRssMiB: number;
}

const DENSE_LIMIT = 1100; // free nodes; dense Cholesky beyond this takes minutes per factorisation

function build(kind: string, size: number): { net: Network; name: string } {
  if (kind === 'lattice') {
    return { net: latticeNetwork({ rows: size, cols: size, diagonals: true, seed: 1 }), name: `lattice ${size}x${size} diag` };
  }
  return { net: randomGraphNetwork({ nodes: size, meanDegree: 5, seed: 1 }), name: `random N=${size} deg 5` };
}

function run(kind: string, size: number): CaseResult {
  const load = loadavg()[0];
  const { net, name } = build(kind, size);
  const N = net.nodes;
  // Task roles: two sources and a ground at far-apart nodes, two targets in the middle.
  const mid = Math.floor(N / 2);
  const roles = { sources: [0, kind === 'lattice' ? size - 1 : 1], targets: [mid, mid + 1], ground: [N - 1] };
  const task = linearTask({ matrix: [[0.15, 0.3], [0.2, 0.1]], ...roles, count: 16, test: 0, seed: 2 });
  const imposed = Int32Array.from([...roles.sources, ...roles.ground]);

  const t0 = performance.now();
  const sys = new LaplacianSystem(N, net.edgeA, net.edgeB, imposed);
  const analysisMs = performance.now() - t0;
  const k = Float64Array.from(net.conductance);
  const values = Float64Array.of(1, 0.5, 0);
  const heavy = N > 20000;
  const factorMs = timeMs(() => {
    k[0] *= 1.000001; // a real change, so nothing can be skipped
    sys.setConductance(k);
  }, { warmup: heavy ? 1 : 3, minRuns: heavy ? 3 : 5 });
  const out = new Float64Array(N);
  // New imposed values every solve: CG warm-starts from earlier solutions, and a repeated right-hand side would
  // converge in zero iterations.
  let tick = 0;
  const solveMs = timeMs(() => {
    values[0] = 1 + 0.5 * Math.sin(++tick);
    values[1] = 0.5 + 0.5 * Math.cos(3 * tick);
    sys.solve(values, undefined, out);
  }, { warmup: 3, minRuns: 10 });

  const trainer = new Trainer(net, task, { steps: 1 << 30, order: 'sequential' });
  let maxResidual = 0;
  const step = (t: Trainer): void => {
    const r = t.step();
    for (const st of [r.states.free, ...r.states.contrast]) maxResidual = Math.max(maxResidual, st.diagnostics.residual);
  };
  const stepMs = timeMs(() => step(trainer), { warmup: heavy ? 1 : 3, minRuns: heavy ? 3 : 5 });
  // The same step with factor reuse, from the same start; more runs, since the policy mixes reused and fresh steps.
  const reuser = new Trainer(net, task, { steps: 1 << 30, order: 'sequential', factorReuse: 'auto' });
  const stepReuseMs = timeMs(() => step(reuser), { warmup: heavy ? 1 : 3, minRuns: heavy ? 6 : 10 });
  const rs = reuser.solver instanceof StateSolver ? reuser.solver.system.reuseStats : null;
  const reuseFactorsPerStep = rs ? rs.factorizations / reuser.stepCount : NaN;
  const reuseIterationsPerSolve = rs && rs.reusedSolves > 0 ? rs.reusedIterations / rs.reusedSolves : NaN;

  let denseSolveMs: number | null = null;
  let denseStepMs: number | null = null;
  const free = sys.freeNodes;
  if (free.length <= DENSE_LIMIT) {
    const index = new Int32Array(N).fill(-1);
    free.forEach((n, i) => (index[n] = i));
    const assemble = (): Matrix => {
      const A = Matrix.zeros(free.length, free.length);
      for (let e = 0; e < net.edgeA.length; e++) {
        const a = index[net.edgeA[e]], b = index[net.edgeB[e]], g = k[e];
        if (a >= 0) A.set(a, a, A.get(a, a) + g);
        if (b >= 0) A.set(b, b, A.get(b, b) + g);
        if (a >= 0 && b >= 0) {
          A.set(a, b, A.get(a, b) - g);
          A.set(b, a, A.get(b, a) - g);
        }
      }
      return A;
    };
    const rhs = Matrix.ones(free.length, 1);
    const opts = { warmup: 1, minRuns: 3, minMs: 200 };
    denseSolveMs = timeMs(() => new CholeskyDecomposition(assemble()).solve(rhs), opts);
    denseStepMs = timeMs(() => {
      const c = new CholeskyDecomposition(assemble());
      for (let i = 0; i < 3; i++) c.solve(rhs);
    }, opts);
  }
  return {
    name,
    nodes: N,
    edges: net.edgeA.length,
    method: sys.analysis.method,
    ordering: sys.analysis.ordering,
    nnzL: sys.analysis.nnzL,
    analysisMs,
    orderingMs: sys.analysis.orderingMs,
    symbolicMs: sys.analysis.symbolicMs,
    factorMs,
    solveMs,
    stepMs,
    stepReuseMs,
    reuseFactorsPerStep,
    reuseIterationsPerSolve,
    load,
    maxResidual,
    denseSolveMs,
    denseStepMs,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
}

const [kind, size] = process.argv.slice(2);
if (kind) process.stdout.write(JSON.stringify(run(kind, Number(size))) + '\n');
