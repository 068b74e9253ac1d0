/**
 * The supernodal Cholesky's dense kernels, WebAssembly SIMD against the JavaScript ones (the previous method), in one
 * process and interleaved run by run so that both see the same load (issue 18, point 1). Per lattice with both
 * diagonals (the solver bench's lattice cases: the same network, task and imposed nodes): the numeric factorisation
 * alone, and the whole CL training step (Trainer, sequential order: factorise, free state, the targets' inverse block,
 * clamped state, update), as median wall and CPU ms. Two trainers step the same run, one per kernel; the largest
 * relative difference of their conductances at the end is printed (same path up to rounding: <= 1e-10).
 * `npm run bench -- kernels`, or `node dist/bench/factorKernels.js [SIDE...]`.
 */
import { loadavg } from 'node:os';
import { latticeNetwork } from '../src/physics/generators/lattice.js';
import { linearTask } from '../src/physics/generators/linearTask.js';
import { LaplacianSystem } from '../src/physics/LaplacianSystem.js';
import { SupernodalCholesky } from '../src/physics/sparse/SupernodalCholesky.js';
import { Trainer } from '../src/physics/Trainer.js';
import { ms, ratio, table } from './timing.js';

export interface KernelCase {
  side: number;
  nodes: number;
  /** 1-minute load average at the start and end of the case */
  loadStart: number;
  loadEnd: number;
  /** median ms of the numeric factorisation: wall and CPU, JavaScript and WebAssembly kernels */
  factorJs: { wall: number; cpu: number };
  factorWasm: { wall: number; cpu: number };
  /** median ms of one CL training step */
  stepJs: { wall: number; cpu: number };
  stepWasm: { wall: number; cpu: number };
  steps: number;
  /** largest relative residual of any state in the WebAssembly run's steps */
  maxResidual: number;
  /** max |k_wasm - k_js| / max |k_js| after the steps */
  agreement: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Wall and CPU ms of fn (CPU: user + system of this process, which runs one thread here). */
function timed(fn: () => void): { wall: number; cpu: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000 };
}

function medians(runs: { wall: number; cpu: number }[]): { wall: number; cpu: number } {
  return { wall: median(runs.map((r) => r.wall)), cpu: median(runs.map((r) => r.cpu)) };
}

export function runKernelCase(side: number, steps: number, factorRuns: number): KernelCase {
  const loadStart = loadavg()[0];
  const net = latticeNetwork({ rows: side, cols: side, diagonals: true, seed: 1 });
  const N = net.nodes;
  // The solver bench's roles (bench/solverCase.ts): sources at two corners, ground at the last node.
  const roles = { sources: [0, side - 1], targets: [Math.floor(N / 2), Math.floor(N / 2) + 1], ground: [N - 1] };
  const task = linearTask({ matrix: [[0.15, 0.3], [0.2, 0.1]], ...roles, count: 16, test: 0, seed: 2 });
  const imposed = Int32Array.from([...roles.sources, ...roles.ground]);

  // The factorisation alone: one system per kernel, the same matrix.
  const systems = (['js', 'wasm'] as const).map((kind) => {
    SupernodalCholesky.defaultKernels = kind;
    const sys = new LaplacianSystem(N, net.edgeA, net.edgeB, imposed);
    sys.setConductance(Float64Array.from(net.conductance));
    return sys;
  });
  SupernodalCholesky.defaultKernels = 'auto';
  const k = Float64Array.from(net.conductance);
  const fr: { wall: number; cpu: number }[][] = [[], []];
  for (let r = -2; r < factorRuns; r++) {
    for (let s = 0; s < 2; s++) {
      k[0] *= 1.000001; // a real change, so nothing can be skipped
      const t = timed(() => systems[s].setConductance(k));
      if (r >= 0) fr[s].push(t);
    }
  }

  const trainers = (['js', 'wasm'] as const).map((kind) => {
    SupernodalCholesky.defaultKernels = kind;
    const t = new Trainer(net, task, { steps: 1 << 30, order: 'sequential' });
    return t;
  });
  SupernodalCholesky.defaultKernels = 'auto';
  const sr: { wall: number; cpu: number }[][] = [[], []];
  let maxResidual = 0;
  for (let r = -2; r < steps; r++) {
    for (let s = 0; s < 2; s++) {
      let rec: ReturnType<Trainer['step']> | null = null;
      const t = timed(() => (rec = trainers[s].step()));
      if (r >= 0) sr[s].push(t);
      if (s === 1) for (const st of [rec!.states.free, ...rec!.states.contrast]) maxResidual = Math.max(maxResidual, st.diagnostics.residual);
    }
  }
  const [kj, kw] = trainers.map((t) => t.conductance);
  let d = 0;
  let big = 0;
  for (let e = 0; e < kj.length; e++) {
    d = Math.max(d, Math.abs(kw[e] - kj[e]));
    big = Math.max(big, Math.abs(kj[e]));
  }
  return {
    side,
    nodes: N,
    loadStart,
    loadEnd: loadavg()[0],
    factorJs: medians(fr[0]),
    factorWasm: medians(fr[1]),
    stepJs: medians(sr[0]),
    stepWasm: medians(sr[1]),
    steps: steps + 2,
    maxResidual,
    agreement: d / big,
  };
}

export function runFactorKernelsBench(sides = [128, 256], log: (s: string) => void = () => {}): KernelCase[] {
  return sides.map((side) => {
    log(`bench: factor kernels, lattice ${side} ...`);
    return side >= 256 ? runKernelCase(side, 12, 10) : runKernelCase(side, 60, 40);
  });
}

export function printFactorKernels(cases: KernelCase[]): string {
  const target = (side: number): number => (side === 128 ? 8 : side === 256 ? 50 : NaN);
  const rows = cases.map((c) => [
    `lattice ${c.side}x${c.side} diag (${c.nodes})`,
    `${c.loadStart.toFixed(1)}-${c.loadEnd.toFixed(1)}`,
    `${ms(c.factorJs.wall)} / ${ms(c.factorJs.cpu)}`,
    `${ms(c.factorWasm.wall)} / ${ms(c.factorWasm.cpu)}`,
    ratio(c.factorJs.cpu / c.factorWasm.cpu),
    `${ms(c.stepJs.wall)} / ${ms(c.stepJs.cpu)}`,
    `${ms(c.stepWasm.wall)} / ${ms(c.stepWasm.cpu)}`,
    ratio(c.stepJs.cpu / c.stepWasm.cpu),
    Number.isFinite(target(c.side)) ? `<= ${target(c.side)} ms: ${c.stepWasm.wall <= target(c.side) ? 'met' : 'NOT met'}` : '—',
    c.maxResidual.toExponential(1),
    c.agreement.toExponential(1),
  ]);
  return (
    table(
      ['case', 'load', 'factor JS wall/CPU', 'factor wasm', 'CPU ratio', 'step JS wall/CPU', 'step wasm', 'CPU ratio', 'target (step wall)', 'max residual', 'k wasm vs JS'],
      rows,
    ) + '\n'
  );
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop()!)) {
  const sides = process.argv.slice(2).map(Number);
  process.stdout.write(printFactorKernels(runFactorKernelsBench(sides.length > 0 ? sides : undefined, (s) => process.stderr.write(s + '\n'))));
}
