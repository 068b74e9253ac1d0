import { describe, expect, it } from 'vitest';
import {
  frameKeep,
  encodeFrame,
  formatErr,
  formatNumber,
  isIntegerToken,
  isNumberToken,
  MAX_BODY,
  numberTokenValue,
  parseInteger,
  nextSeq,
  parseCommand,
  parseIdentity,
  parseNumber,
  parsePairs,
  parseReply,
  parseTopology,
} from '../../firmware-protocol/codec.js';
import { loadVectors } from '../../firmware-protocol/vectors.js';

const { frames } = loadVectors();
const okPayload = (name: string): string[] => {
  const r = parseReply(frames.find((f) => f.name === name)!.body);
  if (r?.kind !== 'ok') throw new Error(name);
  return r.payload;
};
const idPayload = okPayload('ID reply (tap board)');
const edges = parseTopology(okPayload('TOPO reply (tap board, 4x4 grid)'))!;
/** The tap-board ID payload with field `key` replaced (or removed, for undefined). */
const withField = (key: string, value: string | undefined): string[] => {
  const out = idPayload.filter((f) => !f.startsWith(`${key}=`));
  return value === undefined ? out : [...out, `${key}=${value}`];
};

describe('parseIdentity refuses identities the host could not use', () => {
  it('accepts the golden one', () => {
    expect(typeof parseIdentity(idPayload, edges)).toBe('object');
  });

  it.each([
    ['proto', '2', /protocol 2 \(2\.0\), this host speaks 1\.1, 1\.2, 1\.3 and 1\.4/],
    ['proto', '1', /protocol 1 \(1\.0\), this host speaks 1\.1, 1\.2, 1\.3 and 1\.4/], // a 1.0 board
    ['proto', '1.10', /protocol 1\.10, this host speaks 1\.1, 1\.2, 1\.3 and 1\.4/], // compared as text, not as a number
    ['proto', '', /proto/],
    ['proto', undefined, /proto/],
    ['fw', undefined, /fw/],
    ['board', '', /board/],
    ['uid', undefined, /uid/],
    ['nodes', '0', /nodes/],
    ['nodes', '16.5', /nodes/],
    ['nodes', '-3', /nodes/],
    ['edges', '23', /24/],
    ['edges', '2.5', /edges/],
    ['boot', '-1', /boot/],
    ['boot', 'x', /boot/],
    ['drive', '0,16', /drive.*outside 0\.\.15/],
    ['drive', '0,1.5', /drive/],
    ['drive', '3,3', /drive.*twice/],
    ['clamp', '-1', /clamp/],
    ['clamp', undefined, /clamp/],
    ['adc', '12,3.3,0', /adc.*LO < HI/],
    ['adc', '0,0,3.3', /adc.*BITS/],
    ['adc', '12,0', /adc/],
    ['dac', '1,1', /dac.*LO < HI/],
    ['edge', 'tap,1', /edge/],
    ['edge', 'tap,12.5', /edge/],
    ['edge', 'gate,2,1', /edge/],
    ['edge', 'pot,128', /edge/],
    ['rate', '0', /rate/],
    ['rate', '-5', /rate/],
    ['eta', undefined, /eta/],
    ['eta', '0,1', /eta.*0 < LO/],
    ['eta', '0.5,0.1', /eta/],
    ['eta', '0.1,1.5', /eta/],
    ['sched', '0', /sched/],
    ['sched', '65536', /sched/],
    ['sched', '1.5', /sched/],
    ['amp', '0,1', /gate boards only/],
    ['gstep', '1', /gate boards only/],
  ])('%s=%s', (key, value, message) => {
    const r = parseIdentity(withField(key, value), edges);
    expect(typeof r).toBe('string');
    expect(r).toMatch(message);
  });

  it('a gate board needs amp and gstep, within their rules', () => {
    const gate = okPayload('ID reply (gate board)');
    const gateEdges = parseTopology(okPayload('TOPO reply (gate board)'))!;
    const id = parseIdentity(gate, gateEdges);
    if (typeof id === 'string') throw new Error(id);
    expect(id.limits).toEqual({ eta: { lo: 0.01, hi: 1 }, maxExamples: 64, keep: 1000, amp: { lo: 0, hi: 20 }, gateStep: 0.25 });
    const edit = (key: string, value: string | undefined): string[] => {
      const out = gate.filter((f) => !f.startsWith(`${key}=`));
      return value === undefined ? out : [...out, `${key}=${value}`];
    };
    for (const [k, v] of [['amp', undefined], ['amp', '1,0'], ['amp', '-1,2'], ['amp', '1'], ['gstep', undefined], ['gstep', '0'], ['gstep', '-1']] as const) {
      expect(parseIdentity(edit(k, v), gateEdges), `${k}=${v}`).toMatch(new RegExp(k));
    }
  });

  it('a 1.2 board reports its nominal law (law=), of its own edge kind; a 1.1 board reports none', () => {
    const tap = parseIdentity(idPayload, edges);
    if (typeof tap === 'string') throw new Error(tap);
    expect(tap.law).toEqual({ kind: 'tap', rMin: 50, rMax: 100000 });
    const gate = parseIdentity(okPayload('ID reply (gate board)'), parseTopology(okPayload('TOPO reply (gate board)'))!);
    if (typeof gate === 'string') throw new Error(gate);
    expect(gate.law).toEqual({ kind: 'gate', s: 850 / 1e6, vt: 0.62 }); // s travels in uS/V
    for (const [value, message] of [
      [undefined, /no law field \(protocol 1\.3 requires it\)/],
      ['ohmic,850,0.62', /ohmic \(a gate law\) but the board has tap edges/],
      ['geometric,100000,50', /geometric,RMIN,RMAX.*0 < RMIN < RMAX/],
      ['geometric,0,50', /law must be/],
      ['geometric,50', /law must be/],
      ['linear,100,50', /law must be/],
      ['linear,50', /law must be/],
      ['ohmic,850,0.62', /ohmic \(a gate law\) but the board has tap edges/],
      ['geometric,50,1e5x', /law must be/],
    ] as const) {
      expect(parseIdentity(withField('law', value), edges), String(value)).toMatch(message);
    }
    const old = parseIdentity(okPayload('ID reply (tap board, protocol 1.1)'), edges);
    if (typeof old === 'string') throw new Error(old);
    expect(old.protocol).toBe('1.1');
    expect(old.law).toBeUndefined();
    // law= is not a 1.1 field: a 1.1 board that sends it is read as 1.1 (unknown keys are ignored)
    const oldWithLaw = parseIdentity([...okPayload('ID reply (tap board, protocol 1.1)'), 'law=nonsense'], edges);
    expect(oldWithLaw).toEqual(old);
    // law=linear (protocol 1.3): tap boards only, 0 < RMIN < RMAX
    expect(parseIdentity(withField('law', 'linear,1084.0625,11045'), edges)).toMatchObject({ law: { kind: 'tap', rMin: 1084.0625, rMax: 11045, taper: 'linear' } });
    const gateLinear = okPayload('ID reply (gate board)').map((f) => (f.startsWith('law=') ? 'law=linear,1,2' : f));
    expect(parseIdentity(gateLinear, parseTopology(okPayload('TOPO reply (gate board)'))!)).toMatch(/linear \(a tap law\) but the board has gate edges/);
  });

  it('keep= (protocol 1.3): required, an integer in 1..65535; a 1.2 or 1.1 board keeps 256 and its keep= is ignored', () => {
    for (const v of [undefined, '0', '65536', '1.5', '-1', 'x']) expect(parseIdentity(withField('keep', v), edges), String(v)).toMatch(/keep must be an integer in 1\.\.65535/);
    const k1 = parseIdentity(withField('keep', '1'), edges);
    if (typeof k1 === 'string') throw new Error(k1);
    expect(k1.limits.keep).toBe(1);
    expect(frameKeep(k1.limits)).toBe(1);
    const old = parseIdentity([...okPayload('ID reply (tap board, protocol 1.2)'), 'keep=8'], edges);
    if (typeof old === 'string') throw new Error(old);
    expect(old.limits.keep).toBeUndefined();
    expect(frameKeep(old.limits)).toBe(256);
  });

  it('finds fields by key in any order, ignores unknown keys, refuses a key given twice', () => {
    const shuffled = [idPayload[0], ...idPayload.slice(1).reverse(), 'future=42', 'x=y=z'];
    expect(parseIdentity(shuffled, edges)).toEqual(parseIdentity(idPayload, edges));
    expect(parseIdentity([...idPayload, 'nodes=16'], edges)).toMatch(/nodes twice/);
  });

  it('checks the TOPO edge ends against the node count', () => {
    const bad = edges.map((e) => [...e] as [number, number]);
    bad[5] = [3, 16];
    expect(parseIdentity(idPayload, bad)).toMatch(/TOPO edge 5/);
    bad[5] = [4, 4];
    expect(parseIdentity(idPayload, bad)).toMatch(/itself/);
  });
});

describe('formatErr', () => {
  it('replaces *, control and non-ASCII characters so the frame stays valid', () => {
    const body = formatErr(3, 400, 'bad *arg*\tvalue é\n');
    expect(body).toBe('3 ERR 400 bad ?arg??value ??');
    expect(() => encodeFrame(body)).not.toThrow();
  });

  it('cuts a message too long for one frame, so an error reply can always be sent', () => {
    const body = formatErr(65535, 416, 'voltage out of range: ' + '9'.repeat(5000));
    expect(body.length).toBe(MAX_BODY);
    expect(body.endsWith('...')).toBe(true);
    expect(() => encodeFrame(body)).not.toThrow();
    expect(parseReply(body)).toMatchObject({ kind: 'err', seq: 65535, code: 416 });
    const fits = formatErr(1, 400, 'x'.repeat(MAX_BODY - '1 ERR 400 '.length));
    expect(fits.length).toBe(MAX_BODY);
    expect(fits.endsWith('x')).toBe(true);
  });
});

describe('small parsers', () => {
  it('parseNumber reads the JSON number grammar (PROTOCOL.md 3.3), rounded to 6 decimals, and nothing else', () => {
    for (const [s, x] of [['-0.125', -0.125], ['1e-3', 0.001], ['5E-1', 0.5], ['1E+2', 100], ['0', 0], ['2.0000004', 2], ['0.0000008', 0.000001]] as const) expect(parseNumber(s), s).toBe(x);
    expect(Object.is(parseNumber('-0'), 0)).toBe(true);
    for (const s of ['', '-', '.', 'e3', '1e', '1.2.3', '0x10', 'Infinity', 'NaN', ' 1', '1 ', '1e999', '--1', '1,5', '3.', '.5', '+2', '007', '+0.5']) expect(parseNumber(s), s).toBeNull();
  });

  it('integer tokens: digits without sign or leading zero; any size is still a token (its value is judged apart)', () => {
    for (const s of ['0', '7', '65535', '99999999999999999999999']) expect(isIntegerToken(s), s).toBe(true);
    for (const s of ['', '-0', '+3', '03', '3.0', '3e0', ' 3', '0x1']) expect(isIntegerToken(s), s).toBe(false);
    expect(parseInteger('99999999999999999999999')).toBeNull(); // not a safe integer: a host refuses it
    expect(isNumberToken('1e999')).toBe(true);
    expect(numberTokenValue('1e999')).toBe(Infinity); // a device answers 416 (out of range), not 400
  });

  it('formatErr leaves no trailing space for an empty message', () => {
    expect(formatErr(7, 400, '')).toBe('7 ERR 400');
    expect(parseReply('7 ERR 400')).toEqual({ kind: 'err', seq: 7, code: 400, message: '' });
  });

  it('formatNumber writes integers plainly and others with at most 6 decimals', () => {
    expect(formatNumber(3)).toBe('3');
    expect(formatNumber(-0)).toBe('0');
    expect(formatNumber(0.1 + 0.2)).toBe('0.3');
    expect(formatNumber(-1e-7)).toBe('0');
    expect(formatNumber(1.0000005)).toMatch(/^1\.000001$|^1$/);
    expect(formatNumber(2.5e-6)).toBe('0.000003');
  });

  it('parsePairs rejects repeated indices, bad indices and bad values', () => {
    expect(parsePairs('0:0.5,3:0.2')).toEqual([[0, 0.5], [3, 0.2]]);
    for (const s of ['', '0:1,0:2', '-1:0', '1.5:0', '01:0', '1:', ':1', '1:2:3', '1:x', '0:1,', '0:1,-', '1:.5']) expect(parsePairs(s), s).toBeNull();
    expect(parsePairs('1234567:0')).toEqual([[1234567, 0]]);
  });

  it('parseCommand and parseReply refuse bad sequence numbers and verbs', () => {
    for (const s of ['0 PING', '65536 PING', '01 PING', '-1 PING', '+1 PING', '1.0 PING', '1 ping', '1', '', 'PING', '1  PING', '1 PING ', ' 1 PING']) expect(parseCommand(s), s).toBeNull();
    for (const s of ['0 OK', '1 ok', '1 ERR', '1 ERR 40', '1 ERR abc x', '1 ERR 040 x', '! boot', '!', '1 MAYBE', '1 OK  x', '1 OK x ', '! DONE  steps=1']) expect(parseReply(s), s).toBeNull();
    expect(parseReply('1 ERR 400 two  spaces ')).toEqual({ kind: 'err', seq: 1, code: 400, message: 'two  spaces ' });
    expect(nextSeq(65535)).toBe(1);
    expect(nextSeq(1)).toBe(2);
  });
});
