import { Matrix, solve as denseSolve } from 'ml-matrix';
import { ConsistencyChecker, type ConsistencyOptions } from '../../src/diagnostics/ConsistencyChecker.js';
import { settingsToConductance } from '../../src/physics/edgeLaws.js';
import { adcLsb } from '../../src/diagnostics/measurementNoise.js';
import { Rng } from '../../src/physics/Rng.js';
import { type BoardModel, loadBoardModel } from '../../twins/BoardModel.js';
import { TwinBoardCore } from '../../twins/TwinBoardCore.js';

export const gen1 = loadBoardModel('penn-gen1');
export const gen2 = loadBoardModel('penn-gen2');

export function networkOf(m: BoardModel): { nodes: number; edgeA: Int32Array; edgeB: Int32Array } {
  return { nodes: m.nodes, edgeA: Int32Array.from(m.edges, (e) => e[0]), edgeB: Int32Array.from(m.edges, (e) => e[1]) };
}

/** Independent dense nodal solve (ml-matrix LU): Kirchhoff at the free nodes for conductances k and imposed voltages. */
export function denseNodal(nodes: number, edges: [number, number][], k: ArrayLike<number>, imposed: ReadonlyMap<number, number>): number[] {
  const free = [...Array(nodes).keys()].filter((i) => !imposed.has(i));
  const pos = new Map(free.map((n, i) => [n, i]));
  const A = Matrix.zeros(free.length, free.length);
  const b = Matrix.zeros(free.length, 1);
  edges.forEach(([p, q], e) => {
    for (const [x, y] of [[p, q], [q, p]]) {
      const i = pos.get(x);
      if (i === undefined) continue;
      A.set(i, i, A.get(i, i) + k[e]);
      const j = pos.get(y);
      if (j !== undefined) A.set(i, j, A.get(i, j) - k[e]);
      else b.set(i, 0, b.get(i, 0) + k[e] * imposed.get(y)!);
    }
  });
  const v = new Array<number>(nodes).fill(0);
  for (const [n, val] of imposed) v[n] = val;
  if (free.length === 0) return v;
  const x = denseSolve(A, b);
  free.forEach((n, i) => (v[n] = x.get(i, 0)));
  return v;
}

/** Independent Kirchhoff residual: net current leaving each node, from the edge list. */
export function netCurrent(nodes: number, edges: [number, number][], k: ArrayLike<number>, v: ArrayLike<number>): number[] {
  const out = new Array<number>(nodes).fill(0);
  edges.forEach(([a, b], e) => {
    const i = k[e] * (v[a] - v[b]);
    out[a] += i;
    out[b] -= i;
  });
  return out;
}

/** A random imposed pattern: 2-5 nodes, one at 0 V (ground), the others in [0, 5] V (rails included now and then). */
export function randomPattern(rng: Rng, nodes = 16, hi = 5): Map<number, number> {
  const order = rng.shuffle([...Array(nodes).keys()]);
  const n = 2 + rng.int(4);
  const out = new Map<number, number>([[order[0], 0]]);
  for (let s = 1; s < n; s++) {
    const r = rng.next();
    const v = r < 0.05 ? hi : r < 0.1 ? 0 : Math.round(rng.uniform(0.05, 0.98) * hi * 1e4) / 1e4;
    out.set(order[s], v);
  }
  return out;
}

/** Apply a pattern to the twin: the first node(s) as sources, some as clamps (both kinds are imposed). */
export function impose(core: TwinBoardCore, pattern: ReadonlyMap<number, number>): void {
  const entries = [...pattern];
  const clamps = entries.filter((_, i) => i % 3 === 2);
  const sources = entries.filter((_, i) => i % 3 !== 2);
  core.setClamps([]);
  core.setSources(sources);
  core.setClamps(clamps);
}

/** A penn-gen1 twin with random taps (seeded); its drift runs on its own simulated time, so it is reproducible. */
export function gen1Twin(seed: number, ideal: boolean): TwinBoardCore {
  const core = new TwinBoardCore(gen1, { seed, ideal });
  const rng = new Rng(seed + 100);
  core.setEdges(gen1.edges.map((_, e) => [e, 20 + rng.int(60)] as [number, number]));
  return core;
}

/** Model conductances from the twin's settings: nominal, or calibrated (per-edge multiplier = the twin's hidden factor). */
export function modelConductance(core: TwinBoardCore, calibrated: boolean): Float64Array {
  const m = core.model;
  if (m.edge.kind !== 'tap') throw new Error('tap board expected');
  const settings = core.edgeSettings();
  const nominal = settingsToConductance(m.edge, settings);
  if (!calibrated) return nominal;
  const truth = core.trueConductances();
  return settingsToConductance(m.edge, settings, { multiplier: Float64Array.from(truth, (k, e) => k / nominal[e]) });
}

/** A checker for a board model: ADC from the model; noise, DAC and model uncertainty as the case needs. */
export function checkerFor(m: BoardModel, kind: 'ideal' | 'calibrated' | 'uncalibrated', extra: Partial<ConsistencyOptions> = {}): ConsistencyChecker {
  const noisy = kind !== 'ideal';
  return new ConsistencyChecker(networkOf(m), {
    adcLsb: adcLsb(m.adc),
    noiseRms: noisy ? m.adc.noise : 0,
    samples: 16,
    adcRange: m.adc,
    modelUncertainty: kind === 'uncalibrated' ? m.edge.tolerance : 0,
    dacUncertainty: noisy ? { gain: m.dac.gainSpread, offset: m.dac.offsetSpread } : undefined,
    ...extra,
  });
}

/** Random orthonormal set (Gram-Schmidt of Gaussian vectors). */
export function randomOrthonormal(rng: Rng, n: number, m: number): Float64Array[] {
  const out: Float64Array[] = [];
  while (out.length < m) {
    const v = Float64Array.from({ length: n }, () => rng.normal());
    for (let pass = 0; pass < 2; pass++) {
      for (const u of out) {
        let d = 0;
        for (let k = 0; k < n; k++) d += u[k] * v[k];
        for (let k = 0; k < n; k++) v[k] -= d * u[k];
      }
    }
    const norm = Math.hypot(...v);
    out.push(v.map((x) => x / norm));
  }
  return out;
}
