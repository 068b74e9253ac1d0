/**
 * Thermal-analysis benchmark (`npm run bench -- thermal`; issue 17 point 7: "a training step and the thermal analysis
 * for a 2D jammed network of 4,096 nodes, against a dense baseline in the same run where feasible"). This file covers
 * the thermal analysis; the spring training step is bench/springStep.ts.
 *
 * Networks: `jammedSprings` (the generator of `clln network springs jammed N --seed 1`) at N = 256, 512, 1024 and 4096
 * disks (the cut and the pruning keep 85-98 % of them as nodes; the table gives the count). Task: the spring nearest
 * the centre as source, the spring nearest the point 8 small-disk diameters to its right as target (the same
 * geometry at every size, so T* is comparable), source strain 0.01.
 *
 * - sparse: `thermalAnalysis(..., { route: 'sparse' })`, whole call: StrainSolver construction (ordering, zero-mode
 *   analysis, symbolic and numeric Cholesky) and the two Green's-function solves; also the Gram alone with the solver
 *   reused (what a training loop that already has the solver pays).
 * - dense: `thermalAnalysis(..., { route: 'dense', eigen: symmetricEigen })`, the normal-mode baseline (dense H,
 *   all eigenpairs, O((dN)^3)). Run from the smallest size up while the previous size's time x 8 (doubling dN) stays
 *   under DENSE_BUDGET_MS; at 4,096 disks (8,000 dof) it would take over an hour, so the ratio is given on the largest
 *   common size, with the two routes' T* compared there.
 * Times are medians of RUNS runs (ms) except the dense ones above 2 s (one run).
 */
import { symmetricEigen } from '../src/diagnostics/symmetricEigen.js';
import { jammedSprings } from '../src/physics/springs/generators/jammed.js';
import { degreesOfFreedom, type SpringNetwork, springCount } from '../src/physics/springs/SpringNetwork.js';
import { StrainSolver } from '../src/physics/springs/StrainSolver.js';
import type { StrainTask } from '../src/physics/springs/StrainTask.js';
import { thermalAnalysis } from '../src/physics/springs/thermal/harmonicThermal.js';
import { sparseStrainPairGram } from '../src/physics/springs/thermal/sparseGram.js';
import { ms, ratio, table } from './timing.js';

const SIZES = [256, 512, 1024, 4096];
const SEED = 1;
const SOURCE_STRAIN = 0.01;
/** Largest predicted time (ms) of a dense run the bench starts: ~60 s. */
const DENSE_BUDGET_MS = 60_000;
const RUNS = 3;

export interface ThermalCase {
  disks: number;
  nodes: number;
  springs: number;
  dof: number;
  /** Generation (FIRE jamming and pruning), ms, once. */
  generateMs: number;
  /** Distance between the source and target pairs' midpoints, in small-disk diameters. */
  pairDistance: number;
  /** Sparse thermalAnalysis, whole call (ms, median). */
  sparseMs: number;
  /** Of which: the StrainSolver construction (ms, median). */
  solverMs: number;
  /** The Gram with the solver reused (ms, median). */
  gramMs: number;
  /** Sparse solves' largest relative force residual. */
  residual: number;
  /** Dense thermalAnalysis (ms; null when skipped). */
  denseMs: number | null;
  /** |T*_sparse / T*_dense - 1| (null without dense). */
  crossoverAgreement: number | null;
  /** T* at s = SOURCE_STRAIN (sparse). */
  crossover: number;
  zeroModes: number;
  floppyModes: number;
}

export interface ThermalBench {
  seed: number;
  sourceStrain: number;
  cases: ThermalCase[];
  loadBefore: number[];
  loadAfter: number[];
  /** The largest size with both routes, and the ratio dense / sparse there. */
  common: { disks: number; ratio: number } | null;
}

function median(fn: () => void, runs: number): number {
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)];
}

/** Distance (small-disk diameters) from the source spring to the target spring, the same at every size. */
const PAIR_DISTANCE = 8;

/**
 * The task: the spring whose midpoint is nearest the network's centre as source, the spring nearest the point
 * PAIR_DISTANCE to its right as target, so that T* means the same at every size (the response decays with distance).
 */
export function taskOf(net: SpringNetwork): { task: StrainTask; distance: number } {
  const E = springCount(net);
  const mid = (e: number): number[] => [0, 1].map((c) => (net.positions[2 * net.edgeA[e] + c] + net.positions[2 * net.edgeB[e] + c]) / 2);
  let cx = 0;
  let cy = 0;
  for (let i = 0; i < net.nodes; i++) {
    cx += net.positions[2 * i] / net.nodes;
    cy += net.positions[2 * i + 1] / net.nodes;
  }
  const nearest = (x: number, y: number, avoid: number): number => {
    let best = -1;
    let d = Infinity;
    for (let e = 0; e < E; e++) {
      if (avoid >= 0 && [net.edgeA[e], net.edgeB[e]].some((v) => v === net.edgeA[avoid] || v === net.edgeB[avoid])) continue;
      const m = mid(e);
      const dd = Math.hypot(m[0] - x, m[1] - y);
      if (dd < d) {
        d = dd;
        best = e;
      }
    }
    return best;
  };
  const s = nearest(cx, cy, -1);
  const t = nearest(mid(s)[0] + PAIR_DISTANCE, mid(s)[1], s);
  const a = mid(s);
  const b = mid(t);
  return {
    task: { source: [net.edgeA[s], net.edgeB[s]], target: [net.edgeA[t], net.edgeB[t]], sourceStrain: SOURCE_STRAIN, delta: 0, cooperative: false, lambda: 0 },
    distance: Math.hypot(a[0] - b[0], a[1] - b[1]),
  };
}

export async function runThermalBench(log: (s: string) => void): Promise<ThermalBench> {
  const { loadavg } = await import('node:os');
  const loadBefore = loadavg();
  const cases: ThermalCase[] = [];
  let lastDense: { ms: number; dof: number } | null = null;
  for (const disks of SIZES) {
    log(`bench: thermal, jammed ${disks} disks: generating ...`);
    let t0 = performance.now();
    const net = jammedSprings({ disks, seed: SEED }).network;
    const generateMs = performance.now() - t0;
    const dof = degreesOfFreedom(net);
    const { task, distance } = taskOf(net);
    log(`bench: thermal, jammed ${disks} disks (${net.nodes} nodes, ${dof} dof): sparse ...`);
    // JIT warm-up on the first size, so its times are not the compiler's
    if (cases.length === 0) for (let i = 0; i < 3; i++) thermalAnalysis(net, task, { route: 'sparse', temperatures: [1] });
    let sparse = thermalAnalysis(net, task, { route: 'sparse', temperatures: [1] });
    const sparseMs = median(() => (sparse = thermalAnalysis(net, task, { route: 'sparse', temperatures: [1] })), RUNS);
    let solver = new StrainSolver(net);
    const solverMs = median(() => (solver = new StrainSolver(net)), RUNS);
    const gramMs = median(() => sparseStrainPairGram(net, [task.source, task.target], { solver }), RUNS);
    let denseMs: number | null = null;
    let crossoverAgreement: number | null = null;
    const predicted = lastDense ? lastDense.ms * (dof / lastDense.dof) ** 3 : 0;
    if (predicted <= DENSE_BUDGET_MS) {
      log(`bench: thermal, jammed ${disks} disks: dense normal modes${lastDense ? ` (predicted ${(predicted / 1000).toFixed(0)} s)` : ''} ...`);
      t0 = performance.now();
      let dense = thermalAnalysis(net, task, { route: 'dense', eigen: symmetricEigen, temperatures: [1] });
      denseMs = performance.now() - t0;
      if (denseMs < 2000) denseMs = median(() => (dense = thermalAnalysis(net, task, { route: 'dense', eigen: symmetricEigen, temperatures: [1] })), RUNS);
      crossoverAgreement = Math.abs(sparse.directions[0].crossover / dense.directions[0].crossover - 1);
      lastDense = { ms: denseMs, dof };
    } else {
      log(`bench: thermal, jammed ${disks} disks: dense skipped (predicted ${(predicted / 60000).toFixed(0)} min > ${DENSE_BUDGET_MS / 1000} s)`);
    }
    cases.push({
      disks,
      nodes: net.nodes,
      springs: springCount(net),
      dof,
      generateMs,
      pairDistance: distance,
      sparseMs,
      solverMs,
      gramMs,
      residual: sparse.modes.residual ?? NaN,
      denseMs,
      crossoverAgreement,
      crossover: sparse.directions[0].crossover,
      zeroModes: sparse.modes.zeroModes,
      floppyModes: sparse.modes.floppyModes,
    });
  }
  const both = cases.filter((c) => c.denseMs !== null);
  const last = both[both.length - 1];
  return { seed: SEED, sourceStrain: SOURCE_STRAIN, cases, loadBefore, loadAfter: loadavg(), common: last ? { disks: last.disks, ratio: last.denseMs! / last.sparseMs } : null };
}

export function printThermal(r: ThermalBench): string {
  const rows = r.cases.map((c) => [
    `jammed ${c.disks}`,
    String(c.nodes),
    String(c.springs),
    String(c.dof),
    `${c.zeroModes}/${c.floppyModes}`,
    c.pairDistance.toFixed(1),
    ms(c.sparseMs),
    ms(c.solverMs),
    ms(c.gramMs),
    c.residual.toExponential(1),
    ms(c.denseMs),
    ratio(c.denseMs === null ? null : c.denseMs / c.sparseMs),
    c.crossoverAgreement === null ? '—' : c.crossoverAgreement.toExponential(1),
    c.crossover.toExponential(3),
  ]);
  const big = r.cases.find((c) => c.disks === 4096);
  const lines = [
    table(['case', 'N', 'E', 'dof', 'zero/floppy', 'pair dist', 'sparse ms', 'solver ms', 'gram ms', 'residual', 'dense ms', 'dense/sparse', '|dT*|/T*', `T* (s=${r.sourceStrain})`], rows),
    '',
    big
      ? `target (issue 17 point 7): thermal analysis of a 2D jammed network of 4,096 disks (${big.nodes} nodes after pruning, ${big.dof} dof): ` +
        `${ms(big.sparseMs)} ms per analysis by the sparse route (${ms(big.solverMs)} ms of it building the solver; ${ms(big.gramMs)} ms with a solver reused). ` +
        (big.denseMs === null
          ? `The dense normal-mode baseline is not run at this size (O((dN)^3): hours); ${r.common ? `dense / sparse = ${ratio(r.common.ratio)} at ${r.common.disks} disks, the largest size where both ran, and the gap grows as ~(dN)^2.` : 'no size ran both routes.'}`
          : `dense / sparse = ${ratio(big.denseMs / big.sparseMs)}.`)
      : '',
    `load average (1, 5, 15 min) before ${r.loadBefore.map((x) => x.toFixed(2)).join(', ')}, after ${r.loadAfter.map((x) => x.toFixed(2)).join(', ')}`,
  ];
  return lines.join('\n') + '\n';
}
