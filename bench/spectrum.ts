/**
 * Spectrum benchmark (`npm run bench -- spectrum`): eigenpairs of the physical Hessian H = D^T diag(k) D.
 *
 * (a) The 10 lowest eigenpairs of square lattices (unit conductances, so eigenvalues come in degenerate pairs) by
 *     shift-invert Lanczos through the sparse Cholesky (`physicalSpectrum`, method 'lanczos'), for the full
 *     Laplacian (singular: the constant mode is reported and deflated, the rest goes through the pseudo-inverse with
 *     one node grounded) and grounded at one corner (node 0 imposed). Times include the ordering, factorisation,
 *     Lanczos and the residual check. Target: 128 x 128 (16384 nodes) in <= 2 s. Dense is infeasible there (16384^3),
 *     so the baseline is taken at 32 x 32 (1024 nodes), where the same 10 pairs are also computed densely: our
 *     `symmetricEigen` (all pairs, then 10 taken) and ml-matrix's EigenvalueDecomposition (assembly included in
 *     both); ratios = dense time / Lanczos time.
 * (b) The full spectrum (all values and vectors) of a 1024-node random graph's Laplacian: `symmetricEigen` against
 *     ml-matrix's EigenvalueDecomposition on the same matrix (assembly excluded); ratio = ml-matrix / ours. Also
 *     ours without vectors, the largest eigenvalue difference between the two, and our largest residual.
 * All times are medians (ms).
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { physicalSpectrum, type PhysicalSpectrum, type SpectrumNetwork } from '../src/diagnostics/physicalSpectrum.js';
import { symmetricEigen } from '../src/diagnostics/symmetricEigen.js';
import { latticeNetwork } from '../src/physics/generators/lattice.js';
import { randomGraphNetwork } from '../src/physics/generators/randomGraph.js';
import { ms, ratio, table, timeMs } from './timing.js';

export interface LowestCase {
  name: string;
  nodes: number;
  /** 'none' (full Laplacian) or 'corner' (node 0 imposed). */
  grounding: 'none' | 'corner';
  k: number;
  /** shift-invert Lanczos, whole call (ms, median) */
  lanczosMs: number;
  /** Lanczos steps (= sparse solves, besides the k residual checks) */
  iterations: number;
  residual: number;
  converged: boolean;
  /** the 10 values (siemens) */
  values: number[];
  /** dense baselines on the same matrix (ms, median), null where infeasible */
  denseOursMs: number | null;
  denseMlMatrixMs: number | null;
  /** largest |lambda_lanczos - lambda_dense| / lambda_max(dense lowest 10), null without dense */
  valueDifference: number | null;
}

export interface FullCase {
  name: string;
  nodes: number;
  /** symmetricEigen with vectors, ms (median) */
  oursMs: number;
  /** symmetricEigen without vectors, ms (median) */
  oursValuesMs: number;
  /** ml-matrix EigenvalueDecomposition (assumeSymmetric), ms (median) */
  mlMatrixMs: number;
  /** max |lambda_ours - lambda_ml| / max |lambda| */
  valueDifference: number;
  /** max_j ||A v_j - lambda_j v_j|| / max |lambda| (ours) */
  residual: number;
  /** QL sweeps (ours) */
  sweeps: number;
}

export interface SpectrumResults {
  /** target time for the 128 x 128 lowest-10 cases (ms) */
  targetMs: number;
  lowest: LowestCase[];
  full: FullCase;
}

const TARGET_MS = 2000;
const K = 10;

/** Dense H (row-major) of the full Laplacian or with node 0 removed, and its free nodes. */
function denseLaplacian(net: SpectrumNetwork, grounded: boolean): { a: Float64Array; n: number } {
  const off = grounded ? 1 : 0;
  const n = net.nodes - off;
  const a = new Float64Array(n * n);
  for (let e = 0; e < net.edgeA.length; e++) {
    const p = net.edgeA[e] - off;
    const q = net.edgeB[e] - off;
    const g = net.conductance[e];
    if (p >= 0) a[p * n + p] += g;
    if (q >= 0) a[q * n + q] += g;
    if (p >= 0 && q >= 0) {
      a[p * n + q] -= g;
      a[q * n + p] -= g;
    }
  }
  return { a, n };
}

function toMatrix(a: Float64Array, n: number): Matrix {
  const M = new Matrix(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) M.set(i, j, a[i * n + j]);
  return M;
}

function lowestCase(side: number, grounding: 'none' | 'corner', withDense: boolean, log: (s: string) => void): LowestCase {
  const net = latticeNetwork({ rows: side, cols: side });
  const imposed = grounding === 'corner' ? [0] : [];
  const name = `lattice ${side}x${side}, ${grounding === 'corner' ? 'grounded at a corner' : 'full Laplacian'}`;
  log(`bench: spectrum ${name} ...`);
  let last: PhysicalSpectrum | null = null;
  const heavy = side >= 128;
  const lanczosMs = timeMs(() => {
    last = physicalSpectrum(net, { imposed, which: 'lowest', k: K, method: 'lanczos' });
  }, { warmup: 1, minRuns: heavy ? 5 : 7, minMs: 0 });
  const s = last! as PhysicalSpectrum;
  let denseOursMs: number | null = null;
  let denseMlMatrixMs: number | null = null;
  let valueDifference: number | null = null;
  if (withDense) {
    let dense: PhysicalSpectrum | null = null;
    denseOursMs = timeMs(() => {
      dense = physicalSpectrum(net, { imposed, which: 'lowest', k: K, method: 'dense' });
    }, { warmup: 1, minRuns: 3, minMs: 0 });
    denseMlMatrixMs = timeMs(() => {
      const { a, n } = denseLaplacian(net, grounding === 'corner');
      const e = new EigenvalueDecomposition(toMatrix(a, n), { assumeSymmetric: true });
      void e.realEigenvalues;
    }, { warmup: 0, minRuns: 3, minMs: 0 });
    const d = (dense! as PhysicalSpectrum).values;
    valueDifference = 0;
    for (let j = 0; j < K; j++) valueDifference = Math.max(valueDifference, Math.abs(d[j] - s.values[j]) / d[K - 1]);
  }
  return {
    name,
    nodes: net.nodes,
    grounding,
    k: K,
    lanczosMs,
    iterations: s.iterations,
    residual: s.residual,
    converged: s.converged,
    values: Array.from(s.values),
    denseOursMs,
    denseMlMatrixMs,
    valueDifference,
  };
}

function fullCase(log: (s: string) => void): FullCase {
  const net = randomGraphNetwork({ nodes: 1024, meanDegree: 5, seed: 1 });
  const name = 'random graph N=1024 deg 5, full Laplacian';
  log(`bench: spectrum ${name} ...`);
  const { a, n } = denseLaplacian(net, false);
  let ours = symmetricEigen(a, n);
  const oursMs = timeMs(() => {
    ours = symmetricEigen(a, n);
  }, { warmup: 1, minRuns: 5, minMs: 0 });
  const oursValuesMs = timeMs(() => void symmetricEigen(a, n, { vectors: false }), { warmup: 1, minRuns: 5, minMs: 0 });
  const M = toMatrix(a, n);
  let ml: EigenvalueDecomposition | null = null;
  const mlMatrixMs = timeMs(() => {
    ml = new EigenvalueDecomposition(M, { assumeSymmetric: true });
  }, { warmup: 0, minRuns: 3, minMs: 0 });
  const mlValues = [...(ml! as EigenvalueDecomposition).realEigenvalues].sort((x, y) => x - y);
  let scale = 0;
  for (const v of ours.values) scale = Math.max(scale, Math.abs(v));
  let valueDifference = 0;
  for (let j = 0; j < n; j++) valueDifference = Math.max(valueDifference, Math.abs(ours.values[j] - mlValues[j]) / scale);
  let residual = 0;
  const vecs = ours.vectors!;
  for (let j = 0; j < n; j++) {
    const v = vecs.subarray(j * n, (j + 1) * n);
    let r2 = 0;
    for (let i = 0; i < n; i++) {
      let s = 0;
      const row = i * n;
      for (let c = 0; c < n; c++) s += a[row + c] * v[c];
      r2 += (s - ours.values[j] * v[i]) ** 2;
    }
    residual = Math.max(residual, Math.sqrt(r2) / scale);
  }
  return { name, nodes: n, oursMs, oursValuesMs, mlMatrixMs, valueDifference, residual, sweeps: ours.iterations };
}

export function runSpectrumBench(log: (s: string) => void = () => undefined): SpectrumResults {
  const lowest: LowestCase[] = [];
  for (const grounding of ['none', 'corner'] as const) {
    lowest.push(lowestCase(32, grounding, true, log));
    lowest.push(lowestCase(64, grounding, false, log));
    lowest.push(lowestCase(128, grounding, false, log));
  }
  return { targetMs: TARGET_MS, lowest, full: fullCase(log) };
}

export function printSpectrum(r: SpectrumResults): string {
  const e = (x: number | null): string => (x === null ? '—' : x.toExponential(1));
  const rows = r.lowest.map((c) => [
    c.name,
    String(c.nodes),
    ms(c.lanczosMs),
    String(c.iterations),
    e(c.residual),
    c.converged ? 'yes' : 'NO',
    ms(c.denseOursMs),
    ratio(c.denseOursMs === null ? null : c.denseOursMs / c.lanczosMs),
    ms(c.denseMlMatrixMs),
    ratio(c.denseMlMatrixMs === null ? null : c.denseMlMatrixMs / c.lanczosMs),
    e(c.valueDifference),
  ]);
  let out =
    `(a) lowest ${K} eigenpairs, shift-invert Lanczos (ms, medians; dense = all pairs of the same matrix, assembly included)\n\n` +
    table(['case', 'N', 'lanczos', 'steps', 'residual', 'conv', 'dense ours', 'ours/lanczos', 'dense ml-matrix', 'ml/lanczos', '|dlambda|'], rows) +
    '\n';
  for (const c of r.lowest.filter((x) => x.nodes === 16384)) {
    out += `\ntarget (${c.name}, lowest ${K}): ${ms(c.lanczosMs)} ms (<= ${r.targetMs} ms: ${c.lanczosMs <= r.targetMs ? 'met' : 'NOT met'})`;
  }
  const f = r.full;
  out +=
    `\n\n(b) full spectrum, ${f.name} (ms, medians)\n\n` +
    table(
      ['solver', 'ms', 'ml-matrix / this'],
      [
        ['symmetricEigen, values + vectors', ms(f.oursMs), ratio(f.mlMatrixMs / f.oursMs)],
        ['symmetricEigen, values only', ms(f.oursValuesMs), ratio(f.mlMatrixMs / f.oursValuesMs)],
        ['ml-matrix EigenvalueDecomposition', ms(f.mlMatrixMs), ratio(1)],
      ],
    ) +
    `\n\nsymmetricEigen: ${f.sweeps} QL sweeps, max residual ${e(f.residual)} x max|lambda|, max |lambda - lambda_ml-matrix| ${e(f.valueDifference)} x max|lambda|\n`;
  return out;
}
