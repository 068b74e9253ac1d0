/**
 * clln's coupled-learning training step beside SciPy's, in the same run (issue 18, point 5): the lattice case of
 * bench/solverCase.ts (same network, task, sequential order, CL at eta 0.1, alpha 0.5), `steps` steps from the same
 * initial conductances in clln (fresh factor per step, and with factor reuse) and in bench/scipyStep.py (two
 * spsolve calls per step, and one SuperLU factorisation per step plus the targets' Green's functions). Prints the
 * median CPU time per step on both sides (the machine may be shared; both sides are single-threaded, so on a quiet
 * machine this is the wall time), the ratios SciPy / clln and the largest relative difference of the final conductances.
 * Where python3 cannot import SciPy it says so and returns null.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { latticeNetwork } from '../src/physics/generators/lattice.js';
import { linearTask } from '../src/physics/generators/linearTask.js';
import { Trainer } from '../src/physics/Trainer.js';
import { ms, ratio, table } from './timing.js';

const here = dirname(fileURLToPath(import.meta.url));
/** bench/scipyStep.py in the source tree (bench/ is compiled to dist/bench/). */
const SCRIPT = resolve(here, '../../bench/scipyStep.py');

export interface ScipyRow {
  name: string;
  nodes: number;
  edges: number;
  steps: number;
  /** clln, a fresh factorisation per step (the default), median ms per step */
  cllnMs: number;
  /** clln with factor reuse ('auto'), median ms per step */
  cllnReuseMs: number;
  /** SciPy, two spsolve per step */
  scipyTwoSolveMs: number;
  /** SciPy, one splu per step + Green's functions */
  scipyFactorMs: number;
  /** max |k_clln - k_scipy| / max |k_scipy| over both SciPy forms (final conductances) */
  maxRelDiff: number;
  /** 1-minute load average when the case ran */
  load: number;
}

export interface ScipyResult {
  scipy: string | null;
  rows: ScipyRow[];
}

/** The interpreter: python3, or CLLN_BENCH_PYTHON (e.g. a virtualenv's, or a missing one to see the fallback). */
const PYTHON = process.env.CLLN_BENCH_PYTHON ?? 'python3';
/** One BLAS thread: the step is single-threaded on both sides, and CPU time must not count idle spinning. */
const PY_ENV = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };

/** SciPy's version, or null when the interpreter or SciPy is missing. */
export function scipyVersion(): string | null {
  const r = spawnSync(PYTHON, ['-c', 'import scipy, numpy; print(scipy.__version__)'], { encoding: 'utf8', env: PY_ENV });
  return r.status === 0 ? r.stdout.trim() : null;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function cllnSteps(side: number, steps: number, reuse: 'never' | 'auto'): { ms: number; k: Float64Array } {
  const { net, task } = lattice(side);
  const t = new Trainer(net, task, { steps: 1 << 30, order: 'sequential', factorReuse: reuse });
  const times: number[] = [];
  for (let s = 0; s < steps; s++) {
    const t0 = process.cpuUsage();
    t.step();
    const d = process.cpuUsage(t0);
    times.push((d.user + d.system) / 1000);
  }
  // the first step includes the first factorisation of a cold system (and JIT warm-up): not a typical step
  return { ms: median(times.slice(1)), k: t.conductance };
}

/** The network and task of bench/solverCase.ts's lattice case. */
function lattice(side: number) {
  const net = latticeNetwork({ rows: side, cols: side, diagonals: true, seed: 1 });
  const N = net.nodes;
  const mid = Math.floor(N / 2);
  const roles = { sources: [0, side - 1], targets: [mid, mid + 1], ground: [N - 1] };
  const task = linearTask({ matrix: [[0.15, 0.3], [0.2, 0.1]], ...roles, count: 16, test: 0, seed: 2 });
  return { net, task, roles };
}

function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / m;
}

/** Run the comparison on lattices of the given sides (steps per side), or return null without SciPy. */
export function runScipyCompare(cases: { side: number; steps: number }[]): ScipyResult {
  const version = scipyVersion();
  if (!version) return { scipy: null, rows: [] };
  const dir = mkdtempSync(join(tmpdir(), 'clln-scipy-'));
  const rows: ScipyRow[] = [];
  try {
    for (const { side, steps } of cases) {
      const { net, task, roles } = lattice(side);
      const file = join(dir, `lattice${side}.json`);
      writeFileSync(
        file,
        JSON.stringify({
          nodes: net.nodes,
          edgeA: Array.from(net.edgeA),
          edgeB: Array.from(net.edgeB),
          conductance: Array.from(net.conductance),
          ...roles,
          examples: task.train.map((e) => ({ in: Array.from(e.in), out: Array.from(e.out) })),
          steps,
          eta: 0.1,
          alpha: 0.5,
          bounds: net.bounds ?? [1e-6, 1e6],
        }),
      );
      const load = loadavg()[0];
      const py = JSON.parse(execFileSync(PYTHON, [SCRIPT, file], { encoding: 'utf8', maxBuffer: 1 << 28, env: PY_ENV })) as {
        twoSpsolve: { medianMs: number; k: number[] };
        factorReuse: { medianMs: number; k: number[] };
      };
      const fresh = cllnSteps(side, steps, 'never');
      const reuse = cllnSteps(side, steps, 'auto');
      rows.push({
        name: `lattice ${side}x${side} diag`,
        nodes: net.nodes,
        edges: net.edgeA.length,
        steps,
        cllnMs: fresh.ms,
        cllnReuseMs: reuse.ms,
        scipyTwoSolveMs: py.twoSpsolve.medianMs,
        scipyFactorMs: py.factorReuse.medianMs,
        maxRelDiff: Math.max(maxRel(fresh.k, py.twoSpsolve.k), maxRel(fresh.k, py.factorReuse.k), maxRel(reuse.k, py.factorReuse.k)),
        load,
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { scipy: version, rows };
}

/** Step-time targets of issue 18 (ms per CL step) by lattice side. */
export const STEP_TARGET_MS: Record<number, number> = { 128: 8, 256: 50 };

export function printScipyCompare(r: ScipyResult): string {
  if (!r.scipy) return `\nSciPy is not available (${PYTHON} cannot import scipy and numpy): no side-by-side step timing.\n`;
  const rows = r.rows.map((x) => [
    x.name,
    String(x.steps),
    ms(x.cllnMs),
    ms(x.cllnReuseMs),
    ms(x.scipyTwoSolveMs),
    ms(x.scipyFactorMs),
    ratio(x.scipyTwoSolveMs / Math.min(x.cllnMs, x.cllnReuseMs)),
    ratio(x.scipyFactorMs / Math.min(x.cllnMs, x.cllnReuseMs)),
    x.maxRelDiff.toExponential(1),
    x.load.toFixed(1),
  ]);
  const lines = r.rows.map((x) => {
    const best = Math.min(x.cllnMs, x.cllnReuseMs);
    const target = STEP_TARGET_MS[x.nodes === 16384 ? 128 : x.nodes === 65536 ? 256 : 0];
    const t = target === undefined ? '' : `training step ${ms(best)} ms (<= ${target} ms: ${best <= target ? 'met' : 'NOT met'}), `;
    const f = x.scipyFactorMs / best;
    return `target (${x.name}): ${t}SciPy factor-reuse / clln ${ratio(f)} (>= 10x: ${f >= 10 ? 'met' : 'NOT met'}), final conductances agree to ${x.maxRelDiff.toExponential(1)} (<= 1e-10: ${x.maxRelDiff <= 1e-10 ? 'met' : 'NOT met'})`;
  });
  return (
    `\nCL training step beside SciPy ${r.scipy} (same network, task and steps from the same conductances; median CPU ms per step after the first; load = 1-min load average)\n\n` +
    table(['case', 'steps', 'clln', 'clln reuse', 'scipy 2x spsolve', 'scipy splu+G', 'spsolve/clln', 'splu+G/clln', 'max rel dk', 'load'], rows) +
    '\n\n' +
    lines.join('\n') +
    '\n'
  );
}
