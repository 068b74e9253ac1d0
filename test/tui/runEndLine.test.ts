/** Issue 15 point 6: the dashboard's end-of-run line never says "MSE NaN" (an aborted run has no final evaluation). */
import { describe, expect, it } from 'vitest';
import { runEndLine } from '../../src/tui/runEndLine.js';

const evals = [
  { step: 0, trainMse: 0.0123, testMse: 0.0145, final: false },
  { step: 50, trainMse: 0.00123456, testMse: 0.0015, final: false },
];

describe('runEndLine', () => {
  it('an aborted run: final MSE not measured, and the last evaluation, labelled with its step', () => {
    const line = runEndLine({ state: 'aborted', stepsDone: 73, reason: 'abort', trainMse: NaN, testMse: NaN, evaluations: evals }, 'record runs/x.jsonl');
    expect(line).not.toMatch(/NaN/);
    expect(line).toBe('run aborted after 73 steps (abort): final MSE not measured (aborted); last evaluation at step 50: train MSE 0.001235, test MSE 0.001500 V^2; record runs/x.jsonl');
  });
  it('an aborted run before any evaluation says only that', () => {
    const line = runEndLine({ state: 'aborted', stepsDone: 0, reason: 'abort', trainMse: NaN, testMse: NaN, evaluations: [] });
    expect(line).toBe('run aborted after 0 steps (abort): final MSE not measured (aborted)');
  });
  it('a finished run shows its final MSEs; a task without test examples shows - for the test MSE', () => {
    expect(runEndLine({ state: 'stopped', stepsDone: 100, reason: 'steps', trainMse: 2.5e-7, testMse: NaN, evaluations: evals })).toBe(
      'run stopped after 100 steps (steps): train MSE 2.500e-7, test MSE - V^2',
    );
  });
});
