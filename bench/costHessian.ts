/**
 * Cost-Hessian benchmark (`npm run bench -- hessian`): the full E x E cost Hessian (src/diagnostics/costHessian.ts)
 * of ~1000-edge networks with the reference-like task (2 sources, 2 targets, 1 ground, 40 examples), the sparse
 * method against the dense ml-matrix baseline (`method: 'dense'`: dense inverse of H_FF, per-example products)
 * measured in the same run; also the Gauss-Newton-only time and the largest eigenvalue (learningStability) by dense
 * matrix-vector products and by the matrix-free Jacobian route. Target: full Hessian of a ~1000-edge network <= 2 s.
 * Medians of repeated runs (the dense baseline: a single run, it takes seconds).
 */
import { costHessian } from '../src/diagnostics/costHessian.js';
import { learningStability } from '../src/diagnostics/learningStability.js';
import { latticeNetwork } from '../src/physics/generators/lattice.js';
import { linearTask } from '../src/physics/generators/linearTask.js';
import { randomGraphNetwork } from '../src/physics/generators/randomGraph.js';
import type { Network } from '../src/physics/Network.js';
import type { Task } from '../src/physics/Task.js';
import { ms, ratio, table, timeMs } from './timing.js';

export interface HessianCase {
  name: string;
  nodes: number;
  edges: number;
  examples: number;
  /** Linear solves of the sparse full Hessian. */
  solves: number;
  /** Sparse full Hessian (ms, median). */
  fullMs: number;
  /** Sparse Gauss-Newton only (ms, median). */
  gaussNewtonMs: number;
  /** Dense ml-matrix baseline of the full Hessian (ms, one run), null if skipped. */
  denseMs: number | null;
  /** denseMs / fullMs. */
  ratio: number | null;
  /** Relative Frobenius difference of the sparse and dense full Hessians. */
  agreement: number | null;
  /** lambda_max of the full Hessian by dense matrix-vector products (ms), and by the Jacobian route on GN (ms). */
  lambdaDenseMs: number;
  lambdaJacobianMs: number;
  lambdaMax: number;
}

export interface HessianResults {
  /** ms: the target for the full Hessian of a ~1000-edge network. */
  target: number;
  cases: HessianCase[];
}

const TARGET_MS = 2000;

function problem(kind: 'lattice' | 'lattice-diag' | 'random', size: number): { name: string; net: Network; task: Task } {
  const net =
    kind === 'random'
      ? randomGraphNetwork({ nodes: size, meanDegree: 5, seed: 1 })
      : latticeNetwork({ rows: size, cols: size, diagonals: kind === 'lattice-diag', seed: 1 });
  const N = net.nodes;
  const mid = Math.floor(N / 2);
  const task = linearTask({
    matrix: [
      [0.15, 0.3],
      [0.2, 0.1],
    ],
    sources: [0, kind === 'random' ? 1 : size - 1],
    targets: [mid, mid + 1],
    ground: [N - 1],
    count: 40,
    seed: 2,
  });
  const name = kind === 'random' ? `random N=${size} deg 5` : `lattice ${size}x${size}${kind === 'lattice-diag' ? ' diag' : ''}`;
  return { name, net, task };
}

function relErr(a: Float64Array, b: Float64Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

export function runHessianBench(log: (s: string) => void = () => {}): HessianResults {
  const specs: [('lattice' | 'lattice-diag' | 'random'), number, boolean][] = [
    ['lattice', 23, true],
    ['random', 400, true],
    ['lattice-diag', 23, true],
  ];
  const cases: HessianCase[] = [];
  for (const [kind, size, dense] of specs) {
    const { name, net, task } = problem(kind, size);
    log(`bench: cost Hessian ${name} ...`);
    let full = costHessian(net, task);
    const fullMs = timeMs(() => (full = costHessian(net, task)), { warmup: 1, minRuns: 5, minMs: 1000 });
    const gaussNewtonMs = timeMs(() => costHessian(net, task, { secondOrder: false }), { warmup: 1, minRuns: 5, minMs: 500 });
    let denseMs: number | null = null;
    let agreement: number | null = null;
    if (dense) {
      log(`bench: cost Hessian ${name}, dense baseline ...`);
      const t0 = performance.now();
      const d = costHessian(net, task, { method: 'dense' });
      denseMs = performance.now() - t0;
      agreement = relErr(full.full!, d.full!);
    }
    let lambdaMax = 0;
    const lambdaDenseMs = timeMs(() => (lambdaMax = learningStability(1, full).lambdaMax), { warmup: 1, minRuns: 3, minMs: 300 });
    const rows = full.examples * task.targets.length;
    const lambdaJacobianMs = timeMs(
      () => learningStability(1, { jacobian: full.jacobian, rows, edges: full.edges, scale: 1 / full.examples }),
      { warmup: 1, minRuns: 3, minMs: 300 },
    );
    cases.push({
      name,
      nodes: net.nodes,
      edges: net.edgeA.length,
      examples: full.examples,
      solves: full.diagnostics.solves,
      fullMs,
      gaussNewtonMs,
      denseMs,
      ratio: denseMs === null ? null : denseMs / fullMs,
      agreement,
      lambdaDenseMs,
      lambdaJacobianMs,
      lambdaMax,
    });
  }
  return { target: TARGET_MS, cases };
}

export function printHessian(r: HessianResults): string {
  const rows = r.cases.map((c) => [
    c.name,
    String(c.nodes),
    String(c.edges),
    String(c.examples),
    String(c.solves),
    ms(c.fullMs),
    ms(c.gaussNewtonMs),
    ms(c.denseMs),
    ratio(c.ratio),
    c.agreement === null ? '—' : c.agreement.toExponential(1),
    ms(c.lambdaDenseMs),
    ms(c.lambdaJacobianMs),
    c.lambdaMax.toPrecision(4),
  ]);
  const near = r.cases.filter((c) => c.edges <= 1100);
  const met = near.every((c) => c.fullMs <= r.target);
  return (
    table(['case', 'N', 'E', 'M', 'solves', 'full', 'GN only', 'dense full', 'dense/sparse', 'rel diff', 'lmax dense', 'lmax J', 'lambdaMax'], rows) +
    `\n\nms (medians; dense: one run). full = GN + second-order term; rel diff = ||H_sparse - H_dense||_F / ||H_dense||_F; ` +
    `lmax = learningStability (Lanczos) on the full E x E matrix, or matrix-free J^T J x on the Gauss-Newton part.\n` +
    `Target full Hessian of a ~1000-edge network <= ${r.target} ms: ${met ? 'met' : 'NOT met'}.\n`
  );
}
