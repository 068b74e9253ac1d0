/**
 * The in-process twin's measureCycle (issue 18, point 3: one queued call for the host step's six) against the serial
 * host's six separate 1.3 commands (CLAMP -, SRC, MEAS, CLAMP, MEAS, CLAMP -) over the wire to a twin of the same seed:
 * the same readings bit for bit from a noisy twin (the same noise draws, in the same order), the same clamps and
 * settings, and afterwards the same state (sources driven, no clamp) and the same count of measurements. Refused
 * cycles change nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import type { Board } from '../../src/device/Board.js';
import { InProcessTwinBoard } from '../../src/device/InProcessTwinBoard.js';
import { bindingBoard, twinCore, type BindingHandle } from './harness.js';

let handles: BindingHandle[] = [];
afterEach(async () => {
  for (const h of handles) await h.cleanup();
  handles = [];
});

const SRC = new Map([
  [0, 4.5],
  [3, 0.25],
  [15, 0],
]);

/** A few cycles with different targets, eta and sample counts; the readings, clamps and settings of each. */
async function cycles(b: Board): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const [tgt, eta, n] of [
    [new Map([[9, 2], [10, 0.3]]), 0.5, 8],
    [new Map([[6, 4.99]]), 1, 16],
    [new Map([[9, 1.5]]), 0.1234567, 3],
  ] as const) {
    const r = await b.measureCycle!(SRC, tgt, eta, n);
    out.push(Array.from(r.free), Array.from(r.clamped), [...r.clamps], Array.from(r.settings));
  }
  return out;
}

describe('InProcessTwinBoard.measureCycle', () => {
  it('gives what the six separate commands give over the wire from a noisy twin of the same seed', async () => {
    const wire = await bindingBoard({ core: twinCore('penn-gen1', 7, false), protocol: '1.3', serial: { confirmReads: false } });
    handles.push(wire);
    const inProcess = new InProcessTwinBoard(twinCore('penn-gen1', 7, false), { compound: true });
    const a = await cycles(inProcess);
    const b = await cycles(wire.board);
    expect(a).toEqual(b);
    // the clamps are V_F + eta (V* - V_F) of the reported free reading (first cycle: eta 0.5, targets 9 and 10)
    const first = a as number[][];
    expect((first[2] as unknown as [number, number][]).map(([node]) => node)).toEqual([9, 10]);
    for (const [node, v] of first[2] as unknown as [number, number][]) {
      const vf = first[0][node];
      const want = vf + 0.5 * ((node === 9 ? 2 : 0.3) - vf);
      expect(Math.abs(v - want)).toBeLessThanOrEqual(5e-7 + 1e-12); // the wire's 6 decimals
    }
    expect(inProcess.core.stats.measurements).toBe(6);
    expect([...inProcess.core.activeSources().keys()]).toEqual([...SRC.keys()]);
    expect(inProcess.core.activeClamps().size).toBe(0);
    await inProcess.close();
  });

  it('refuses before touching the core: a target also driven, a target that cannot be clamped, eta out of range', async () => {
    const b = new InProcessTwinBoard(twinCore('penn-gen1', 7, false), { compound: true });
    await expect(b.measureCycle!(SRC, new Map([[3, 1]]), 0.5)).rejects.toThrow(InvalidInputError);
    await expect(b.measureCycle!(SRC, new Map([[0, 1]]), 0.5)).rejects.toThrow(InvalidInputError);
    await expect(b.measureCycle!(SRC, new Map([[9, 1]]), 7)).rejects.toThrow(InvalidInputError);
    await expect(b.measureCycle!(SRC, new Map([[9, 1]]), 0.5, 0)).rejects.toThrow(InvalidInputError);
    expect(b.core.stats.measurements).toBe(0);
    expect(b.core.activeSources().size).toBe(0);
    await b.close();
    // without `compound`, no measureCycle: a host step is the separate calls
    expect(new InProcessTwinBoard(twinCore()).measureCycle).toBeUndefined();
  });
});
