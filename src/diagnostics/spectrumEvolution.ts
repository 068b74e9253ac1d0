/**
 * How the physical Hessian's spectrum (and, with a task, the cost Hessian's) changes during training: eigenvalue
 * trajectories over conductance snapshots (e.g. the settings recorded at each step of a run, turned into
 * conductances). As a network learns, its conductances spread out — some edges grow, others shrink — so the softest
 * physical modes get softer and the stiffest stiffer: the lowest eigenvalues fall and the highest rise.
 */
import { InvalidInputError } from '../errors.js';
import type { Network } from '../physics/Network.js';
import type { Task } from '../physics/Task.js';
import { costHessian } from './costHessian.js';
import { learningStability } from './learningStability.js';
import { physicalSpectrum } from './physicalSpectrum.js';

/** One point of the trajectory: a step and the conductances (S) then. */
export interface ConductanceSnapshot {
  step: number;
  conductance: Float64Array;
}

export interface EvolutionOptions {
  /** Eigenvalues tracked at each end of the physical spectrum (default 5). */
  k?: number;
  /** At most this many snapshots are analysed, evenly spaced, always including the first and the last (default 40). */
  maxSnapshots?: number;
  /** With a task: also the largest cost-Hessian eigenvalue (Gauss-Newton part) per snapshot (default true). */
  cost?: boolean;
}

/** Eigenvalue trajectories. */
export interface SpectrumEvolution {
  steps: number[];
  /** Rows of the physical Hessian analysed: the free nodes of the task (or all nodes). */
  restricted: boolean;
  /** Per snapshot: the k lowest eigenvalues, ascending (S). A full Laplacian's zero mode is left out. */
  lowest: Float64Array[];
  /** Per snapshot: the k highest eigenvalues, ascending (S). */
  highest: Float64Array[];
  /** Per snapshot: the largest eigenvalue of the Gauss-Newton cost Hessian (V^2/S^2), when a task is given. */
  costLargest: number[] | null;
  /** Relative change first -> last of the lowest and highest eigenvalue (e.g. -0.4 = fell by 40 %). */
  change: { lowest: number; highest: number; costLargest: number | null };
}

/** Pick at most `max` indices out of n, evenly spaced, first and last included. */
export function sampleIndices(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const out = new Set<number>();
  for (let i = 0; i < max; i++) out.add(Math.round((i * (n - 1)) / (max - 1)));
  return [...out].sort((a, b) => a - b);
}

export function spectrumEvolution(net: Pick<Network, 'nodes' | 'edgeA' | 'edgeB' | 'name'>, snapshots: ConductanceSnapshot[], task?: Task, opts: EvolutionOptions = {}): SpectrumEvolution {
  if (snapshots.length === 0) throw new InvalidInputError({ field: 'snapshots' }, 'holds no snapshot', 'give at least one {step, conductance}');
  const E = net.edgeA.length;
  snapshots.forEach((s, i) => {
    if (s.conductance.length !== E) throw new InvalidInputError({ field: `snapshots[${i}].conductance` }, `has ${s.conductance.length} entries, the network ${E} edges`);
  });
  const k = opts.k ?? 5;
  const pick = sampleIndices(snapshots.length, opts.maxSnapshots ?? 40);
  const imposed = task ? Int32Array.from([...task.sources, ...task.ground]) : undefined;
  const steps: number[] = [];
  const lowest: Float64Array[] = [];
  const highest: Float64Array[] = [];
  const costLargest: number[] | null = task && opts.cost !== false ? [] : null;
  for (const i of pick) {
    const snap = snapshots[i];
    const n: Network = { name: net.name, nodes: net.nodes, edgeA: net.edgeA, edgeB: net.edgeB, conductance: snap.conductance };
    const rows = net.nodes - (imposed?.length ?? 0);
    // the full Laplacian's zero mode is not part of the trajectory: ask for one more and drop it
    const extra = imposed ? 0 : 1;
    const lo = physicalSpectrum(n, { imposed, which: 'lowest', k: Math.min(rows, k + extra) });
    const hi = physicalSpectrum(n, { imposed, which: 'highest', k: Math.min(rows, k) });
    steps.push(snap.step);
    lowest.push(lo.values.slice(extra));
    highest.push(hi.values);
    if (costLargest && task) {
      const h = costHessian(n, task, { secondOrder: false });
      // the Gauss-Newton matrix (1/M) J^T J, matrix-free
      const r = learningStability(1, { jacobian: h.jacobian, rows: h.jacobian.length / E, edges: E, scale: 1 / h.examples });
      costLargest.push(r.lambdaMax);
    }
  }
  const rel = (a: number, b: number): number => (b - a) / a;
  const last = lowest.length - 1;
  return {
    steps,
    restricted: imposed !== undefined,
    lowest,
    highest,
    costLargest,
    change: {
      lowest: rel(lowest[0][0], lowest[last][0]),
      highest: rel(highest[0][highest[0].length - 1], highest[last][highest[last].length - 1]),
      costLargest: costLargest ? rel(costLargest[0], costLargest[costLargest.length - 1]) : null,
    },
  };
}
