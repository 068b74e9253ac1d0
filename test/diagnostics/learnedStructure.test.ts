/**
 * Issue 6, point 3 and points 1d, 1g on trained networks, against independent truth:
 * - after training the 2-source, 2-target regression task on a lattice, the stiffest cost-Hessian mode aligns with
 *   the squared edge drops of the softest physical mode far better than with those of random node vectors;
 * - during training the lowest eigenvalue of the physical Hessian falls and the highest rises;
 * - the stability index predicts what a real run does: just below alpha lambda_max = 2 a perturbation decays, just
 *   above it grows (plain experiment with the Trainer, no use of the index inside the run).
 */
import { describe, expect, it } from 'vitest';
import { costHessian } from '../../src/diagnostics/costHessian.js';
import { modeCoupling } from '../../src/diagnostics/modeCoupling.js';
import { physicalSpectrum } from '../../src/diagnostics/physicalSpectrum.js';
import { ruleStability } from '../../src/diagnostics/ruleStability.js';
import { spectrumEvolution, type ConductanceSnapshot } from '../../src/diagnostics/spectrumEvolution.js';
import { latticeNetwork } from '../../src/physics/generators/lattice.js';
import { linearTask } from '../../src/physics/generators/linearTask.js';
import { Trainer } from '../../src/physics/Trainer.js';
import { StateSolver } from '../../src/physics/StateSolver.js';
import type { Network } from '../../src/physics/Network.js';
import type { Task } from '../../src/physics/Task.js';

/** A 6x6 lattice with diagonals and the 2-source, 2-target regression task on it. */
function setup(): { net: Network; task: Task } {
  const net = latticeNetwork({ rows: 6, cols: 6, diagonals: true, seed: 2 });
  const task = linearTask({ matrix: [[0.15, 0.3], [0.2, 0.1]], sources: [0, 5], targets: [20, 27], ground: [35], count: 40, test: 10, seed: 1 });
  return { net, task };
}

describe('what a trained network learned', () => {
  const { net, task } = setup();
  const snapshots: ConductanceSnapshot[] = [{ step: 0, conductance: Float64Array.from(net.conductance) }];
  const trainer = new Trainer(net, task, { rule: 'cl', steps: 4000, order: 'shuffle', seed: 3 });
  const result = trainer.run((r) => {
    if ((r.step + 1) % 200 === 0) snapshots.push({ step: r.step + 1, conductance: Float64Array.from(trainer.conductance) });
  });
  const trained: Network = { ...net, conductance: result.conductance };

  it('learned the task (test MSE fell at least 10x)', () => {
    expect(result.initialTestMse / result.testMse).toBeGreaterThan(10);
  });

  it('the stiff cost mode aligns with the squared drops of the softest physical mode, far above random', () => {
    const h = costHessian(trained, task);
    const imposed = [...task.sources, ...task.ground];
    const soft = physicalSpectrum(trained, { imposed, which: 'lowest', k: 6 });
    const c = modeCoupling(h.full!, trained.edgeA.length, { values: soft.values, vectors: soft.vectors }, trained.edgeA, trained.edgeB, { stiff: 1, soft: 6, randomSamples: 400 });
    const withSoftest = c.alignment[0];
    console.log(`stiffest cost mode vs squared drops: softest physical mode cosine ${withSoftest.toFixed(3)}; random node vectors mean ${c.random.mean.toFixed(3)}, 95th percentile ${c.random.p95.toFixed(3)}; other soft modes ${Array.from(c.alignment.slice(1)).map((x) => x.toFixed(3)).join(', ')}`);
    expect(withSoftest).toBeGreaterThan(c.random.p95);
    expect(withSoftest).toBeGreaterThan(c.random.mean + 0.25);
  });

  it('during training the lowest physical eigenvalue falls and the spectrum spreads (condition number rises)', () => {
    const ev = spectrumEvolution(net, snapshots, task, { k: 3 });
    const last = ev.steps.length - 1;
    const cond = (i: number): number => ev.highest[i][ev.highest[i].length - 1] / ev.lowest[i][0];
    console.log(`over ${ev.steps[last]} steps: lowest eigenvalue ${(ev.change.lowest * 100).toFixed(1)} %, highest ${(ev.change.highest * 100).toFixed(1)} %, condition number x${(cond(last) / cond(0)).toFixed(2)}, largest cost-Hessian eigenvalue ${((ev.change.costLargest ?? NaN) * 100).toFixed(1)} %`);
    expect(ev.change.lowest).toBeLessThan(-0.05);
    // the lowest falls monotonically over the run's second half (no noise-level wobble taken for a trend)
    expect(ev.lowest[last][0]).toBeLessThan(ev.lowest[Math.floor(last / 2)][0]);
    expect(cond(last)).toBeGreaterThan(1.05 * cond(0));
    // The highest eigenvalue is not asserted: across lattices, tasks and rules it moved between -8 % and +2 % here
    // (edges that grow and edges that shrink to the lower bound both sit at the stiffest nodes).
  });
});

describe('learning stability predicts a real run', () => {
  it('CL just below alpha lambda_max = 2 settles, just above it blows up', () => {
    // one example whose desired outputs are what the network gives: a minimum of the cost at these conductances
    const net = latticeNetwork({ rows: 4, cols: 4, diagonals: true, seed: 5 });
    const roles = { sources: Int32Array.from([0, 3]), ground: Int32Array.from([15]), targets: Int32Array.from([9, 10]) };
    const solver = new StateSolver(net, roles);
    solver.setConductance(net.conductance);
    const input = Float64Array.from([1, 0.5]);
    const out = Float64Array.from(roles.targets, (t) => solver.free(input).voltages[t]);
    const task: Task = { ...roles, train: [{ in: input, out }], test: [] };
    const eta = 0.01;
    const st = ruleStability(net, task, { rule: 'cl', eta, alpha: 1 });
    const critical = 2 / st.lambdaMax;
    // perturb the conductances off the minimum, then run online CL at alpha = factor * critical for 10 steps: in the
    // linear regime the stiff component is multiplied by (1 - factor * 2) per step, the cost by its square (0.36 at
    // 0.8x, 2.25 at 1.25x); later, an unstable run leaves the linear regime and may land elsewhere
    const run = (factor: number): { first: number; last: number } => {
      const k0 = Float64Array.from(net.conductance, (k, e) => k * (1 + 0.01 * Math.sin(3.7 * e + 1)));
      const tr = new Trainer({ ...net, conductance: k0 }, task, { rule: 'cl', eta, alpha: factor * critical, steps: 10, order: 'sequential' });
      const costs: number[] = [];
      tr.run((r) => costs.push(r.cost));
      return { first: costs[0], last: costs[costs.length - 1] };
    };
    const stable = run(0.8);
    const unstable = run(1.25);
    console.log(`critical alpha ${critical.toExponential(3)} S/V^2: cost at 0.8x ${stable.first.toExponential(2)} -> ${stable.last.toExponential(2)}; at 1.25x ${unstable.first.toExponential(2)} -> ${unstable.last.toExponential(2)}`);
    expect(stable.last).toBeLessThan(stable.first * 1e-2);
    expect(unstable.last).toBeGreaterThan(unstable.first * 100);
  });
});
