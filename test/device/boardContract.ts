/**
 * The Board contract (src/device/Board.ts), as one suite that every implementation runs: the in-process twin, the
 * twin over the twin binding, the twin over a real pty, and a real board. Only the Board interface is used, plus
 * the harness's `deviceSteps` probe for the flow-control check.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { firstValueFrom, take, toArray } from 'rxjs';
import { BoardDisconnectedError, InvalidInputError } from '../../src/errors.js';
import type { Board, BoardIdentity, RunFrame, Schedule } from '../../src/device/Board.js';
import { until, type BoardUnderTest, type MakeBoard } from './harness.js';

export interface ContractOptions {
  /** How far a driven or clamped node's reading may be from its commanded voltage (V). Default 1.5 ADC LSB. */
  voltTol?: (id: BoardIdentity) => number;
}

function lsb(id: BoardIdentity): number {
  return (id.adc.hi - id.adc.lo) / (2 ** id.adc.bits - 1);
}

/** Two drivable nodes far apart in the list (a "high" input and a ground), and a clampable node that is neither. */
function roles(id: BoardIdentity): { hi: number; gnd: number; probe: number } {
  const hi = id.drivable[0];
  const gnd = id.drivable[id.drivable.length - 1];
  const probe = id.clampable.find((n) => n !== hi && n !== gnd);
  if (probe === undefined || hi === gnd) throw new Error('the contract needs two drivable nodes and a third clampable one');
  return { hi, gnd, probe };
}

/** A voltage at fraction f of the DAC range, with few decimals (so it survives the wire exactly). */
function volts(id: BoardIdentity, f: number): number {
  return Math.round((id.dac.lo + f * (id.dac.hi - id.dac.lo)) * 1000) / 1000;
}

/** A valid setting different from `s` for every edge kind. */
function otherSetting(id: BoardIdentity, s: number, k: number): number {
  if (id.edge.kind === 'tap') return (s + 7 + k) % id.edge.taps;
  const { lo, hi } = id.edge;
  const t = Math.round((lo + ((0.37 + 0.11 * k) % 1) * (hi - lo)) * 1e4) / 1e4;
  return t === s ? lo : t;
}

export function describeBoardContract(name: string, makeBoard: MakeBoard, options: ContractOptions = {}): void {
  describe(`Board contract: ${name}`, () => {
    let h: BoardUnderTest;
    let board: Board;
    let id: BoardIdentity;
    let tol: number;

    beforeEach(async () => {
      h = await makeBoard();
      board = h.board;
      id = await board.identify();
      tol = options.voltTol?.(id) ?? 1.5 * lsb(id);
    });
    afterEach(async () => {
      await h.cleanup();
    });

    it('identifies itself consistently', async () => {
      // the in-process twin reports its core's 1.3; over the wire the twin's firmware speaks 1.4 (PROTOCOL.md 7.2)
      expect(['1.3', '1.4']).toContain(id.protocol);
      expect(id.nodes).toBeGreaterThan(1);
      expect(id.edges.length).toBeGreaterThan(0);
      for (const [a, b] of id.edges) {
        expect(a).toBeGreaterThanOrEqual(0);
        expect(b).toBeLessThan(id.nodes);
      }
      for (const n of [...id.drivable, ...id.clampable]) expect(n).toBeLessThan(id.nodes);
      expect(id.dac.hi).toBeGreaterThan(id.dac.lo);
      const again = await board.identify();
      expect(again.uid).toBe(id.uid);
      expect(again.bootCount).toBe(id.bootCount);
    });

    it('drives sources and measures Kirchhoff-plausible voltages', async () => {
      const { hi, gnd } = roles(id);
      const vHi = volts(id, 0.8);
      const vLo = volts(id, 0);
      await board.setSources(new Map([[hi, vHi], [gnd, vLo]]));
      const v = await board.measure(32);
      expect(v).toHaveLength(id.nodes);
      expect(Math.abs(v[hi] - vHi)).toBeLessThanOrEqual(tol);
      expect(Math.abs(v[gnd] - vLo)).toBeLessThanOrEqual(tol);
      // maximum principle of a resistive network: every free node lies between the imposed extremes
      for (let i = 0; i < id.nodes; i++) {
        expect(v[i]).toBeGreaterThanOrEqual(vLo - tol);
        expect(v[i]).toBeLessThanOrEqual(vHi + tol);
      }
      // some free node actually conducts: strictly inside the range
      expect(Array.from(v).some((x, i) => i !== hi && i !== gnd && x > vLo + 10 * tol && x < vHi - 10 * tol)).toBe(true);
      // releasing the sources lets the network float
      await board.setSources(new Map());
      const off = await board.measure();
      expect(Math.abs(off[hi] - vHi)).toBeGreaterThan(tol);
    });

    it('clamps a node, refuses to clamp a driven node, releases clamps', async () => {
      const { hi, gnd, probe } = roles(id);
      await board.setSources(new Map([[hi, volts(id, 0.8)], [gnd, volts(id, 0)]]));
      const free = (await board.measure())[probe];
      const target = Math.abs(free - volts(id, 0.3)) > 0.05 * (id.dac.hi - id.dac.lo) ? volts(id, 0.3) : volts(id, 0.6);
      await board.setClamps(new Map([[probe, target]]));
      expect(Math.abs((await board.measure())[probe] - target)).toBeLessThanOrEqual(tol);
      await expect(board.setClamps(new Map([[hi, volts(id, 0.5)]]))).rejects.toBeInstanceOf(InvalidInputError);
      // the refused call left the clamp in place
      expect(Math.abs((await board.measure())[probe] - target)).toBeLessThanOrEqual(tol);
      await board.setClamps(new Map());
      expect(Math.abs((await board.measure())[probe] - free)).toBeLessThanOrEqual(tol);
    });

    it('writes and reads back edge settings exactly', async () => {
      const before = await board.readEdges();
      expect(before).toHaveLength(id.edges.length);
      const picks = [0, Math.floor(id.edges.length / 2), id.edges.length - 1];
      const want = new Map(picks.map((e, k) => [e, otherSetting(id, before[e], k)]));
      await board.writeEdges(want);
      const after = await board.readEdges();
      for (let e = 0; e < id.edges.length; e++) expect(after[e]).toBe(want.has(e) ? want.get(e) : before[e]);
      // absolute values: writing the same again changes nothing
      await board.writeEdges(want);
      expect(Array.from(await board.readEdges())).toEqual(Array.from(after));
    });

    it('rejects out-of-range values before sending anything (board untouched)', async () => {
      const { hi, gnd, probe } = roles(id);
      await board.setSources(new Map([[hi, volts(id, 0.8)], [gnd, volts(id, 0)]]));
      const edges = await board.readEdges();
      const v = await board.measure();
      const E = id.edges.length;
      const notDrivable = [...Array(id.nodes).keys()].find((n) => !id.drivable.includes(n));
      const badCalls: [string, () => Promise<unknown>][] = [
        ['source above the DAC range', () => board.setSources(new Map([[hi, id.dac.hi + 0.5]]))],
        ['source below the DAC range', () => board.setSources(new Map([[hi, id.dac.lo - 0.5]]))],
        ['source NaN', () => board.setSources(new Map([[hi, Number.NaN]]))],
        ['source node out of range', () => board.setSources(new Map([[id.nodes, 0]]))],
        ['clamp above the DAC range', () => board.setClamps(new Map([[probe, id.dac.hi + 1]]))],
        ['edge index out of range', () => board.writeEdges(new Map([[E, edges[0]]]))],
        ['edge index negative', () => board.writeEdges(new Map([[-1, edges[0]]]))],
        ['measure 0 samples', () => board.measure(0)],
        ['measure 1025 samples', () => board.measure(1025)],
        ['measure 2.5 samples', () => board.measure(2.5)],
        ['step eta 0', () => board.deviceStep(new Map([[probe, volts(id, 0.5)]]), 0)],
        ['step eta 1.5', () => board.deviceStep(new Map([[probe, volts(id, 0.5)]]), 1.5)],
        ['step without targets', () => board.deviceStep(new Map(), 0.5)],
        ['step target driven', () => board.deviceStep(new Map([[hi, volts(id, 0.5)]]), 0.5)],
      ];
      if (notDrivable !== undefined) badCalls.push(['node not drivable', () => board.setSources(new Map([[notDrivable, 0]]))]);
      // the step limits the board reports in ID (PROTOCOL.md 7.1)
      badCalls.push(['step eta below the board range', () => board.deviceStep(new Map([[probe, volts(id, 0.5)]]), id.limits.eta.lo * 0.4)]);
      if (id.limits.amp) badCalls.push(['step amp above the board range', () => board.deviceStep(new Map([[probe, volts(id, 0.5)]]), 0.5, id.limits.amp!.hi * 2 + 1)]);
      if (id.edge.kind === 'tap') {
        badCalls.push(['tap = taps', () => board.writeEdges(new Map([[0, (id.edge as { taps: number }).taps]]))]);
        badCalls.push(['tap not an integer', () => board.writeEdges(new Map([[0, 1.5]]))]);
        badCalls.push(['tap negative', () => board.writeEdges(new Map([[0, -1]]))]);
      } else {
        badCalls.push(['gate above range', () => board.writeEdges(new Map([[0, (id.edge as { hi: number }).hi + 0.1]]))]);
      }
      // one bad entry among good ones: nothing of the call is applied
      badCalls.push(['good and bad edges together', () => board.writeEdges(new Map([[1, otherSetting(id, edges[1], 0)], [E + 3, edges[0]]]))]);
      for (const [what, call] of badCalls) {
        await expect(call(), what).rejects.toBeInstanceOf(InvalidInputError);
      }
      const sched: Schedule = { steps: 0, sources: [hi], targets: [probe], examples: [{ in: [1], out: [1] }], eta: 0.5 };
      await expect(firstValueFrom(board.runSchedule(sched))).rejects.toBeInstanceOf(InvalidInputError);
      await expect(firstValueFrom(board.runSchedule({ ...sched, steps: 3 }, 0))).rejects.toBeInstanceOf(InvalidInputError);
      const tooMany = Array.from({ length: id.limits.maxExamples + 1 }, () => ({ in: [1], out: [1] }));
      await expect(firstValueFrom(board.runSchedule({ ...sched, steps: 3, examples: tooMany }))).rejects.toThrow(/at most/);
      expect(Array.from(await board.readEdges())).toEqual(Array.from(edges));
      const v2 = await board.measure();
      for (let i = 0; i < id.nodes; i++) expect(Math.abs(v2[i] - v[i])).toBeLessThanOrEqual(tol);
    });

    it('runs an on-device learning step that changes edges', async () => {
      const { hi, gnd, probe } = roles(id);
      await board.setSources(new Map([[hi, volts(id, 0.8)], [gnd, volts(id, 0)]]));
      const before = await board.readEdges();
      const free = (await board.measure())[probe];
      const desired = free > volts(id, 0.5) ? volts(id, 0.05) : volts(id, 0.95);
      const r = await board.deviceStep(new Map([[probe, desired]]), 1, id.edge.kind === 'gate' ? 5 : undefined);
      expect(r.freeTargets).toHaveLength(1);
      expect(Math.abs(r.freeTargets[0] - free)).toBeLessThanOrEqual(4 * tol);
      expect(r.changed).toBeGreaterThan(0);
      const after = await board.readEdges();
      let moved = 0;
      for (let e = 0; e < id.edges.length; e++) if (after[e] !== before[e]) moved++;
      expect(moved).toBe(r.changed);
      // the step's result carries the settings it left, equal to a later read-back
      expect(Array.from(r.settings)).toEqual(Array.from(after));
    });

    it('streams an autonomous run: exactly `steps` frames, in order, within the window', async () => {
      const { hi, gnd, probe } = roles(id);
      const before = await board.readEdges();
      const sched: Schedule = {
        steps: 20,
        sources: [hi, gnd],
        targets: [probe],
        examples: [
          { in: [volts(id, 0.8), volts(id, 0)], out: [volts(id, 0.2)] },
          { in: [volts(id, 0.6), volts(id, 0)], out: [volts(id, 0.1)] },
          { in: [volts(id, 0.9), volts(id, 0.1)], out: [volts(id, 0.3)] },
        ],
        eta: 0.5,
        amp: id.edge.kind === 'gate' ? 2 : undefined,
      };
      const frames: RunFrame[] = await firstValueFrom(board.runSchedule(sched, 4).pipe(toArray()));
      expect(frames.map((f) => f.step)).toEqual([...Array(20).keys()]);
      expect(frames.map((f) => f.example)).toEqual([...Array(20).keys()].map((s) => s % 3));
      for (const f of frames) {
        expect(f.freeTargets).toHaveLength(1);
        expect(Number.isInteger(f.changed)).toBe(true);
      }
      expect(frames.some((f) => f.changed > 0)).toBe(true);
      expect(Array.from(await board.readEdges())).not.toEqual(Array.from(before));
      // the board is usable after the run
      await board.setSources(new Map([[hi, volts(id, 0.5)]]));
      expect(Math.abs((await board.measure())[hi] - volts(id, 0.5))).toBeLessThanOrEqual(tol);

      // flow control: stop after 3 frames with a window of 2; the device may not have run ahead of the window
      const steps0 = await h.deviceSteps();
      const got = await firstValueFrom(board.runSchedule({ ...sched, steps: 200 }, 2).pipe(take(3), toArray()));
      expect(got.map((f) => f.step)).toEqual([0, 1, 2]);
      // the unsubscribe's HALT and the read-back are queued ahead of this call
      await board.readEdges();
      const ran = (await h.deviceSteps()) - steps0;
      expect(ran).toBeGreaterThanOrEqual(3);
      expect(ran).toBeLessThanOrEqual(3 + 2);
    });

    it('reset reboots the board: boot counter moves, state released, board usable', async () => {
      const { hi } = roles(id);
      await board.setSources(new Map([[hi, volts(id, 0.7)]]));
      const edges = await board.readEdges();
      await board.writeEdges(new Map([[0, otherSetting(id, edges[0], 0)]]));
      await board.reset();
      const after = await board.identify();
      expect(after.bootCount).toBeGreaterThan(id.bootCount);
      expect(after.uid).toBe(id.uid);
      if (h.powerOnEdge !== undefined) expect(Array.from(await board.readEdges())).toEqual(Array(id.edges.length).fill(h.powerOnEdge));
      // sources released: the formerly driven node no longer sits at its voltage (nothing is driven)
      const v = await board.measure();
      expect(Math.abs(v[hi] - volts(id, 0.7))).toBeGreaterThan(tol);
      await board.setSources(new Map([[hi, volts(id, 0.4)]]));
      expect(Math.abs((await board.measure())[hi] - volts(id, 0.4))).toBeLessThanOrEqual(tol);
    });

    it('cancels calls with an AbortSignal', async () => {
      const { hi } = roles(id);
      // already aborted: rejected, nothing applied
      const pre = new AbortController();
      pre.abort();
      await expect(board.setSources(new Map([[hi, volts(id, 0.9)]]), { signal: pre.signal })).rejects.toMatchObject({ name: 'AbortError' });
      expect(Math.abs((await board.measure())[hi] - volts(id, 0.9))).toBeGreaterThan(tol);
      // aborted while in flight or queued: rejected at once
      const ac = new AbortController();
      const slow = board.measure(1024, { signal: ac.signal });
      const queued = board.readEdges({ signal: ac.signal });
      // "at once": both reject before a call queued behind them, which cannot run before the slow MEAS is done
      let behindDone = false;
      const behind = board.measure(1).then(() => (behindDone = true));
      ac.abort();
      await expect(slow).rejects.toMatchObject({ name: 'AbortError' });
      await expect(queued).rejects.toMatchObject({ name: 'AbortError' });
      expect(behindDone).toBe(false);
      await behind;
      // the board carries on
      expect(await board.readEdges()).toHaveLength(id.edges.length);
    });

    it('closes: a run in progress errors, later calls reject with BoardDisconnectedError, events complete', async () => {
      const { hi, gnd, probe } = roles(id);
      let completed = false;
      board.events.subscribe({ complete: () => (completed = true) });
      const frames: number[] = [];
      const run = new Promise<unknown>((resolve) =>
        board
          .runSchedule({ steps: 100_000, sources: [hi, gnd], targets: [probe], examples: [{ in: [volts(id, 0.8), volts(id, 0)], out: [volts(id, 0.2)] }], eta: 0.5 }, 4)
          .subscribe({ next: (f) => frames.push(f.step), error: resolve, complete: () => resolve('completed') }),
      );
      await until(() => frames.length >= 2, 'two frames of the run');
      await board.close();
      expect(await run).toBeInstanceOf(BoardDisconnectedError);
      expect(completed).toBe(true);
      await expect(board.measure()).rejects.toBeInstanceOf(BoardDisconnectedError);
      await board.close(); // idempotent
    });
  });
}
