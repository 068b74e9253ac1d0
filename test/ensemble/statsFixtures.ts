/**
 * Hand-built ensembles for the statistics tests: MemberResult arrays with known properties (drawn from stated
 * distributions with a seeded Rng), on a lattice whose edges every member shares. Stand-ins for E1's datasets until
 * they land (issue 16: the statistics read datasets only through readDataset).
 */
import { Rng } from '../../src/physics/Rng.js';
import { latticeNetwork } from '../../src/physics/generators/lattice.js';
import type { MemberResult } from '../../src/ensemble/stats/types.js';

/** |cos| between a random unit vector and e_1 in d dimensions: a draw from the alignment's null model. */
export function randomCos(rng: Rng, d: number): number {
  let s = 0;
  let g1 = 0;
  for (let j = 0; j < d; j++) {
    const g = rng.normal();
    if (j === 0) g1 = g;
    s += g * g;
  }
  return Math.abs(g1) / Math.sqrt(s);
}

export interface FixtureOptions {
  n: number;
  seed?: number;
  rows?: number;
  cols?: number;
  /** Fraction of members whose alignment is drawn high (uniform on [0.6, 0.9]) rather than from the null. */
  aligned?: number;
  /** log10 of the final test MSE ~ N(mu, sigma) (V^2). */
  logMse?: [number, number];
  testSet?: boolean;
  boundary?: boolean;
}

/** An ensemble on a rows x cols lattice (default 5x5). f_e is 1 on edge 0 for every member, else a uniform draw in [0, 0.5]. */
export function fixtureEnsemble(o: FixtureOptions): { members: MemberResult[]; net: ReturnType<typeof latticeNetwork> } {
  const rng = new Rng(o.seed ?? 1);
  const net = latticeNetwork({ rows: o.rows ?? 5, cols: o.cols ?? 5 });
  const E = net.edgeA.length;
  const [mu, sigma] = o.logMse ?? [-4, 0.7];
  const members: MemberResult[] = [];
  for (let i = 0; i < o.n; i++) {
    const test = 10 ** (mu + sigma * rng.normal());
    const f = Float64Array.from({ length: E }, (_, e) => (e === 0 ? 1 : rng.uniform(0, 0.5)));
    members.push({
      index: i,
      seeds: { network: 1000 + i, task: 2000 + i, order: 3000 + i },
      steps: 500,
      converged: rng.next() < 0.8,
      trainMse: test * 0.8,
      testMse: o.testSet === false ? null : test,
      lambdaLow: rng.uniform(0.01, 0.02),
      lambdaHigh: rng.uniform(6, 7),
      stiffAlignment: rng.next() < (o.aligned ?? 0) ? rng.uniform(0.6, 0.9) : randomCos(rng, E),
      conductance: Float64Array.from({ length: E }, () => rng.uniform(0.5, 1.5)),
      boundaryFrequency: o.boundary === false ? null : f,
      edges: E,
      nodes: net.nodes,
    });
  }
  return { members, net };
}
