/**
 * The reference board as a twin model (twins/models/clln-ref16.json) against its contract,
 * firmware-protocol/firmware/HARDWARE.md: the edge list by the page's rule (computed here, independently of the
 * file), the AD5206 + 1 kOhm law from datasheet numbers, and the ID the C firmware sends (PROTOCOL.md 1.3, 7.1).
 */
import { describe, expect, it } from 'vitest';
import { parseReply } from '../../firmware-protocol/codec.js';
import { boardLaw } from '../../src/formats/boardFile.js';
import { tapResistance } from '../../src/physics/edgeLaws.js';
import { loadBoardModel } from '../../twins/BoardModel.js';
import { TwinBoardCore } from '../../twins/TwinBoardCore.js';
import { TwinFirmware } from '../../twins/TwinFirmware.js';

const model = loadBoardModel('clln-ref16');

describe('twins/models/clln-ref16.json (firmware-protocol/firmware/HARDWARE.md)', () => {
  it('has the 24 lattice edges in the order of the rule: for each node, the edge to the right (col < 3), then down (row < 3)', () => {
    const rule: [number, number][] = [];
    for (let row = 0; row < 4; row++) {
      for (let col = 0; col < 4; col++) {
        const n = 4 * row + col;
        if (col < 3) rule.push([n, n + 1]);
        if (row < 3) rule.push([n, n + 4]);
      }
    }
    expect(model.nodes).toBe(16);
    expect(model.edges).toEqual(rule);
    // a few rows of HARDWARE.md's table, as printed there
    expect(model.edges[6]).toEqual([3, 7]);
    expect(model.edges[18]).toEqual([10, 11]);
    expect(model.edges[23]).toEqual([14, 15]);
    expect(model.positions).toEqual(Array.from({ length: 16 }, (_, n) => [n % 4, Math.floor(n / 4)]));
  });

  it('has the AD5206 rheostat + 1 kOhm law: R(t) = RS + RW + RAB (256 - t)/256 at every tap, power-on 128', () => {
    const RS = 1000; // ohm, the series resistor
    const RW = 45; // ohm, AD5206 wiper resistance (typical)
    const RAB = 10000; // ohm, AD5206 10 kOhm version, nominal
    const law = boardLaw(model);
    expect(law).toMatchObject({ kind: 'tap', taps: 256, taper: 'linear' });
    for (let t = 0; t < 256; t++) {
      const r = RS + RW + (RAB * (256 - t)) / 256;
      expect(tapResistance(law as { taps: number; rMin: number; rMax: number }, t) / r - 1, `tap ${t}`).toBeCloseTo(0, 12);
    }
    expect(model.edge).toMatchObject({ powerOn: 128, tolerance: 0.2 });
  });

  it('has the converters and limits of the page: drive 0..3, clamp 12..15, ADC 10 bit 0..5 V, DAC 12 bit 0..5*4095/4096 V, 9000 /s, sched 48, keep 32', () => {
    expect(model.drivable).toEqual([0, 1, 2, 3]);
    expect(model.clampable).toEqual([12, 13, 14, 15]);
    expect(model.adc).toMatchObject({ bits: 10, lo: 0, hi: 5 });
    expect(model.adc.noise).toBeLessThanOrEqual(0.002);
    expect(model.dac).toMatchObject({ lo: 0, bits: 12 });
    expect(Math.abs(model.dac.hi - (5 * 4095) / 4096)).toBeLessThan(1e-6); // V = 5 code / 4096, code 4095 (the wire's 6 decimals)
    expect(model.maxSampleRate).toBe(9000);
    expect(model.step).toMatchObject({ maxExamples: 48, keep: 32 });
  });

  it('makes a twin that answers ID as the firmware does (PROTOCOL.md 1.3) and keeps each edge its own RMIN, RMAX', () => {
    // the reference firmware speaks 1.3 (the twin speaks 1.4 unless told; 1.4 changed no ID field)
    const fw = new TwinFirmware(new TwinBoardCore(model, { seed: 3 }), { protocol: '1.3' });
    const out = fw.receive('1 ID');
    const r = parseReply(out[0]);
    expect(r?.kind).toBe('ok');
    expect(r?.kind === 'ok' ? r.payload.join(' ') : '').toBe(
      'proto=1.3 fw=clln-ref16-1.0.0 board=clln-ref16 uid=0 boot=1 nodes=16 edges=24 drive=0,1,2,3 clamp=12,13,14,15 adc=10,0,5 ' +
        'dac=0,4.998779 edge=tap,256 law=linear,1084.0625,11045 rate=9000 eta=0.000001,1 sched=48 keep=32',
    );
    expect(fw.banner()).toBe('! BOOT fw=clln-ref16-1.0.0 proto=1.3 board=clln-ref16 boot=1');
    // the tolerance is the pot's (RAB, 20 % rms): R_e(t) = RS + RW + RAB_e (256 - t)/256, so rMax_e - rMin_e = RAB_e 255/256
    // and rMin_e = 1045 + RAB_e/256: each edge has its own ends, both off by the same RAB_e
    const truth = fw.core.trueLinearEdges()!;
    expect(truth).toHaveLength(24);
    const rab = truth.map((e) => ((e.rMax - e.rMin) * 256) / 255);
    truth.forEach((e, i) => {
      expect(e.rMin).toBeCloseTo(1045 + rab[i] / 256, 9);
      expect(e.rMax).toBeCloseTo(1045 + rab[i], 9);
    });
    const spans = rab.map((r) => r / 10000);
    const mean = spans.reduce((a, b) => a + b, 0) / spans.length;
    const sd = Math.sqrt(spans.reduce((a, b) => a + (b - mean) ** 2, 0) / (spans.length - 1));
    // 24 draws of 1 + 0.2 N(0,1): the sample sd lies in 0.2 * [0.6, 1.4] with probability > 0.999 (chi-square, 23 dof)
    expect(sd).toBeGreaterThan(0.12);
    expect(sd).toBeLessThan(0.28);
    // an ideal twin has the nominal ends
    const ideal = new TwinBoardCore(model, { ideal: true }).trueLinearEdges()!;
    for (const e of ideal) expect(e).toEqual({ rMin: expect.closeTo(1084.0625, 9), rMax: expect.closeTo(11045, 9) });
  });
});
