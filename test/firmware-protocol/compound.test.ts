/**
 * Protocol 1.4's compound commands (PROTOCOL.md 7.2) in the codec: the golden frames of CYCLE and of STEP with
 * `src=` and `set=`, decoded whole and split at every byte boundary, the CYCLE reply parser, the clamp rule both
 * sides compute, and the version negotiation through ID.
 */
import { describe, expect, it } from 'vitest';
import {
  cycleClamp,
  CYCLE_MAX_NODES,
  hasCompoundCommands,
  LineDecoder,
  MAX_BODY,
  parseCommand,
  parseCycleReply,
  parseFields,
  parseIdentity,
  parseList,
  parsePairs,
  parseReply,
  parseTopology,
  type Reply,
} from '../../firmware-protocol/codec.js';
import { loadVectors, type FrameVector } from '../../firmware-protocol/vectors.js';
import { bytes } from './reference.js';

const { frames } = loadVectors();
const byName = (name: string): FrameVector => {
  const v = frames.find((f) => f.name === name);
  if (!v) throw new Error(`no vector ${name}`);
  return v;
};
const okPayload = (name: string): string[] => {
  const r: Reply | null = parseReply(byName(name).body);
  if (!r || r.kind !== 'ok') throw new Error(`${name} is not an OK reply`);
  return r.payload;
};
const compound = frames.filter((f) => f.name.includes('1.4'));

describe('golden frames of protocol 1.4', () => {
  it('exist for CYCLE, STEP src=, STEP set= and the 1.4 ID and banner', () => {
    expect(compound.map((f) => f.name).length).toBeGreaterThanOrEqual(8);
  });

  it('come out of a LineDecoder split at every byte boundary and at every pair of boundaries 1..40 bytes apart', () => {
    const all = compound.map((f) => f.line).join('');
    const want = compound.map((f) => f.body);
    for (const input of [all, bytes(all)]) {
      for (let i = 0; i <= all.length; i++) {
        const d = new LineDecoder();
        expect([...d.push(input.slice(0, i)), ...d.push(input.slice(i))], `cut at ${i}`).toEqual(want);
        expect(d.counters).toEqual({ crc: 0, garbage: 0, overlong: 0 });
      }
    }
    for (let i = 0; i < all.length; i += 7) {
      for (let j = i + 1; j <= Math.min(all.length, i + 40); j++) {
        const d = new LineDecoder();
        expect([...d.push(all.slice(0, i)), ...d.push(all.slice(i, j)), ...d.push(all.slice(j))], `cuts at ${i}, ${j}`).toEqual(want);
      }
    }
  });

  it('CYCLE commands carry eta, src and tgt pairs and an optional n', () => {
    const c = parseCommand(byName('CYCLE command (1.4)').body)!;
    expect(c.verb).toBe('CYCLE');
    const f = parseFields(c.args);
    expect(Number(f.get('eta'))).toBe(0.5);
    expect(parsePairs(f.get('src')!)).toEqual([
      [0, 3.3],
      [3, 0],
      [12, 1.65],
    ]);
    expect(parsePairs(f.get('tgt')!)).toEqual([
      [5, 1.2],
      [10, 0.8],
    ]);
    const c2 = parseFields(parseCommand(byName('CYCLE command (1.4, no sources, n=4)').body)!.args);
    expect(parsePairs(c2.get('src')!)).toEqual([]);
    expect(c2.get('n')).toBe('4');
  });

  it('the CYCLE reply parses into two states of 16 nodes', () => {
    const r = parseCycleReply(okPayload('CYCLE reply (1.4, 16 nodes: free and clamped states)'), 16);
    if (typeof r === 'string') throw new Error(r);
    expect(r.vf).toHaveLength(16);
    expect(r.vc).toHaveLength(16);
    expect(r.vf[1]).toBe(2.871204);
    expect(r.vc[5]).toBe(1.143902);
    expect(r.vc[15]).toBe(0.000244);
  });

  it('the 1.4 STEP reply ends with set=, every edge in edge order', () => {
    const f = parseFields(okPayload('STEP reply with the settings after the step (1.4)'));
    expect(parseList(f.get('set')!)).toHaveLength(24);
    expect(f.get('changed')).toBe('9');
    const g = parseFields(okPayload('STEP reply with gate voltages (1.4)'));
    expect(parseList(g.get('set')!)).toEqual([1.25, 0.5, 2.5, 0, 1.75, 0.000125, 2.2, 0.001]);
  });
});

describe('parseCycleReply', () => {
  it('refuses a reply without vc=, with a wrong count, or with a repeated key; ignores unknown keys', () => {
    expect(parseCycleReply(['vf=1,2'], 2)).toMatch(/no vc=/);
    expect(parseCycleReply(['vf=1,2', 'vc=1'], 2)).toMatch(/vc= must list 2 numbers/);
    expect(parseCycleReply(['vf=1,2', 'vc=1,x'], 2)).toMatch(/vc= must list 2 numbers/);
    expect(parseCycleReply(['vf=1,2', 'vc=3,4', 'vf=1,2'], 2)).toMatch(/repeats the key vf/);
    expect(parseCycleReply(['vf=1,2', 'later=9', 'vc=3,4'], 2)).toEqual({ vf: [1, 2], vc: [3, 4] });
  });
});

describe('cycleClamp (the clamp rule of CYCLE, PROTOCOL.md 7.2)', () => {
  it('is V_F + eta (V* - V_F), limited to the DAC range and rounded to 6 decimals', () => {
    expect(cycleClamp(1, 3, 0.5, 0, 5)).toBe(2);
    expect(cycleClamp(1.000001, 2, 1 / 3, 0, 5)).toBe(1.333334); // 1.000001 + 0.999999 / 3, exactly
    expect(cycleClamp(0.2, 0.1, 0.25, 0, 5)).toBe(0.175);
    expect(cycleClamp(4.9, 9, 0.5, 0, 5)).toBe(5); // above the range: the rail
    expect(cycleClamp(0.1, -1, 0.5, 0, 5)).toBe(0);
    expect(cycleClamp(2.5, 1, 1, 0, 5)).toBe(1); // eta = 1 clamps at the target itself
    expect(cycleClamp(0.1234564, 0.1234564, 0.5, 0, 5)).toBe(0.123456);
  });
});

describe('version negotiation through ID (PROTOCOL.md 10)', () => {
  const edges = parseTopology(okPayload('TOPO reply (tap board, 4x4 grid)'))!;
  it('a 1.4 ID parses and says the board has the compound commands; 1.3 and older do not', () => {
    const id14 = parseIdentity(okPayload('ID reply (tap board, protocol 1.4)'), edges);
    if (typeof id14 === 'string') throw new Error(id14);
    expect(id14.protocol).toBe('1.4');
    expect(id14.limits.keep).toBe(256);
    expect(hasCompoundCommands(id14.protocol)).toBe(true);
    for (const [name, proto] of [
      ['ID reply (tap board)', '1.3'],
      ['ID reply (tap board, protocol 1.2)', '1.2'],
      ['ID reply (tap board, protocol 1.1)', '1.1'],
    ] as const) {
      const id = parseIdentity(okPayload(name), edges);
      if (typeof id === 'string') throw new Error(id);
      expect(id.protocol).toBe(proto);
      expect(hasCompoundCommands(id.protocol), name).toBe(false);
    }
  });

  it('CYCLE_MAX_NODES is the most nodes whose two states of 11-byte numbers fit one body', () => {
    const len = (n: number): number => '65535 OK vf= vc='.length + 2 * n * 11 - 2;
    expect(len(CYCLE_MAX_NODES)).toBeLessThanOrEqual(MAX_BODY);
    expect(len(CYCLE_MAX_NODES + 1)).toBeGreaterThan(MAX_BODY);
  });
});
