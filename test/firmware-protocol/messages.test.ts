import { describe, expect, it } from 'vitest';
import {
  encodeFrame,
  formatErr,
  formatNumber,
  MAX_BODY,
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
    ['proto', '2', /protocol 2.*speaks 1/],
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
  ])('%s=%s', (key, value, message) => {
    const r = parseIdentity(withField(key, value), edges);
    expect(typeof r).toBe('string');
    expect(r).toMatch(message);
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
  it('parseNumber reads the protocol forms and nothing else', () => {
    for (const [s, x] of [['-0.125', -0.125], ['1e-3', 0.001], ['3.', 3], ['.5', 0.5], ['+2', 2], ['1E+2', 100], ['007', 7]] as const) expect(parseNumber(s)).toBe(x);
    for (const s of ['', '-', '.', 'e3', '1e', '1.2.3', '0x10', 'Infinity', 'NaN', ' 1', '1 ', '1e999', '--1', '1,5']) expect(parseNumber(s), s).toBeNull();
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
    for (const s of ['', '0:1,0:2', '-1:0', '1.5:0', '1234567:0', '1:', ':1', '1:2:3', '1:x', '0:1,', '0:1,-']) expect(parsePairs(s), s).toBeNull();
  });

  it('parseCommand and parseReply refuse bad sequence numbers and verbs', () => {
    for (const s of ['0 PING', '65536 PING', '01 PING', '-1 PING', '1 ping', '1', '', 'PING', '1  PING']) expect(parseCommand(s), s).toBeNull();
    for (const s of ['0 OK', '1 ok', '1 ERR', '1 ERR 40', '1 ERR abc x', '! boot', '!', '1 MAYBE']) expect(parseReply(s), s).toBeNull();
    expect(nextSeq(65535)).toBe(1);
    expect(nextSeq(1)).toBe(2);
  });
});
