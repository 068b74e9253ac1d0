/**
 * Connected random graphs. Pure and deterministic given the options.
 */
import { InvalidInputError, show } from '../../errors.js';
import type { Network } from '../Network.js';
import { drawConductances, resolveBounds, type ConductanceSpec } from './conductanceSpec.js';
import { expectInteger, generatorRng } from './options.js';

/** Options of {@link randomGraphNetwork}. */
export interface RandomGraphOptions {
  /** Number of nodes N, integer >= 2 (at most 2^26). */
  nodes: number;
  /**
   * Mean degree 2E/N. The edge count is E = round(N * meanDegree / 2), which must lie between N-1 (a tree,
   * the least that keeps the graph connected) and N(N-1)/2 (the complete graph).
   */
  meanDegree: number;
  /** Seed of every random choice (graph, positions, conductances). */
  seed: number;
  /** Constant conductance (S) or range [lo, hi] (S) drawn uniformly. Default: uniform in [0.5, 1.5] S (conductanceSpec.ts). */
  conductance?: ConductanceSpec;
  /** Learning bounds [k_min, k_max] in siemens. Default [1e-5, 1e-1]. */
  bounds?: readonly [number, number];
  /** Network name. Default `random-N-dD-sS` (nodes, mean degree, seed). */
  name?: string;
}

/**
 * A connected random graph with about `meanDegree` edges per node: a uniformly random recursive spanning tree
 * (node i of a random order joins a uniformly chosen earlier node) plus extra edges chosen uniformly among the
 * remaining node pairs. No self-loops, no duplicate edges. Each edge is stored as [a, b] with a < b, edges
 * sorted by (a, b). Positions are uniform random in the unit square (they carry no meaning for the graph).
 */
export function randomGraphNetwork(options: RandomGraphOptions): Network {
  const source = 'randomGraphNetwork';
  const n = expectInteger(options.nodes, 2, source, 'nodes', 'the number of nodes');
  if (n > 2 ** 26) {
    throw new InvalidInputError({ source, field: 'nodes' }, `at most ${2 ** 26} nodes are supported, got ${n}`, 'use fewer nodes');
  }
  const d = options.meanDegree;
  const maxEdges = (n * (n - 1)) / 2;
  const minDegree = (2 * (n - 1)) / n;
  if (typeof d !== 'number' || !Number.isFinite(d)) {
    throw new InvalidInputError({ source, field: 'meanDegree' }, `must be a finite number, got ${show(d)}`, `use a mean degree between ${fmt(minDegree)} and ${n - 1}`);
  }
  const edges = Math.round((n * d) / 2);
  if (edges < n - 1 || edges > maxEdges) {
    throw new InvalidInputError(
      { source, field: 'meanDegree' },
      `mean degree ${show(d)} gives ${edges} edges, but a connected simple graph on ${n} nodes has between ${n - 1} and ${maxEdges} ` +
        `edges (mean degree ${fmt(minDegree)} to ${n - 1})`,
      `use a mean degree between ${fmt(minDegree)} and ${n - 1}`,
    );
  }
  if (typeof options.seed !== 'number') {
    throw new InvalidInputError({ source, field: 'seed' }, `is required and must be a number, got ${show(options.seed)}`, 'pass a seed such as 1');
  }
  const bounds = resolveBounds(options.bounds, source);
  const rng = generatorRng(options.seed, source);

  const positions = new Float64Array(2 * n);
  for (let i = 0; i < 2 * n; i++) positions[i] = rng.next();

  const key = (u: number, v: number): number => (u < v ? u * n + v : v * n + u);
  const chosen = new Set<number>();
  // Spanning tree: random recursive tree over a random node order.
  const order = rng.shuffle(Int32Array.from({ length: n }, (_, i) => i));
  for (let i = 1; i < n; i++) chosen.add(key(order[i], order[rng.int(i)]));

  const extra = edges - (n - 1);
  const free = maxEdges - (n - 1);
  if (extra > free / 2) {
    // Dense: list every unused pair and take a random subset.
    const pool: number[] = [];
    for (let u = 0; u < n; u++) for (let v = u + 1; v < n; v++) if (!chosen.has(u * n + v)) pool.push(u * n + v);
    for (let i = 0; i < extra; i++) {
      const j = i + rng.int(pool.length - i);
      const t = pool[i];
      pool[i] = pool[j];
      pool[j] = t;
      chosen.add(pool[i]);
    }
  } else {
    // Sparse: draw pairs and reject self-loops and repeats (at most half the pairs are taken, so this is fast).
    while (chosen.size < edges) {
      const u = rng.int(n);
      const v = rng.int(n);
      if (u !== v) chosen.add(key(u, v));
    }
  }

  const keys = Float64Array.from(chosen).sort();
  const edgeA = new Int32Array(keys.length);
  const edgeB = new Int32Array(keys.length);
  for (let e = 0; e < keys.length; e++) {
    edgeA[e] = Math.floor(keys[e] / n);
    edgeB[e] = keys[e] % n;
  }
  const conductance = drawConductances(keys.length, options.conductance, rng, true, bounds, source);
  return {
    name: options.name ?? `random-${n}-d${fmt(d)}-s${options.seed}`,
    nodes: n,
    edgeA,
    edgeB,
    conductance,
    bounds,
    positions,
  };
}

function fmt(x: number): string {
  return String(Number(x.toFixed(3)));
}
