/**
 * Issue 11, point 4: absurd calibration records (drive gain 1e-6, +-100 V offsets, ADC gain 1e-9, conductances scaled
 * by 1e300) are refused on load, naming the file and the field, exit 2; the shipped example records still load.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkCalibrationPlausible, PLAUSIBLE } from '../../src/calibration/plausibility.js';
import { parseCalibrationRecord, readCalibrationFile } from '../../src/calibration/recordFile.js';
import type { CalibrationRecord } from '../../src/calibration/types.js';
import { loadBoardModel } from '../../twins/BoardModel.js';
import { expectInvalid } from '../formats/expectInvalid.js';
import { clln, expectOneParagraph } from '../cli/inProcess.js';

const example = (model: string): string => new URL(`../../calibration/examples/${model}-twin-seed0.json`, import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'clln-plausible-'));
const gen1 = loadBoardModel('penn-gen1').edge;
const gen2 = loadBoardModel('penn-gen2').edge;

/** The penn-gen1 (or gen2) example record, edited. */
function edited(edit: (r: CalibrationRecord) => void, model = 'penn-gen1'): CalibrationRecord {
  const r = parseCalibrationRecord(JSON.parse(readFileSync(example(model), 'utf8')), 'x.json');
  edit(r);
  return r;
}

describe('the shipped example records', () => {
  it('load, with and without the nominal law', () => {
    for (const [model, nominal] of [['penn-gen1', gen1], ['penn-gen2', gen2]] as const) {
      expect(readCalibrationFile(example(model), () => nominal).board.model).toBe(model);
      expect(readCalibrationFile(example(model)).board.model).toBe(model);
    }
  });
});

describe('checkCalibrationPlausible', () => {
  const check = (r: CalibrationRecord, nominal = r.edges.kind === 'tap' ? gen1 : gen2) => () => checkCalibrationPlausible(r, 'cal.json', nominal);

  it('converter gains within 10 % of 1', () => {
    expectInvalid(check(edited((r) => (r.dac.drive.gain[3] = 1e-6))), 'dac.drive.gain[3]', '0.000001 is outside [0.9, 1.1]');
    expectInvalid(check(edited((r) => (r.adc.gain[0] = 1e-9))), 'adc.gain[0]', '1e-9 is outside [0.9, 1.1]');
    expectInvalid(check(edited((r) => (r.dac.clamp.gain[15] = 1.2))), 'dac.clamp.gain[15]');
    expect(check(edited((r) => (r.dac.clamp.gain[15] = 1.09)))).not.toThrow();
    expect(check(edited((r) => (r.adc.gain[2] = null)))).not.toThrow(); // a channel that was not fitted
  });

  it('offsets within 5 % of the converter range', () => {
    expectInvalid(check(edited((r) => (r.adc.offset[4] = 100))), 'adc.offset[4]', '100 V is outside +-0.250 V');
    expectInvalid(check(edited((r) => (r.dac.drive.offset[1] = -100))), 'dac.drive.offset[1]');
    // penn-gen2's converters span 1 V: 50 mV
    expectInvalid(check(edited((r) => (r.dac.clamp.offset[0] = 0.06), 'penn-gen2')), 'dac.clamp.offset[0]', '+-0.0500 V');
    expect(check(edited((r) => (r.dac.clamp.offset[0] = 0.04), 'penn-gen2'))).not.toThrow();
  });

  it('DAC series resistances between 0 (within 5 standard errors) and 1 kohm', () => {
    const set = (x: number, std: number) => (r: CalibrationRecord) => {
      r.dac.clamp.r = Array(16).fill(2.5);
      r.dac.clamp.rStd = Array(16).fill(0.05);
      r.dac.clamp.r[13] = x;
      r.dac.clamp.rStd[13] = std;
    };
    expect(check(edited(set(2.5, 0.05)))).not.toThrow();
    expect(check(edited(set(-0.2, 0.05)))).not.toThrow(); // noise around a small true r
    expectInvalid(check(edited(set(-0.3, 0.05))), 'dac.clamp.r[13]', 'outside -5 standard errors');
    expectInvalid(check(edited(set(5000, 100))), 'dac.clamp.r[13]', '1000 ohm');
  });

  it('tap edges within a factor of 10 of the nominal law (or of the median edge), and between 1 mohm and 1 Tohm', () => {
    // conductances scaled by 1e300: resistances divided by it
    const scaled = edited((r) => {
      if (r.edges.kind !== 'tap') throw new Error('tap');
      r.edges.rMax = r.edges.rMax.map((x) => x / 1e300);
      r.edges.rMin = r.edges.rMin.map((x) => x / 1e300);
    });
    expectInvalid(check(scaled), 'edges.rMax[0]', 'ohm is outside [0.001, 1000000000000] ohm');
    const one = (f: number) => edited((r) => r.edges.kind === 'tap' && (r.edges.rMax[7] *= f));
    expectInvalid(check(one(12)), 'edges.rMax[7]', "more than a factor of 10 from the board model's nominal rMax (3.200e+4 ohm)");
    expectInvalid(() => checkCalibrationPlausible(one(12), 'cal.json'), 'edges.rMax[7]', 'the median of edges.rMax');
    expect(check(one(3))).not.toThrow();
    // the whole board 20x off the nominal law: only the nominal law sees it
    const all = edited((r) => {
      if (r.edges.kind !== 'tap') throw new Error('tap');
      r.edges.rMax = r.edges.rMax.map((x) => x * 20);
      r.edges.rMin = r.edges.rMin.map((x) => x * 20);
    });
    expectInvalid(check(all), 'edges.rMax[0]', 'nominal rMax');
    expect(() => checkCalibrationPlausible(all, 'cal.json')).not.toThrow();
  });

  it('gate edges: s within a factor of 10, thresholds within 10 % of the gate range', () => {
    const s = (f: number) => edited((r) => r.edges.kind === 'gate' && (r.edges.s[5] *= f), 'penn-gen2');
    expectInvalid(check(s(1e300)), 'edges.s[5]', 'S/V is outside [1e-12, 100] S/V');
    expectInvalid(check(s(1 / 20)), 'edges.s[5]', "from the board model's nominal s");
    expect(check(s(2))).not.toThrow();
    const vt = (v: number) => edited((r) => r.edges.kind === 'gate' && (r.edges.vt[2] = v), 'penn-gen2');
    expectInvalid(check(vt(1.5)), 'edges.vt[2]', 'more than 0.500 V (10 % of the gate range)');
    expect(check(vt(1.0))).not.toThrow();
    expect(PLAUSIBLE.threshold).toBe(0.1);
  });
});

describe('through the CLI: exit 2 naming the file and the field', () => {
  const net = join(dir, 'net.json');
  const task = join(dir, 'task.json');
  beforeAll(async () => {
    expect((await clln('network', 'board', 'penn-gen1', '--out', net)).code).toBe(0);
    expect((await clln('task', 'linear', '--matrix', '0.3,0.2;0.1,0.4', '--sources', '0,3', '--targets', '9,10', '--ground', '15', '--count', '4', '--test', '2', '--out', task)).code).toBe(0);
  });

  it('train --calibration and check --calibration refuse an absurd record', async () => {
    const file = join(dir, 'absurd.json');
    const r = JSON.parse(readFileSync(example('penn-gen1'), 'utf8'));
    r.dac.drive.gain[2] = 1e-6;
    writeFileSync(file, JSON.stringify(r));
    for (const args of [['train', net, task, '--board', 'twin', '--steps', '2', '--no-record', '--calibration', file], ['check', '--board', 'twin', '--calibration', file]]) {
      const res = await clln(...args);
      const line = expectOneParagraph(res.stderr);
      expect(res.code, line).toBe(2);
      expect(line).toContain(`${file}: dac.drive.gain[2]: 0.000001 is outside [0.9, 1.1]`);
    }
  });
});
