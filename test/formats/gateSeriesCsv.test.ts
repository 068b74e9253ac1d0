import { describe, expect, it } from 'vitest';
import { parseBowtieCsv, parseDriftTestCsv, parseTwoColumnCsv, readDriftTestCsv } from '../../src/formats/gateSeriesCsv.js';
import { expectInvalid } from './expectInvalid.js';

describe('gen-2 measurement CSVs (drift tests, tau sweeps, bowties)', () => {
  it('reads the published drift tests: 300 samples, time increasing, gates in the boards range', () => {
    const s = readDriftTestCsv('calibration/labdata/drift/exp1-drift-task-alpha.csv');
    expect(s.time.length).toBe(300);
    expect(s.gMinus[1]).toBe(2.314286);
    expect(s.gPlus[1]).toBe(2.725066);
    expect(Math.max(...s.gPlus)).toBeLessThan(5.2);
  });

  it('parses the sweep and bowtie layouts', () => {
    const t = parseTwoColumnCsv('0.0006,2.5e-05\r\n0.0008,4e-05\n');
    expect(Array.from(t.x)).toEqual([0.0006, 0.0008]);
    const b = parseBowtieCsv('2.5,2.4\n2.7,2.8\n');
    expect(Array.from(b.gPlus)).toEqual([2.7, 2.8]);
  });

  it('refuses a wrong header, a non-number, time going back and a ragged bowtie, naming the line', () => {
    expectInvalid(() => parseDriftTestCsv('t,a,b\n0,1,2\n1,2,3\n', 'd.csv'), 'header', 'time_s,g_minus_V,g_plus_V');
    expectInvalid(() => parseDriftTestCsv('time_s,g_minus_V,g_plus_V\n0,1,2\n1,x,3\n', 'd.csv'), 'line 3', '"x" is not a finite number');
    expectInvalid(() => parseDriftTestCsv('time_s,g_minus_V,g_plus_V\n0,1,2\n0,2,3\n', 'd.csv'), 'line 3', 'does not increase');
    expectInvalid(() => parseBowtieCsv('1,2,3\n1,2\n', 'b.csv'), 'line 2', 'expected 3');
    expectInvalid(() => parseBowtieCsv('1,2,3\n', 'b.csv'), undefined, 'two rows');
  });
});
