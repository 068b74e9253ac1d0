/**
 * Micro benchmark of the sparse Laplacian solver: for lattices with both diagonals in every cell and a random
 * graph of mean degree 5, prints the analysis time (ordering + symbolic), nnz(L), the numeric re-factorisation
 * time after all conductances change, the time of one solve, and a training-step budget (factorisation + 3
 * solves). Run: npx tsc -p tsconfig.json && node dist/bench/solverMicro.js [--quick]
 */
import { LaplacianSystem, type LaplacianSystemOptions } from '../src/physics/LaplacianSystem.js';
import { Rng } from '../src/physics/Rng.js';

interface Net {
  name: string;
  nodes: number;
  edgeA: Int32Array;
  edgeB: Int32Array;
  imposed: Int32Array;
}

function latticeWithDiagonals(side: number): Net {
  const a: number[] = [];
  const b: number[] = [];
  const id = (i: number, j: number): number => i * side + j;
  for (let i = 0; i < side; i++) {
    for (let j = 0; j < side; j++) {
      if (j + 1 < side) a.push(id(i, j)), b.push(id(i, j + 1));
      if (i + 1 < side) a.push(id(i, j)), b.push(id(i + 1, j));
      if (i + 1 < side && j + 1 < side) {
        a.push(id(i, j)), b.push(id(i + 1, j + 1));
        a.push(id(i, j + 1)), b.push(id(i + 1, j));
      }
    }
  }
  // A handful of imposed nodes: two sources on the left edge, two grounds on the right edge, one in the middle.
  const h = Math.floor(side / 2);
  const imposed = [id(Math.floor(side / 4), 0), id(Math.floor((3 * side) / 4), 0), id(Math.floor(side / 4), side - 1), id(Math.floor((3 * side) / 4), side - 1), id(h, h)];
  return { name: `lattice ${side}x${side}`, nodes: side * side, edgeA: Int32Array.from(a), edgeB: Int32Array.from(b), imposed: Int32Array.from(new Set(imposed)) };
}

/** Random connected graph: a random spanning tree plus random extra edges up to the mean degree. */
function randomGraph(n: number, meanDegree: number, rng: Rng): Net {
  const a: number[] = [];
  const b: number[] = [];
  for (let v = 1; v < n; v++) {
    a.push(rng.int(v));
    b.push(v);
  }
  const target = Math.round((meanDegree * n) / 2);
  while (a.length < target) {
    const u = rng.int(n);
    const v = rng.int(n);
    if (u !== v) a.push(u), b.push(v);
  }
  const imposed = new Set<number>();
  while (imposed.size < 6) imposed.add(rng.int(n));
  return { name: `random N=${n} deg ${meanDegree}`, nodes: n, edgeA: Int32Array.from(a), edgeB: Int32Array.from(b), imposed: Int32Array.from(imposed) };
}

function run(net: Net, options: LaplacianSystemOptions, reps: number): void {
  const rng = new Rng(7);
  const t0 = performance.now();
  const sys = new LaplacianSystem(net.nodes, net.edgeA, net.edgeB, net.imposed, options);
  const tAnalysis = performance.now() - t0;
  const E = net.edgeA.length;
  const k = new Float64Array(E);
  const values = new Float64Array(net.imposed.length);
  const rhs = new Float64Array(net.nodes);
  const out = new Float64Array(net.nodes);
  let tFactor = 0;
  let tSolve = 0;
  let solves = 0;
  let worst = 0;
  let iterations = 0;
  const warm = 2;
  for (let r = 0; r < reps + warm; r++) {
    for (let e = 0; e < E; e++) k[e] = rng.uniform(0.5, 2);
    const a = performance.now();
    sys.setConductance(k);
    const c = performance.now();
    for (let s = 0; s < 3; s++) {
      if (s === 0) {
        for (let t = 0; t < values.length; t++) values[t] = t < 2 ? 1 : 0;
        const res = sys.solve(values, undefined, out);
        worst = Math.max(worst, res.diagnostics.residual);
        iterations += res.diagnostics.iterations;
      } else {
        rhs.fill(0);
        rhs[sys.freeNodes[(s * 7919) % sys.freeNodes.length]] = 1;
        const res = sys.solveFree(rhs, out);
        worst = Math.max(worst, res.diagnostics.residual);
        iterations += res.diagnostics.iterations;
      }
    }
    const d = performance.now();
    if (r >= warm) {
      tFactor += c - a;
      tSolve += d - c;
      solves += 3;
    }
  }
  const an = sys.analysis;
  const f = tFactor / reps;
  const s = tSolve / solves;
  console.log(
    `${net.name.padEnd(24)} ${an.method.padEnd(8)} ${an.ordering.padEnd(6)} N=${String(net.nodes).padStart(6)} ` +
      `analysis ${tAnalysis.toFixed(0).padStart(5)} ms (ordering ${an.orderingMs.toFixed(0)}, symbolic ${an.symbolicMs.toFixed(0)}) ` +
      `nnzL ${String(an.nnzL).padStart(9)}  factor ${f.toFixed(1).padStart(6)} ms  solve ${s.toFixed(2).padStart(6)} ms  ` +
      `factor+3 solves ${(f + 3 * s).toFixed(1).padStart(6)} ms  iters/solve ${(iterations / ((reps + warm) * 3)).toFixed(1)}  worst residual ${worst.toExponential(1)}`,
  );
}

const quick = process.argv.includes('--quick');
const reps = quick ? 3 : 10;
for (const side of [4, 32, 128]) run(latticeWithDiagonals(side), {}, reps);
run(latticeWithDiagonals(256), {}, quick ? 2 : 4);
run(randomGraph(16384, 5, new Rng(3)), {}, reps);
if (!quick) {
  run(latticeWithDiagonals(128), { ordering: 'nd' }, reps);
  run(latticeWithDiagonals(128), { ordering: 'amd' }, reps);
  run(latticeWithDiagonals(128), { method: 'cg' }, 3);
  run(randomGraph(65536, 5, new Rng(4)), {}, 3);
}
