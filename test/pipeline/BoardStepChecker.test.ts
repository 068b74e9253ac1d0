import { describe, expect, it } from 'vitest';
import { InProcessTwinBoard } from '../../src/device/InProcessTwinBoard.js';
import { adcLsb } from '../../src/diagnostics/measurementNoise.js';
import { referenceTask } from '../../src/physics/generators/linearTask.js';
import { BoardStepChecker, type StepCheck } from '../../src/pipeline/BoardStepChecker.js';
import { TrainingEngine } from '../../src/pipeline/TrainingEngine.js';
import { loadBoardModel } from '../../twins/BoardModel.js';
import { TwinBoardCore } from '../../twins/TwinBoardCore.js';

const model = loadBoardModel('penn-gen1');
const task = referenceTask({ count: 10, test: 0 });

/** Train a few steps on an ideal twin with `fault` applied before the first step; the first step's check. */
async function firstCheck(fault: (core: TwinBoardCore) => void): Promise<{ check: StepCheck; alarms: number }> {
  const core = new TwinBoardCore(model, { ideal: true });
  const board = new InProcessTwinBoard(core);
  const id = await board.identify();
  const checker = new BoardStepChecker(id, model.edge, await board.readEdges(), {
    adcLsb: adcLsb(id.adc),
    noiseRms: model.adc.noise,
    samples: 16,
    adcRange: { lo: id.adc.lo, hi: id.adc.hi },
  });
  fault(core);
  const engine = new TrainingEngine(board, { task, steps: 3, order: 'sequential', update: 'host' }, { checker });
  const checks: StepCheck[] = [];
  engine.checks$.subscribe((c) => checks.push(c.result as StepCheck));
  const r = await engine.run();
  return { check: checks[0], alarms: r.alarms };
}

describe('every measured state is checked against the Laplacian during training (ideal penn-gen1 twin)', () => {
  it('a healthy board raises no alarm', async () => {
    const { check, alarms } = await firstCheck(() => {});
    expect(check.alarm).toBe(false);
    expect(alarms).toBe(0);
  });

  // edges and channels in the part of the board the task drives (sources 0, 3; ground 15; targets 9, 10)
  for (const edge of [4, 13, 20]) {
    for (const kind of ['open', 'short'] as const) {
      it(`an ${kind} edge ${edge} is caught at the first step and named`, async () => {
        const { check } = await firstCheck((c) => c.injectEdgeFault(edge, kind));
        expect(check.alarm).toBe(true);
        const s = check.free!.suspect!;
        expect(s).toMatchObject({ kind: 'edge', edge, change: kind });
      });
    }
  }

  for (const node of [5, 9, 12]) {
    it(`a 50 mV offset on ADC channel ${node} is caught at the first step and named`, async () => {
      const { check } = await firstCheck((c) => c.injectAdcOffset(node, 0.05));
      expect(check.alarm).toBe(true);
      expect(check.free!.suspect).toMatchObject({ kind: 'channel', node });
    });
  }
});
