/**
 * runMember: deterministic from (spec, index), and equal to an independent computation — the same network trained by
 * the Trainer directly, the free block's eigenvalues and the stiff alignment from dense eigen-solves by ml-matrix.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { costHessian } from '../../src/diagnostics/costHessian.js';
import { parseEnsembleSpec, type EnsembleSpec } from '../../src/ensemble/EnsembleSpec.js';
import { runMember, type MemberResult } from '../../src/ensemble/runMember.js';
import { latticeNetwork } from '../../src/physics/generators/lattice.js';
import { linearTask } from '../../src/physics/generators/linearTask.js';
import type { Network } from '../../src/physics/Network.js';
import { Trainer } from '../../src/physics/Trainer.js';

const task = { kind: 'linear', matrix: [[0.15, 0.3], [0.2, 0.1]], sources: [0, 3], targets: [9, 10], ground: [15], count: 20, test: 10 };
const spec: EnsembleSpec = parseEnsembleSpec(
  { format: 'clln.ensemble/1', members: 4, seed: 5, network: { kind: 'lattice', rows: 4, cols: 4, conductance: [0.5, 1.5] }, task, stop: { maxSteps: 300 }, diagnostics: { modes: 6 } },
  'member.json',
);

/** Every field, typed arrays by their bytes: equal means bit for bit. */
function bits(r: MemberResult): unknown {
  const bytes = (a: Float64Array | null): string | null => (a ? Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex') : null);
  const num = (x: number | null): string | null => (x === null ? null : bytes(Float64Array.of(x)));
  return { ...r, trainMse: num(r.trainMse), testMse: num(r.testMse), lambdaLow: num(r.lambdaLow), lambdaHigh: num(r.lambdaHigh), stiffAlignment: num(r.stiffAlignment), conductance: bytes(r.conductance), boundaryFrequency: bytes(r.boundaryFrequency) };
}

/** The dense free block H_FF of the Laplacian over the nodes not in `imposed`, and those nodes. */
function denseFreeBlock(net: Network, k: Float64Array, imposed: number[]): { h: Matrix; free: number[] } {
  const free = Array.from({ length: net.nodes }, (_, i) => i).filter((i) => !imposed.includes(i));
  const at = new Map(free.map((n, i) => [n, i]));
  const h = Matrix.zeros(free.length, free.length);
  for (let e = 0; e < net.edgeA.length; e++) {
    const a = at.get(net.edgeA[e]);
    const b = at.get(net.edgeB[e]);
    if (a !== undefined) h.set(a, a, h.get(a, a) + k[e]);
    if (b !== undefined) h.set(b, b, h.get(b, b) + k[e]);
    if (a !== undefined && b !== undefined) {
      h.set(a, b, h.get(a, b) - k[e]);
      h.set(b, a, h.get(b, a) - k[e]);
    }
  }
  return { h, free };
}

describe('runMember', () => {
  it('is deterministic: the same index twice gives the same result bit for bit; other indices differ', () => {
    const a = runMember(spec, 2);
    const b = runMember(spec, 2);
    expect(bits(b)).toEqual(bits(a));
    const c = runMember(spec, 3);
    expect(c.seeds).not.toEqual(a.seeds);
    expect(Array.from(c.conductance)).not.toEqual(Array.from(a.conductance));
  });

  it('trains the network the Trainer trains from the same seeds, and measures H_FF as a dense eigen-solve does', () => {
    const r = runMember(spec, 1);
    const net = latticeNetwork({ rows: 4, cols: 4, seed: r.seeds.network, conductance: [0.5, 1.5] });
    const t = linearTask({ matrix: task.matrix, sources: task.sources, targets: task.targets, ground: task.ground, count: 20, test: 10, seed: r.seeds.task });
    const direct = new Trainer(net, t, { rule: 'cl', steps: 300, seed: r.seeds.order }).run();
    expect(r.steps).toBe(300);
    expect(Array.from(r.conductance)).toEqual(Array.from(direct.conductance));
    expect(r.trainMse).toBe(direct.trainMse);
    expect(r.testMse).toBe(direct.testMse);
    expect(r.trainMse).toBeLessThan(direct.initialTrainMse); // it learned something
    expect([r.edges, r.nodes]).toEqual([24, 16]);

    const { h, free } = denseFreeBlock(net, direct.conductance, [0, 3, 15]);
    const evd = new EigenvalueDecomposition(h, { assumeSymmetric: true });
    const order = evd.realEigenvalues.map((v, i) => [v, i]).sort((x, y) => x[0] - y[0]);
    expect(r.lambdaLow).toBeCloseTo(order[0][0], 10);
    expect(r.lambdaHigh).toBeCloseTo(order[order.length - 1][0], 10);

    // stiff alignment: the top eigenvector of the cost Hessian (its dense reference implementation, ml-matrix's
    // eigen-solve) against the squared drops of the 6 softest modes of H_FF
    const trained = { ...net, conductance: direct.conductance };
    const ch = costHessian(trained, t, { method: 'dense' });
    const E = net.edgeA.length;
    const cm = new Matrix(Array.from({ length: E }, (_, i) => Array.from(ch.full!.subarray(i * E, (i + 1) * E))));
    const cevd = new EigenvalueDecomposition(cm, { assumeSymmetric: true });
    const top = cevd.realEigenvalues.indexOf(Math.max(...cevd.realEigenvalues));
    const v = cevd.eigenvectorMatrix.getColumn(top);
    let best = 0;
    for (let m = 0; m < 6; m++) {
      const col = evd.eigenvectorMatrix.getColumn(order[m][1]);
      const psi = new Float64Array(net.nodes);
      free.forEach((n, i) => (psi[n] = col[i]));
      const s = Array.from(net.edgeA, (a, e) => (psi[net.edgeB[e]] - psi[a]) ** 2);
      const dot = s.reduce((acc, x, e) => acc + x * v[e], 0);
      best = Math.max(best, Math.abs(dot) / (Math.hypot(...s) * Math.hypot(...v)));
    }
    expect(r.stiffAlignment).toBeCloseTo(best, 8);
    expect(r.boundaryFrequency).toHaveLength(E);
    expect(r.boundaryFrequency!.every((f) => f >= 0)).toBe(true);
    expect(r.boundaryFrequency!.some((f) => f > 0)).toBe(true);
  });

  it('stops at the first check where the target MSE is reached, as a hand-written loop does', () => {
    const s = parseEnsembleSpec({ format: 'clln.ensemble/1', members: 1, seed: 5, network: { kind: 'lattice', rows: 4, cols: 4, conductance: [0.5, 1.5] }, task, stop: { maxSteps: 3000, targetMse: 2e-3, checkEvery: 50 }, diagnostics: { alignment: false, boundaryFrequency: false } }, 's.json');
    const r = runMember(s, 0);
    const net = latticeNetwork({ rows: 4, cols: 4, seed: r.seeds.network, conductance: [0.5, 1.5] });
    const t = linearTask({ matrix: task.matrix, sources: task.sources, targets: task.targets, ground: task.ground, count: 20, test: 10, seed: r.seeds.task });
    const tr = new Trainer(net, t, { steps: 3000, seed: r.seeds.order });
    let stoppedAt = -1;
    for (let step = 1; step <= 3000; step++) {
      tr.step();
      if (step % 50 === 0 && tr.mse(t.test) <= 2e-3) {
        stoppedAt = step;
        break;
      }
    }
    expect(stoppedAt).toBeGreaterThan(0); // the target is reachable, so the stop is exercised
    expect(stoppedAt).toBeLessThan(3000);
    expect(r.steps).toBe(stoppedAt);
    expect(r.converged).toBe(true);
    expect(r.testMse).toBe(tr.mse(t.test));
    expect([r.stiffAlignment, r.boundaryFrequency]).toEqual([null, null]);
  });

  it('runs random-graph and board members', () => {
    const rg = parseEnsembleSpec({ format: 'clln.ensemble/1', members: 2, network: { kind: 'random', nodes: 16, meanDegree: 4 }, task, stop: { maxSteps: 50 } }, 'r.json');
    const a = runMember(rg, 0);
    const b = runMember(rg, 1);
    expect(a.edges).toBe(32);
    expect(Array.from(a.conductance)).not.toEqual(Array.from(b.conductance));
    const bd = parseEnsembleSpec({ format: 'clln.ensemble/1', members: 2, network: { kind: 'board', model: 'clln-ref16', conductance: [2e-4, 5e-4] }, task, stop: { maxSteps: 20 } }, 'b.json');
    const c = runMember(bd, 0);
    expect(c.nodes).toBe(16);
    expect(Number.isFinite(c.trainMse)).toBe(true);
  });
});
