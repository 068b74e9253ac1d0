/**
 * Issue 5, point 2: the identifiability report says which parameters a plan cannot determine and which patterns
 * would. Checked on plans whose blind spots are known from the physics:
 * - only uniform configurations: each tap level's conductances are determined only up to a factor of their own
 *   (Kirchhoff's law at one level is homogeneous), so the levels' relative scales are undetermined; a configuration
 *   mixing levels determines them;
 * - a drive channel that no pattern uses: its gain and offset are 'not used'; driving that node would determine them;
 * - the full default plan: nothing undetermined, only the three gauges.
 */
import { describe, expect, it } from 'vitest';
import { calibrateBoard } from '../../src/pipeline/calibrateBoard.js';
import { defaultPlan } from '../../src/calibration/planFile.js';
import type { CalibrationPlan } from '../../src/calibration/types.js';
import { flawedTwin } from './helpers.js';

describe('identifiability report', () => {
  it('uniform configurations only: the relative scale of the tap levels is undetermined; mixing levels is suggested', async () => {
    const t = flawedTwin('penn-gen1', 2);
    const id = await t.board.identify();
    const plan: CalibrationPlan = { ...defaultPlan(id), settings: { levels: [40, 80], mixed: 0 }, patterns: { kind: 'random', count: 24, seed: 2 } };
    const fit = await calibrateBoard(t.board, { plan, nominal: t.model.edge, noiseRms: t.model.adc.noise });
    const u = fit.identifiability.undetermined;
    // two levels, one common gauge: one more direction (the scale of one level against the other)
    expect(u).toHaveLength(1);
    expect(u[0].why).toBe('degenerate');
    expect(u[0].parameters.every((p) => /^edge\[\d+\]@tap (40|80)$/.test(p))).toBe(true);
    expect(u[0].suggestions.some((s) => s.includes('mixing the levels'))).toBe(true);
    // the same board with mixed configurations: determined
    const mixed = await calibrateBoard(t.board, { plan: { ...plan, settings: { levels: [40, 80], mixed: 2 } }, nominal: t.model.edge, noiseRms: t.model.adc.noise });
    expect(mixed.identifiability.undetermined).toEqual([]);
  });

  it('a drive channel no pattern uses is reported as not used, with driving it as the remedy', async () => {
    const t = flawedTwin('penn-gen1', 2);
    const id = await t.board.identify();
    const plan: CalibrationPlan = {
      board: 'penn-gen1',
      samples: 32,
      settings: { levels: [50, 75], mixed: 1 },
      patterns: {
        list: [
          { drive: [[0, 1], [15, 4]], clamp: [] },
          { drive: [[3, 4.2], [12, 0.6]], clamp: [[6, 2.5]] },
          { drive: [[0, 4], [5, 1.5], [10, 3]], clamp: [] },
          { drive: [[3, 0.8], [15, 2.2]], clamp: [[9, 1.2]] },
          { drive: [[12, 3.9], [1, 2]], clamp: [[6, 0.9]] },
          { drive: [[15, 0.7], [5, 3.5], [10, 1]], clamp: [[9, 3.3]] },
          { drive: [[1, 4.1], [3, 2.6]], clamp: [] },
          { drive: [[0, 2.5], [12, 1.1]], clamp: [] },
        ],
      },
    };
    const fit = await calibrateBoard(t.board, { plan, nominal: t.model.edge, noiseRms: t.model.adc.noise });
    const undetermined = fit.identifiability.undetermined;
    const drive7 = undetermined.find((u) => u.parameters.includes('dac.drive.gain[7]'));
    expect(drive7?.why).toBe('not used');
    // its gain, offset and series resistance are one unused channel
    expect(drive7?.parameters.sort()).toEqual(['dac.drive.gain[7]', 'dac.drive.offset[7]', 'dac.drive.r[7]']);
    expect(drive7?.suggestions.length).toBeGreaterThan(0);
    for (const s of drive7!.suggestions) expect(s).toMatch(/drive node (\d+ and node )?7\b/);
    // the record marks them undetermined (null) rather than inventing values
    expect(fit.record.dac.drive.gain[7]).toBeNull();
    expect(fit.record.dac.drive.r?.[7]).toBeNull();
    expect(fit.record.dac.drive.gain[0]).not.toBeNull();
    expect(fit.record.dac.drive.r?.[0]).not.toBeNull();
    void id;
  });

  it('the default plan determines everything but the three gauges', async () => {
    const t = flawedTwin('penn-gen1', 1);
    const fit = await calibrateBoard(t.board, { nominal: t.model.edge, noiseRms: t.model.adc.noise });
    expect(fit.identifiability.undetermined).toEqual([]);
    expect(fit.identifiability.gauges).toHaveLength(3);
    expect(fit.identifiability.rank).toBe(fit.identifiability.parameters - 3);
  });
});
