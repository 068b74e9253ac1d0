/**
 * The serial host's compound calls (Board.measureCycle, Board.stepWithSources) on a protocol 1.4 twin (one CYCLE or
 * STEP src= exchange, PROTOCOL.md 7.2) and on a 1.3 twin (the separate 1.3 commands): the same readings and settings
 * from a noisy twin with the same seed, i.e. the same core calls in the same order; exactly once under lost and
 * garbled replies (retries are answered from the reply cache: no measurement or step is made twice, so the noise draws
 * stay those of the fault-free run); the host record as the board holds it afterwards.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import type { SerialBoard } from '../../src/device/SerialBoard.js';
import { bindingBoard, twinCore, type BindingHandle } from './harness.js';

let handles: BindingHandle[] = [];
afterEach(async () => {
  for (const h of handles) await h.cleanup();
  handles = [];
});

async function board(protocol: '1.3' | '1.4', model = 'penn-gen1', faults = ''): Promise<BindingHandle> {
  // a noisy twin (ideal: false) with a fixed seed: equal readings mean the same noise draws, in the same order
  // (with faults, enough resends that a command is never given up: the test is about what a resend does)
  const h = await bindingBoard({ core: twinCore(model, 7, false), protocol, server: { faults, seed: 3 }, serial: { confirmReads: false, ...(faults ? { retries: 12 } : {}) } });
  handles.push(h);
  return h;
}

const SRC = new Map([
  [0, 4.5],
  [3, 0.25],
  [15, 0],
]);

/** A few cycles with different targets and eta; the readings, clamps and settings of each. */
async function cycles(b: SerialBoard): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const [tgt, eta] of [
    [new Map([[9, 2], [10, 0.3]]), 0.5],
    [new Map([[6, 4.99]]), 1],
    [new Map([[9, 1.5]]), 0.1234567],
  ] as const) {
    const r = await b.measureCycle(SRC, tgt, eta, 8);
    out.push(Array.from(r.free), Array.from(r.clamped), [...r.clamps], Array.from(r.settings));
  }
  return out;
}

describe('measureCycle', () => {
  it('is one CYCLE exchange on a 1.4 board and six commands on a 1.3 board, with the same readings', async () => {
    const a = await board('1.4');
    const b = await board('1.3');
    const c0 = [a.board.stats.commands, b.board.stats.commands];
    const ra = await cycles(a.board);
    const rb = await cycles(b.board);
    expect(ra).toEqual(rb);
    expect(a.board.stats.commands - c0[0]).toBe(3);
    expect(b.board.stats.commands - c0[1]).toBe(3 * 6);
  });

  it('clamps each target at V_F + eta (V* - V_F) within the DAC range, leaves the sources driven and no clamp', async () => {
    const a = await board('1.4');
    const r = await a.board.measureCycle(SRC, new Map([[9, 2], [6, 9.5 > 5 ? 5 : 0]]), 0.75, 16);
    for (const [node, desired] of [
      [9, 2],
      [6, 5],
    ] as const) {
      const want = Math.min(5, Math.max(0, r.free[node] + 0.75 * (desired - r.free[node])));
      // the device rounds the clamp to 6 decimals (|error| <= 5e-7 V exactly), and want is computed here in floating
      // point from readings of up to 5 V, whose own rounding (an ulp of 5 is 8.9e-16) can land just past 5e-7
      expect(Math.abs(r.clamps.get(node)! - want)).toBeLessThanOrEqual(5e-7 + 1e-14);
      // the twin's reading of a clamped node: the clamp, through ADC noise and quantisation (12 bits over 5 V)
      expect(Math.abs(r.clamped[node] - r.clamps.get(node)!)).toBeLessThan(0.02);
    }
    const core = a.twin.core;
    expect([...core.activeSources().keys()]).toEqual([...SRC.keys()]);
    expect(core.activeClamps().size).toBe(0);
    // the host's record says the same: a target may now be clamped, a source may not
    await a.board.setClamps(new Map([[9, 1]]));
    await expect(a.board.setClamps(new Map([[0, 1]]))).rejects.toThrow(InvalidInputError);
  });

  it('refuses a target that is also a source, before sending anything', async () => {
    const a = await board('1.4');
    const n = a.board.stats.commands;
    await expect(a.board.measureCycle(SRC, new Map([[0, 1]]), 0.5)).rejects.toThrow(InvalidInputError);
    expect(a.board.stats.commands).toBe(n);
  });

  it('exactly once under lost and garbled replies: the readings of the fault-free run, two measurements per cycle', async () => {
    const clean = await board('1.4');
    const faulty = await board('1.4', 'penn-gen1', 'drop=0.3,garble=0.2');
    const m0 = faulty.twin.core.stats.measurements;
    expect(await cycles(faulty.board)).toEqual(await cycles(clean.board));
    expect(faulty.board.stats.retries).toBeGreaterThan(0);
    expect(faulty.twin.core.stats.measurements - m0).toBe(3 * 2);
  });
});

describe('stepWithSources', () => {
  for (const model of ['penn-gen1', 'penn-gen2']) {
    it(`${model}: one STEP src= on a 1.4 board, CLAMP -, SRC, STEP, EGET on a 1.3 board; same results, record = board`, async () => {
      const gate = model === 'penn-gen2';
      const src = gate ? new Map([[0, 0.9], [15, 0]]) : SRC;
      const tgt = new Map([[9, gate ? 0.5 : 2]]);
      const a = await board('1.4', model);
      const b = await board('1.3', model);
      const c0 = [a.board.stats.commands, b.board.stats.commands];
      for (let k = 0; k < 4; k++) {
        const ra = await a.board.stepWithSources(src, tgt, 0.5, gate ? 2 : undefined);
        const rb = await b.board.stepWithSources(src, tgt, 0.5, gate ? 2 : undefined);
        expect(ra).toEqual(rb);
        expect(Array.from(ra.settings)).toEqual(Array.from(a.twin.core.edgeSettings()));
      }
      expect(a.board.stats.commands - c0[0]).toBe(4);
      expect(b.board.stats.commands - c0[1]).toBe(4 * 4);
      expect([...a.twin.core.activeSources().keys()]).toEqual([...src.keys()]);
      // plain deviceStep on a 1.4 board: STEP alone, its settings from set= (no EGET)
      const c1 = a.board.stats.commands;
      const r = await a.board.deviceStep(tgt, 0.5, gate ? 2 : undefined);
      expect(a.board.stats.commands - c1).toBe(1);
      expect(Array.from(r.settings)).toEqual(Array.from(a.twin.core.edgeSettings()));
    });
  }

  it('exactly once under lost and garbled replies: as many steps on the board as calls, the fault-free results', async () => {
    const clean = await board('1.4');
    const faulty = await board('1.4', 'penn-gen1', 'drop=0.3,garble=0.2');
    const s0 = faulty.twin.core.stats.steps;
    for (let k = 0; k < 6; k++) {
      const tgt = new Map([[9, k % 2 ? 1 : 3]]);
      expect(await faulty.board.stepWithSources(SRC, tgt, 0.5)).toEqual(await clean.board.stepWithSources(SRC, tgt, 0.5));
    }
    expect(faulty.board.stats.retries).toBeGreaterThan(0);
    expect(faulty.twin.core.stats.steps - s0).toBe(6);
    expect(Array.from(await faulty.board.readEdges())).toEqual(Array.from(clean.twin.core.edgeSettings()));
  });
});
