/**
 * Trainer.mse evaluates a linear network by superposition (one solve per source, not per example). Checked here
 * against an independent dense reference that solves Kirchhoff's equations for every example on its own
 * (test/oracles/denseState.ts, nothing from src/physics), after training has moved the conductances away from
 * their initial values, and with more examples than sources so that the superposition path is the one taken.
 */
import { describe, expect, it } from 'vitest';
import { latticeNetwork } from '../../src/physics/generators/lattice.js';
import { linearTask } from '../../src/physics/generators/linearTask.js';
import { Trainer } from '../../src/physics/Trainer.js';
import type { Network } from '../../src/physics/Network.js';
import type { Example, Task } from '../../src/physics/Task.js';
import { denseState } from '../oracles/denseState.js';

/** Mean over examples of the mean over targets of (V_t - desired_t)^2, every state solved densely on its own. */
function denseMse(net: Network, k: Float64Array, task: Task, examples: Example[]): number {
  let sum = 0;
  for (const ex of examples) {
    const fixed = new Map<number, number>();
    task.sources.forEach((s, i) => fixed.set(s, ex.in[i]));
    for (const g of task.ground) fixed.set(g, 0);
    const v = denseState(net, k, fixed);
    let se = 0;
    task.targets.forEach((t, i) => (se += (v[t] - ex.out[i]) ** 2));
    sum += se / task.targets.length;
  }
  return sum / examples.length;
}

describe('Trainer.mse by superposition', () => {
  const net = latticeNetwork({ rows: 5, cols: 5, diagonals: true, seed: 3 });
  const task = linearTask({ matrix: [[0.3, 0.2, -0.1], [0.1, 0.4, 0.2]], sources: [0, 4, 20], targets: [12, 13], ground: [24], count: 11, test: 5, seed: 2, nodes: 25 });

  it('equals a per-example dense solve, before and after training (train and test sets)', () => {
    const trainer = new Trainer(net, task, { rule: 'cl', eta: 0.5, alpha: 0.05, steps: 40, seed: 1 });
    const before = trainer.mse(task.train);
    expect(before).toBeGreaterThan(1e-4); // a case where the error is not trivially 0
    expect(Math.abs(before - denseMse(net, trainer.conductance, task, task.train)) / before).toBeLessThan(1e-12);
    for (let s = 0; s < 40; s++) trainer.step();
    for (const set of [task.train, task.test]) {
      const m = trainer.mse(set);
      const ref = denseMse(net, trainer.conductance, task, set);
      expect(Math.abs(m - ref) / ref).toBeLessThan(1e-12);
    }
    // training moved the error, so the cache of unit responses was refreshed with the conductances
    expect(trainer.mse(task.train)).not.toBe(before);
  });

  it('the per-example path (no more examples than sources) agrees too', () => {
    const trainer = new Trainer(net, task, { rule: 'cl', eta: 0.5, alpha: 0.05, steps: 5, seed: 1 });
    for (let s = 0; s < 5; s++) trainer.step();
    const few = task.train.slice(0, 3);
    const ref = denseMse(net, trainer.conductance, task, few);
    expect(Math.abs(trainer.mse(few) - ref) / ref).toBeLessThan(1e-12);
  });
});
