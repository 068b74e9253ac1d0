/**
 * The drift fit's time is bounded whatever the data: r is kept within R_BOUNDS (the integration step shrinks as 1/r,
 * so data no finite r describes would make each evaluation longer without end) and the fit stops on a work budget
 * counted in flow evaluations (no clock), reporting that it did.
 */
import { describe, expect, it } from 'vitest';
import { readDriftTestCsv } from '../../../src/formats/gateSeriesCsv.js';
import { calibrateDriftBias, type ExperimentDrift } from '../../../src/physics/gateDynamics/calibrateDriftBias.js';
import { railsFromSeries } from '../../../src/physics/gateDynamics/driftRunFromSeries.js';
import { R_BOUNDS } from '../../../src/physics/gateDynamics/fitDriftTests.js';
import { GateFlow } from '../../../src/physics/gateDynamics/GateFlow.js';
import { simulateDriftTest } from '../../../src/physics/gateDynamics/simulateDriftTest.js';
import { SMALL_RC, SMALL_TASKS, smallGateNetwork } from '../../../src/physics/gateDynamics/smallGateNetwork.js';

function published(exp: 'exp1' | 'exp2'): ExperimentDrift {
  const tasks = SMALL_TASKS[exp];
  const series = tasks.map((t) => readDriftTestCsv(`calibration/labdata/drift/${exp}-drift-task-${t.name}.csv`));
  return { name: exp, tasks, series: [series[0], series[1]] };
}

describe('drift fit bounds', () => {
  it('stops on its work budget, not converged, and says so', () => {
    const budget = 2e5;
    const cal = calibrateDriftBias(smallGateNetwork(), [published('exp1')], { rc: SMALL_RC, maxEvaluations: budget });
    expect(cal.fit.budgetExhausted).toBe(true);
    expect(cal.fit.converged).toBe(false);
    // the budget is checked between integrations: it is overrun by at most the few integrations of one step
    expect(cal.fit.evaluations).toBeGreaterThanOrEqual(budget);
    expect(cal.fit.evaluations).toBeLessThan(5 * budget);
    // the default budget is ample for the published files
    const full = calibrateDriftBias(smallGateNetwork(), [published('exp1')], { rc: SMALL_RC });
    expect(full.fit.converged).toBe(true);
    expect(full.fit.budgetExhausted).toBe(false);
  }, 60_000);

  it(`data made with r = 300 cannot pull r beyond ${R_BOUNDS[1]} (100)`, () => {
    const net = smallGateNetwork();
    const tasks = SMALL_TASKS.exp1;
    const series = tasks.map((task) => {
      const real = readDriftTestCsv(`calibration/labdata/drift/exp1-drift-task-${task.name}.csv`);
      const flow = new GateFlow({ ...net, rails: railsFromSeries(real) }, task, { r: 300, rc: SMALL_RC, bias: [3, 4.5] });
      const n = 30;
      const times = real.time.subarray(1, n);
      const sim = simulateDriftTest(flow, [real.gMinus[1], real.gPlus[1]], times, 1e-5);
      const gMinus = Float64Array.from({ length: n }, (_, i) => (i === 0 ? real.gMinus[0] : sim.gates[2 * (i - 1)]));
      const gPlus = Float64Array.from({ length: n }, (_, i) => (i === 0 ? real.gPlus[0] : sim.gates[2 * (i - 1) + 1]));
      return { time: real.time.subarray(0, n), gMinus, gPlus };
    });
    const cal = calibrateDriftBias(net, [{ name: 'exp1', tasks, series: [series[0], series[1]] }], { rc: SMALL_RC, fitSamples: 20, r0: 50, maxEvaluations: 1e7 });
    expect(cal.fit.r).toBeLessThanOrEqual(100);
    expect(cal.fit.r).toBeGreaterThan(50); // it did move towards the data's r
  }, 120_000);
});
