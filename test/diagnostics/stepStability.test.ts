/**
 * Issue 11, point 10: the stability verdict is that of the rule and step given — the index of ruleStability for a
 * step with a learning rate, "not applicable" with its reason for the tap rule.
 */
import { describe, expect, it } from 'vitest';
import { defaultLearningStep, diagnoseNetwork } from '../../src/diagnostics/diagnoseNetwork.js';
import { ruleStability } from '../../src/diagnostics/ruleStability.js';
import { stepStability, TAP_RULE_REASON } from '../../src/diagnostics/stepStability.js';
import { latticeNetwork } from '../../src/physics/generators/lattice.js';
import { referenceTask } from '../../src/physics/generators/linearTask.js';
import { geometricTaps } from '../../src/physics/rules/TapRule.js';

const net = latticeNetwork({ rows: 4, cols: 4, diagonals: true, seed: 3 });
const task = referenceTask({ count: 8 });
const origin = { from: 'options' as const, detail: 'test' };

describe('stepStability', () => {
  it('a step with a learning rate: the index of ruleStability for that rule and alpha', () => {
    for (const alpha of [0.01, 5]) {
      const v = stepStability(net, task, { rule: 'cl', eta: 0.1, alpha }, origin);
      const r = ruleStability(net, task, { rule: 'cl', eta: 0.1, alpha });
      expect(v).toMatchObject({ applies: true, rule: 'cl', alpha, index: r.index, unstable: r.index > 2, origin });
      const ep = stepStability(net, task, { rule: 'ep', beta: 1e-4, alpha }, origin);
      expect(ep).toMatchObject({ applies: true, rule: 'ep', index: ruleStability(net, task, { rule: 'ep', beta: 1e-4, alpha }).index });
    }
  });

  it('the tap rule: not applicable, never unstable, with the reason', () => {
    const v = stepStability(net, task, { rule: 'tap', eta: 0.1, taps: 100 }, origin);
    expect(v).toEqual({ rule: 'tap', applies: false, index: null, unstable: false, reason: TAP_RULE_REASON, step: { rule: 'tap', eta: 0.1, taps: 100 }, origin });
  });
});

describe('the step diagnoseNetwork assumes when none is given', () => {
  it('a network with a tap table learns by the tap rule; any other by CL at alpha 0.5', () => {
    const tapped = { ...net, taps: geometricTaps(100, 3.125e-5, 0.025) };
    expect(defaultLearningStep(tapped).step).toEqual({ rule: 'tap', eta: 0.1, taps: 100 });
    expect(defaultLearningStep(net, 0.2).step).toEqual({ rule: 'cl', eta: 0.2, alpha: 0.5 });
    const r = diagnoseNetwork(tapped, task, { modes: 3 });
    expect(r.cost!.stability).toHaveLength(1);
    expect(r.cost!.stability[0]).toMatchObject({ rule: 'tap', applies: false, unstable: false, origin: { from: 'defaults' } });
    // the same network asked about CL at alpha 0.5: the index is computed
    const cl = diagnoseNetwork(tapped, task, { modes: 3, learning: { step: { rule: 'cl', eta: 0.1, alpha: 0.5 }, origin } }).cost!.stability[0];
    expect(cl).toMatchObject({ rule: 'cl', applies: true, alpha: 0.5 });
  });
});
