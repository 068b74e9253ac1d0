import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  frameKeep,
  crc16,
  decodeFrame,
  encodeFrame,
  ErrorCode,
  formatCommand,
  formatErr,
  formatEvent,
  formatIdentity,
  formatList,
  formatOk,
  formatPairs,
  formatTopology,
  LineDecoder,
  MAX_LINE,
  parseCommand,
  parseFields,
  parseIdentity,
  parseList,
  parsePairs,
  parseReply,
  parseTopology,
  type Reply,
} from '../../firmware-protocol/codec.js';
import { findVectorsDir, loadVectors, type FrameVector } from '../../firmware-protocol/vectors.js';
import { bytes, crcBitwise, hex4 } from './reference.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { frames, badLines, conversations } = loadVectors();
const byName = (name: string): FrameVector => {
  const v = frames.find((f) => f.name === name);
  if (!v) throw new Error(`no vector ${name}`);
  return v;
};
const reply = (name: string): Reply => parseReply(byName(name).body)!;
const payload = (name: string): string[] => {
  const r = reply(name);
  if (r.kind !== 'ok') throw new Error(`${name} is not an OK reply`);
  return r.payload;
};

describe('the bit-at-a-time reference CRC', () => {
  it('has the CRC-16/CCITT-FALSE check value 29B1 and agrees with the table CRC', () => {
    expect(hex4(crcBitwise('123456789'))).toBe('29B1');
    expect(crc16('123456789')).toBe(0x29b1);
    expect(crcBitwise('')).toBe(0xffff);
    const all = new Uint8Array(256).map((_, i) => i);
    expect(crc16(all)).toBe(crcBitwise(all));
    expect(crc16(all, 10, 200)).toBe(crcBitwise(all.subarray(10, 200)));
  });
});

describe('golden frames (firmware-protocol/vectors/frames.json)', () => {
  it('are well-formed: unique names, line = BODY*CRC\\n with the reference CRC, at most MAX_LINE bytes', () => {
    expect(new Set(frames.map((f) => f.name)).size).toBe(frames.length);
    for (const f of frames) {
      expect(f.line, f.name).toBe(`${f.body}*${hex4(crcBitwise(f.body))}\n`);
      expect(f.line.length - 1, f.name).toBeLessThanOrEqual(MAX_LINE);
    }
    expect(Math.max(...frames.map((f) => f.line.length - 1))).toBe(MAX_LINE); // one fills a line exactly
  });

  it.each(frames.map((f) => [f.name, f] as const))('%s: encodeFrame reproduces the line, decodeFrame gives the body back', (_, f) => {
    expect(encodeFrame(f.body)).toBe(f.line);
    expect(decodeFrame(f.line.slice(0, -1))).toEqual({ ok: true, body: f.body });
    expect(decodeFrame(f.line.slice(0, -1) + '\r')).toEqual({ ok: true, body: f.body }); // CRLF
  });

  it('come out of a LineDecoder fed all of them at once, as bytes and as a string, with no error counted', () => {
    const all = frames.map((f) => f.line).join('');
    for (const input of [all, bytes(all)]) {
      const d = new LineDecoder();
      expect(d.push(input)).toEqual(frames.map((f) => f.body));
      expect(d.counters).toEqual({ crc: 0, garbage: 0, overlong: 0 });
      expect(d.pending).toBe(0);
    }
  });

  it('cover every command verb, event kind and error code of PROTOCOL.md', () => {
    const verbs = new Set<string>();
    for (const f of frames.filter((x) => x.dir === 'host')) {
      const c = parseCommand(f.body);
      expect(c, f.name).not.toBeNull();
      verbs.add(c!.verb === 'SCHED' ? `SCHED ${c!.args[0]}` : c!.verb);
    }
    const verbsOfSpec = ['PING', 'ID', 'TOPO', 'STAT', 'SRC', 'CLAMP', 'MEAS', 'EGET', 'ESET', 'STEP', 'CYCLE', 'SCHED BEGIN', 'SCHED EX', 'SCHED END', 'RUN', 'GRANT', 'HALT', 'RESEND', 'RESET'];
    expect([...verbs].sort()).toEqual([...verbsOfSpec].sort());

    const events = new Set<string>();
    const codes = new Set<number>();
    for (const f of frames.filter((x) => x.dir === 'device')) {
      const r = parseReply(f.body);
      expect(r, f.name).not.toBeNull();
      if (r!.kind === 'event') events.add(r!.event);
      if (r!.kind === 'err') codes.add(r!.code);
    }
    expect([...events].sort()).toEqual(['BOOT', 'DONE', 'FRAME', 'LOG']);
    expect([...codes].sort()).toEqual(Object.values(ErrorCode).sort());
  });

  it('are what the message formatters write (so both sides send the same bytes)', () => {
    for (const f of frames) {
      if (f.dir === 'host') {
        const c = parseCommand(f.body)!;
        expect(formatCommand(c.seq, c.verb, c.args), f.name).toBe(f.body);
        continue;
      }
      const r = parseReply(f.body)!;
      const again = r.kind === 'ok' ? formatOk(r.seq, r.payload) : r.kind === 'err' ? formatErr(r.seq, r.code, r.message) : formatEvent(r.event, r.fields);
      expect(again, f.name).toBe(f.body);
    }
  });

  it('ID and TOPO replies parse into identities that format back to the same payload', () => {
    for (const [idName, topoName, kind] of [
      ['ID reply (tap board)', 'TOPO reply (tap board, 4x4 grid)', 'tap'],
      ['ID reply (gate board)', 'TOPO reply (gate board)', 'gate'],
    ] as const) {
      const edges = parseTopology(payload(topoName));
      expect(edges).not.toBeNull();
      expect(formatTopology(edges!)).toEqual(payload(topoName));
      const id = parseIdentity(payload(idName), edges!);
      if (typeof id === 'string') throw new Error(id);
      expect(id.edge.kind).toBe(kind);
      expect(id.protocol).toBe('1.3');
      expect(formatIdentity(id)).toEqual(payload(idName));
    }
    const tap = parseIdentity(payload('ID reply (tap board)'), parseTopology(payload('TOPO reply (tap board, 4x4 grid)'))!);
    expect(tap).toMatchObject({ firmware: '1.0.3', model: 'penn-gen1', uid: '3A7F09C2', bootCount: 17, nodes: 16, drivable: [0, 3, 12, 15], clampable: [5, 6, 9, 10], adc: { bits: 12, lo: 0, hi: 3.3 }, dac: { lo: 0, hi: 3.3 }, edge: { kind: 'tap', taps: 128 }, maxSampleRate: 50000, limits: { eta: { lo: 0.000001, hi: 1 }, maxExamples: 256 }, law: { kind: 'tap', rMin: 50, rMax: 100000 } });
    const old = parseIdentity(payload('ID reply (tap board, protocol 1.1)'), parseTopology(payload('TOPO reply (tap board, 4x4 grid)'))!);
    if (typeof old === 'string') throw new Error(old);
    // a 1.1 board keeps 256 frames (no keep= field, PROTOCOL.md 10): the tap vector says keep=256 explicitly
    expect(old).toEqual({ ...(tap as object), protocol: '1.1', law: undefined, limits: { eta: { lo: 0.000001, hi: 1 }, maxExamples: 256 } });
    expect(frameKeep(old.limits)).toBe(256);
    expect(formatIdentity(old)).toEqual(payload('ID reply (tap board, protocol 1.1)'));
    // a 1.2 board: law=, no keep=; read as keeping 256
    const v12 = parseIdentity(payload('ID reply (tap board, protocol 1.2)'), parseTopology(payload('TOPO reply (tap board, 4x4 grid)'))!);
    if (typeof v12 === 'string') throw new Error(v12);
    expect(v12).toEqual({ ...(tap as object), protocol: '1.2', limits: { eta: { lo: 0.000001, hi: 1 }, maxExamples: 256 } });
    expect(frameKeep(v12.limits)).toBe(256);
    expect(formatIdentity(v12)).toEqual(payload('ID reply (tap board, protocol 1.2)'));
    // the reference board: linear law, keep=32 (firmware/HARDWARE.md)
    const ref = parseIdentity(payload('ID reply (tap board, linear law)'), parseTopology(payload('TOPO reply (tap board, 4x4 grid)'))!);
    if (typeof ref === 'string') throw new Error(ref);
    expect(ref).toMatchObject({ protocol: '1.3', model: 'clln-ref16', edge: { kind: 'tap', taps: 256 }, law: { kind: 'tap', rMin: 1084.0625, rMax: 11045, taper: 'linear' }, limits: { maxExamples: 48, keep: 32 } });
    expect(formatIdentity(ref)).toEqual(payload('ID reply (tap board, linear law)'));
  });

  it('carry payloads the argument parsers read: 16 voltages, pairs, lists, fields', () => {
    const volts = parseList(payload('MEAS reply (16 voltages)')[0])!;
    expect(volts).toHaveLength(16);
    expect(volts.every((v) => v >= 0 && v <= 3.3)).toBe(true);
    expect(formatList(volts)).toBe(payload('MEAS reply (16 voltages)')[0]);
    expect(parseList(payload('EGET reply (24 taps)')[0])).toHaveLength(24);

    const eset = parseCommand(byName('ESET command (gate voltages)').body)!;
    expect(parsePairs(eset.args[0])).toEqual([[1, 0.75], [2, 2.125], [7, 0]]);
    expect(formatPairs(parsePairs(eset.args[0])!)).toBe(eset.args[0]);
    expect(parsePairs(parseCommand(byName('SRC release all').body)!.args[0])).toEqual([]);

    const step = parseFields(parseCommand(byName('STEP command (gate, amp)').body)!.args);
    expect(step.get('eta')).toBe('0.25');
    expect(parsePairs(step.get('tgt')!)).toEqual([[4, -0.5]]);
    expect(step.get('amp')).toBe('0.02');

    const ex = parseCommand(byName('SCHED EX command').body)!;
    expect(ex.args[0]).toBe('EX');
    expect(ex.args[1]).toBe('0');
    const exFields = parseFields(ex.args.slice(2));
    expect(parseList(exFields.get('in')!)).toEqual([3.3, 0]);
    expect(parseList(exFields.get('out')!)).toEqual([1.2, 0.8]);

    const frame = reply('FRAME event');
    expect(frame).toEqual({ kind: 'event', event: 'FRAME', fields: ['36', 'ex=0', 'vf=1.19,0.805512', 'changed=0'] });
    expect(reply('BOOT banner')).toEqual({ kind: 'event', event: 'BOOT', fields: ['fw=1.0.3', 'proto=1.3', 'board=penn-gen1', 'boot=18'] });
    // RESEND answers exactly the fields that follow the word FRAME (PROTOCOL.md 7)
    expect(payload('RESEND reply')).toEqual(['35', 'ex=2', 'vf=1.1,0.79', 'changed=4']);
    expect(reply('DONE event of a failed run')).toEqual({ kind: 'event', event: 'DONE', fields: ['steps=12', 'fail=409'] });
    expect(reply('ERR reply without a message')).toEqual({ kind: 'err', seq: 26, code: 400, message: '' });
    expect(reply('ERR 503 reply')).toEqual({ kind: 'err', seq: 31, code: 503, message: 'busy: autonomous run active' });
    expect(parseCommand(byName('SEQ at the wrap point').body)).toEqual({ seq: 65535, verb: 'PING', args: [] });
  });
});

describe('bad lines (firmware-protocol/vectors/bad-lines.json)', () => {
  it('are single lines ending in LF, of one char per byte', () => {
    for (const b of badLines) {
      expect(b.line.endsWith('\n'), b.name).toBe(true);
      expect(b.line.indexOf('\n'), b.name).toBe(b.line.length - 1);
      expect([...b.line].every((ch) => ch.charCodeAt(0) < 256), b.name).toBe(true);
      expect(['crc', 'garbage', 'overlong']).toContain(b.error);
    }
    expect(new Set(badLines.map((b) => b.error))).toEqual(new Set(['crc', 'garbage', 'overlong']));
  });

  it.each(badLines.map((b) => [b.name, b] as const))('%s: rejected, counted once as the vector says', (_, b) => {
    expect(decodeFrame(b.line.slice(0, -1))).toEqual({ ok: false, error: b.error });
    for (const input of [b.line, bytes(b.line)]) {
      const d = new LineDecoder();
      expect(d.push(input)).toEqual([]);
      expect(d.counters).toEqual({ crc: 0, garbage: 0, overlong: 0, [b.error]: 1 });
      expect(d.pending).toBe(0);
      // the receiver is in sync again for the next frame
      expect(d.push(encodeFrame('1 OK'))).toEqual(['1 OK']);
    }
  });

  it('interleaved with good frames cost exactly one count each and no good frame', () => {
    const d = new LineDecoder();
    const good = frames.slice(0, badLines.length);
    const out = d.push(badLines.map((b, i) => b.line + good[i].line).join(''));
    expect(out).toEqual(good.map((f) => f.body));
    const expected = { crc: 0, garbage: 0, overlong: 0 };
    for (const b of badLines) expected[b.error]++;
    expect(d.counters).toEqual(expected);
  });
});

describe('conversations (firmware-protocol/vectors/conversations.json)', () => {
  it('are well-formed and language-neutral: sends are lines ending in LF, exact replies carry their exact line', () => {
    expect(conversations.length).toBeGreaterThan(10);
    expect(new Set(conversations.map((c) => c.name)).size).toBe(conversations.length);
    for (const c of conversations) {
      expect(['penn-gen1', 'penn-gen2', 'clln-ref16'], c.name).toContain(c.board);
      for (const st of c.steps) {
        expect(st.send.endsWith('\n'), c.name).toBe(true);
        expect([...st.send].every((ch) => ch.charCodeAt(0) < 256), c.name).toBe(true);
        for (const e of st.expect) {
          if ('reply' in e) expect(e.line, c.name).toBe(`${e.reply}*${hex4(crcBitwise(e.reply))}\n`);
          if ('match' in e) for (const re of [e.match].flat()) expect(re, c.name).not.toMatch(/\\d|\(\?/); // no \d, no lookarounds: POSIX ERE too
        }
      }
    }
  });

  it('include "no reply" steps and counter checks', () => {
    const steps = conversations.flatMap((c) => c.steps);
    expect(steps.filter((s) => s.expect.length === 0).length).toBeGreaterThan(10);
    const matches = steps.flatMap((s) => s.expect.flatMap((e) => ('match' in e ? [e.match].flat() : [])));
    for (const counter of ['crc', 'garbage', 'overlong', 'dup', 'badseq', 'steps', 'run', 'runstep', 'runerr']) {
      expect(matches.some((m) => m.includes(`${counter}=`)), counter).toBe(true);
    }
  });
});

describe('loadVectors', () => {
  it('finds the vectors from source and from the compiled location dist/firmware-protocol', () => {
    const dir = join(root, 'firmware-protocol', 'vectors');
    expect(findVectorsDir()).toBe(dir);
    expect(findVectorsDir(join(root, 'dist', 'firmware-protocol'))).toBe(dir);
    expect(() => findVectorsDir('/')).toThrow(/not found/);
  });

  it('returns a fresh copy each call', () => {
    const a = loadVectors();
    a.frames.length = 0;
    expect(loadVectors().frames.length).toBe(frames.length);
  });

  const compiled = join(root, 'dist', 'firmware-protocol', 'vectors.js');
  it.skipIf(!existsSync(compiled))('works when imported from dist/ (after a build)', async () => {
    const mod = (await import(pathToFileURL(compiled).href)) as typeof import('../../firmware-protocol/vectors.js');
    expect(mod.loadVectors()).toEqual(loadVectors());
  });
});
