import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  crc16,
  decodeFrame,
  encodeFrame,
  formatCommand,
  formatErr,
  formatEvent,
  formatIdentity,
  formatList,
  formatNumber,
  formatOk,
  formatPairs,
  LineDecoder,
  MAX_BODY,
  MAX_LINE,
  MAX_PAIR_INDEX,
  parseCommand,
  parseFields,
  parseIdentity,
  parseList,
  parseNumber,
  parsePairs,
  parseReply,
  parseTopology,
  wireNumber,
  type BoardIdentity,
} from '../../firmware-protocol/codec.js';
import { loadVectors } from '../../firmware-protocol/vectors.js';
import { bytes, crcBitwise, latin1, refJudge, refLine, refStream } from './reference.js';

const { frames, badLines } = loadVectors();
const runs = (numRuns: number) => ({ numRuns });

// ---- arbitraries ----

const bodyChars = [...Array(0x7f - 0x20).keys()].map((i) => String.fromCharCode(0x20 + i)).filter((c) => c !== '*');
/** A valid frame body: printable ASCII without '*', mostly short, sometimes up to the limit. */
const body = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: fc.constantFrom(...bodyChars), maxLength: 60 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...bodyChars), minLength: MAX_BODY - 20, maxLength: MAX_BODY }) },
  { weight: 2, arbitrary: fc.constantFrom(...frames.map((f) => f.body)) },
);
/**
 * Any UTF-16 string: code units 0..FFFF (lone surrogates included) and astral characters. (Built by hand: fast-check's
 * `unit: 'binary'` costs about a second on first use.)
 */
const utf16 = (maxLength: number) =>
  fc.string({
    unit: fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) },
      { weight: 1, arbitrary: fc.integer({ min: 0x10000, max: 0x10ffff }).map((c) => String.fromCodePoint(c)) },
    ),
    maxLength,
  });
/** Any byte string (one char per byte), rich in the bytes that matter to framing. */
const byteString = fc.string({
  unit: fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 0, max: 255 }).map((b) => String.fromCharCode(b)) },
    { weight: 2, arbitrary: fc.constantFrom('\n', '\r', '*', 'A', '0', ' ', '1') },
  ),
  maxLength: 300,
});
/** A piece of a stream whose fate is known: a good frame, a duplicate, a bad line of a known kind, or raw noise. */
type Piece = { text: string; body?: string; error?: 'crc' | 'garbage' | 'overlong' };
const piece: fc.Arbitrary<Piece> = fc.oneof(
  body.map((b) => ({ text: refLine(b), body: b })),
  fc.constantFrom(...badLines).map((b) => ({ text: b.line, error: b.error })),
  // a frame cut short (at least one byte kept: an empty line is ignored, not an error), then a line feed
  body.chain((b) => fc.integer({ min: 1, max: b.length + 4 }).map((k) => ({ text: refLine(b).slice(0, k) + '\n', error: 'crc' as const }))),
  // empty lines: ignored and not counted (PROTOCOL.md 1.1 section 1)
  fc.constantFrom('\n', '\r\n').map((text) => ({ text })),
  // a line with a byte outside 0x20..0x7E somewhere (and no LF), not too long
  fc.tuple(body, fc.constantFrom('\u0000', '\t', '\u007f', '\u0080', '\u00ff', '\u001b'), fc.nat()).map(([b, bad, at]) => {
    const line = refLine(b).slice(0, -1);
    const i = at % Math.min(line.length + 1, MAX_LINE); // where the cut to MAX_LINE below keeps it
    return { text: (line.slice(0, i) + bad + line.slice(i)).slice(0, MAX_LINE) + '\n', error: 'garbage' as const };
  }),
  // too long, of any bytes but LF
  fc.integer({ min: MAX_LINE + 1, max: MAX_LINE + 600 }).map((n) => ({ text: 'w'.repeat(n - 1) + '\u00ff\n', error: 'overlong' as const })),
);
/** Cut a string at random places. */
const cutsFor = (n: number) => fc.uniqueArray(fc.integer({ min: 0, max: n }), { maxLength: 12 }).map((c) => c.sort((a, b) => a - b));

function feed(input: string | Uint8Array, cuts: number[]) {
  const d = new LineDecoder();
  const bodies: string[] = [];
  let at = 0;
  for (const c of [...cuts, input.length]) {
    bodies.push(...d.push(input.slice(at, c)));
    expect(d.pending).toBeLessThanOrEqual(MAX_LINE + 1);
    at = c;
  }
  return { bodies, counters: { ...d.counters }, pending: d.pending };
}

// ---- properties ----

describe('nothing throws, whatever the input', () => {
  it('decodeFrame on any string (any UTF-16 code units) returns a well-formed result that matches the reference', () => {
    fc.assert(
      fc.property(fc.oneof(utf16(100), fc.string({ unit: 'binary-ascii', maxLength: 50 }), byteString), (s) => {
        const r = decodeFrame(s);
        if (r.ok) expect(encodeFrame(r.body)).toBe(s.replace(/\r$/, '') + '\n');
        else expect(['crc', 'garbage', 'overlong', 'empty']).toContain(r.error);
        // chars above U+00FF are not bytes; the reference judges one char per byte, which agrees on them (garbage)
        expect(r).toEqual(refJudge(s));
      }),
      runs(500),
    );
  });

  it('LineDecoder on any Uint8Array or string, in any chunks, matches the reference and holds at most MAX_LINE + 1 bytes', () => {
    const input = fc.oneof(fc.uint8Array({ maxLength: 400 }).map(latin1), byteString).chain((s) => fc.tuple(fc.constant(s), cutsFor(s.length)));
    fc.assert(
      fc.property(input, fc.boolean(), ([s, cuts], asBytes) => {
        expect(feed(asBytes ? bytes(s) : s, cuts)).toEqual(refStream(s));
      }),
      runs(500),
    );
    fc.assert(
      fc.property(fc.oneof(utf16(200), byteString.map((s) => s + '\u0100\u010a\u0131' + s)), cutsFor(400), (s, cuts) => {
        // a char above U+00FF is no byte: the reference counts it as a non-printable one (never as LF or '1')
        expect(feed(s, cuts.filter((c) => c <= s.length))).toEqual(refStream(s));
      }),
      runs(300),
    );
  });

  it('the message and argument parsers on any string return a value or null, never throw', () => {
    const anyString = fc.oneof(utf16(80), byteString, fc.constantFrom(...frames.map((f) => f.body)));
    fc.assert(
      fc.property(anyString, (s) => {
        parseCommand(s);
        parseReply(s);
        parsePairs(s);
        parseList(s);
        parseTopology([s]);
        parseFields(s.split(' '));
        const x = parseNumber(s);
        if (x !== null) expect(Number.isFinite(x)).toBe(true);
      }),
      runs(500),
    );
  });

  it('parseIdentity on any payload and edge list returns an identity or an error string, never throws', () => {
    const tapId = parseReply(frames.find((f) => f.name === 'ID reply (tap board)')!.body);
    const base = tapId!.kind === 'ok' ? tapId!.payload : [];
    const field = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.constantFrom(...base),
      fc.tuple(fc.constantFrom('proto', 'nodes', 'edges', 'boot', 'drive', 'clamp', 'adc', 'dac', 'edge', 'rate', 'fw', 'eta', 'sched', 'amp', 'gstep'), fc.string({ maxLength: 12 })).map(([k, v]) => `${k}=${v}`),
    );
    fc.assert(
      fc.property(fc.array(field, { maxLength: 16 }), fc.array(fc.tuple(fc.integer({ min: -2, max: 20 }), fc.integer({ min: -2, max: 20 })), { maxLength: 30 }), (payload, edges) => {
        const r = parseIdentity(payload, edges);
        expect(typeof r === 'string' || typeof r === 'object').toBe(true);
      }),
      runs(500),
    );
  });

  it('no parser is slow on a long run of digits (no regex backtracking blow-up)', () => {
    // The old backtracking regex was quadratic: ~8 s on 50,000 digits, so well over the test's timeout (the only
    // clock here, as a safety net) on these 200,000; the linear parsers take a few ms. No wall-clock assertion.
    const digits = '1'.repeat(200_000);
    expect(parseNumber(digits + 'x')).toBeNull();
    expect(parseNumber(digits + '.' + digits + 'e')).toBeNull();
    expect(parseList(`${digits}x,1`)).toBeNull();
    expect(parsePairs(`1:${digits}x`)).toBeNull();
    expect(parseCommand(`1 SRC 0:${digits}x`)).not.toBeNull();
    expect(decodeFrame(digits)).toEqual({ ok: false, error: 'overlong' });
  });
});

describe('frames', () => {
  it('the table CRC equals the bit-at-a-time CRC on any bytes and any range', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), fc.nat(), (b, x, y) => {
        expect(crc16(b)).toBe(crcBitwise(b));
        expect(crc16(latin1(b))).toBe(crcBitwise(b));
        const [s, e] = [x % (b.length + 1), y % (b.length + 1)].sort((p, q) => p - q);
        expect(crc16(b, s, e)).toBe(crcBitwise(b.subarray(s, e)));
      }),
      runs(300),
    );
  });

  it('a random valid frame round-trips: encode, decode (LF or CRLF), LineDecoder', () => {
    fc.assert(
      fc.property(body, (b) => {
        const line = encodeFrame(b);
        expect(line).toBe(refLine(b));
        expect(decodeFrame(line.slice(0, -1))).toEqual({ ok: true, body: b });
        expect(decodeFrame(line.slice(0, -1) + '\r')).toEqual({ ok: true, body: b });
        const d = new LineDecoder();
        expect(d.push(bytes(line))).toEqual([b]);
        expect(d.push(line.replace('\n', '\r\n'))).toEqual([b]);
        expect(d.counters).toEqual({ crc: 0, garbage: 0, overlong: 0 });
      }),
      runs(300),
    );
  });

  it('a truncated frame (a proper, non-empty prefix, then LF) is rejected and counted as crc; the next frame decodes', () => {
    fc.assert(
      fc.property(body, fc.nat(), (b, k) => {
        const line = encodeFrame(b).slice(0, -1);
        const prefix = line.slice(0, 1 + (k % (line.length - 1)));
        expect(decodeFrame(prefix)).toEqual({ ok: false, error: 'crc' });
        const d = new LineDecoder();
        expect(d.push(prefix + '\n' + encodeFrame('5 OK'))).toEqual(['5 OK']);
        expect(d.counters).toEqual({ crc: 1, garbage: 0, overlong: 0 });
      }),
      runs(300),
    );
  });

  it('a duplicated frame is decoded twice (the device answers a retry from its cache, not the decoder)', () => {
    fc.assert(
      fc.property(body, fc.integer({ min: 2, max: 4 }), (b, n) => {
        const d = new LineDecoder();
        expect(d.push(encodeFrame(b).repeat(n))).toEqual(Array(n).fill(b));
        expect(d.counters).toEqual({ crc: 0, garbage: 0, overlong: 0 });
      }),
      runs(200),
    );
  });

  it('a single bit flip anywhere in a line is always detected: rejected as crc or garbage, never another body', () => {
    fc.assert(
      fc.property(body, fc.nat(), fc.integer({ min: 0, max: 7 }), (b, at, bit) => {
        const line = encodeFrame(b).slice(0, -1);
        const i = at % line.length;
        const flipped = line.slice(0, i) + String.fromCharCode(line.charCodeAt(i) ^ (1 << bit)) + line.slice(i + 1);
        const r = decodeFrame(flipped);
        expect(r.ok).toBe(false);
        if (!r.ok) expect(['crc', 'garbage']).toContain(r.error);
      }),
      runs(500),
    );
  });

  it('a bit flip in a streamed frame (its LF included) loses only that frame; the next one decodes', () => {
    fc.assert(
      fc.property(body, fc.nat(), fc.integer({ min: 0, max: 7 }), cutsFor(80), (b, at, bit, cuts) => {
        const line = encodeFrame(b);
        const i = at % line.length;
        const flipped = line.slice(0, i) + String.fromCharCode(line.charCodeAt(i) ^ (1 << bit)) + line.slice(i + 1);
        const next = encodeFrame('77 OK credits=1');
        const stream = flipped + next + next;
        const got = feed(bytes(stream), cuts.filter((c) => c <= stream.length));
        expect(got).toEqual(refStream(stream));
        // every line counts once as a body or an error, except empty ones, which PROTOCOL.md 1.1 ignores (a flip that
        // turns the '*' of an empty body into a LF leaves an empty head)
        const lines = stream.split('\n').slice(0, -1).filter((l) => l.replace(/\r$/, '') !== '').length;
        expect(got.bodies.length + got.counters.crc + got.counters.garbage + got.counters.overlong).toBe(lines);
        const bad = got.counters.crc + got.counters.garbage + got.counters.overlong;
        if (flipped[i] !== '\n' && line[i] !== '\n') {
          // the flip neither made nor removed a line feed: exactly one bad line, both following frames intact
          expect(got.bodies).toEqual(['77 OK credits=1', '77 OK credits=1']);
          expect(got.counters.crc + got.counters.garbage).toBe(1);
        } else if (line[i] === '\n') {
          // the LF is gone: the damaged frame runs into the next one, which is lost with it (a retry recovers it)
          expect(got.bodies).toEqual(['77 OK credits=1']);
          expect(bad).toBe(1);
        } else {
          // a byte ('J' or the '*') became a LF: the line is cut in two. The head has no CRC; the tail is a proper
          // suffix of the body and passes only by a 1-in-65536 CRC coincidence, as a genuinely valid frame
          // (the reference agrees, above). The damaged frame itself is never accepted.
          expect(got.bodies.slice(-2)).toEqual(['77 OK credits=1', '77 OK credits=1']);
          const extra = got.bodies.slice(0, -2);
          const pieces = flipped.split('\n').slice(0, 2).filter((l) => l.replace(/\r$/, '') !== '').length;
          expect(extra.length + bad).toBe(pieces);
          for (const x of extra) expect(x !== b && b.endsWith(x)).toBe(true);
        }
      }),
      runs(500),
    );
  });

  it('counts every bad line exactly once and keeps every good frame, in any stream cut anywhere', () => {
    const streams = fc
      .array(piece, { minLength: 1, maxLength: 12 })
      .chain((pieces) => fc.tuple(fc.constant(pieces), cutsFor(pieces.reduce((n, p) => n + p.text.length, 0))));
    fc.assert(
      fc.property(streams, ([pieces, cuts]) => {
        const stream = pieces.map((p) => p.text).join('');
        const expected = { crc: 0, garbage: 0, overlong: 0 };
        for (const p of pieces) if (p.error) expected[p.error]++;
        for (const input of [stream, bytes(stream)]) {
          const got = feed(input, cuts);
          expect(got.bodies).toEqual(pieces.filter((p) => p.body !== undefined).map((p) => p.body));
          expect(got.counters).toEqual(expected);
          expect(got.pending).toBe(0);
        }
      }),
      runs(300),
    );
  });

  it('a 1e6-byte line with no LF keeps pending <= MAX_LINE + 1, then a valid frame decodes (resync)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.integer({ min: 100, max: 200_000 }), (pattern, chunk) => {
        const junk = new Uint8Array(1_000_000);
        for (let i = 0; i < junk.length; i++) junk[i] = pattern[i % pattern.length] === 10 ? 32 : pattern[i % pattern.length];
        const d = new LineDecoder();
        let out = 0;
        let maxPending = 0;
        for (let at = 0; at < junk.length; at += chunk) {
          out += d.push(junk.subarray(at, at + chunk)).length;
          maxPending = Math.max(maxPending, d.pending);
        }
        expect(out).toBe(0);
        expect(maxPending).toBeLessThanOrEqual(MAX_LINE + 1);
        expect(d.push('\n' + encodeFrame('8 OK') + encodeFrame('9 OK'))).toEqual(['8 OK', '9 OK']);
        expect(d.counters).toEqual({ crc: 0, garbage: 0, overlong: 1 });
      }),
      runs(5),
    );
  });

  it('encodeFrame rejects a body with "*", a control or non-ASCII char, or longer than MAX_BODY', () => {
    const badChar = fc.oneof(
      fc.constant('*'),
      fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)),
      fc.integer({ min: 0x7f, max: 0xffff }).map((c) => String.fromCharCode(c)),
    );
    fc.assert(
      fc.property(body, badChar, fc.nat(), (b, c, at) => {
        const i = at % (b.length + 1);
        const s = (b.slice(0, i) + c + b.slice(i)).slice(-MAX_BODY);
        expect(() => encodeFrame(s.includes(c) ? s : c)).toThrow(RangeError);
      }),
      runs(300),
    );
    expect(() => encodeFrame('x'.repeat(MAX_BODY + 1))).toThrow(RangeError);
    expect(encodeFrame('x'.repeat(MAX_BODY)).length).toBe(MAX_LINE + 1);
    expect(encodeFrame('')).toBe('*FFFF\n');
  });
});

describe('messages and arguments round-trip', () => {
  const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
  const volts = fc.double({ min: -50, max: 50, noNaN: true });

  it('formatNumber then parseNumber is within 1e-6, and formatting the result again is stable', () => {
    fc.assert(
      fc.property(fc.oneof(finite, volts, fc.integer()), (x) => {
        const s = formatNumber(x);
        const y = parseNumber(s);
        expect(y).not.toBeNull();
        expect(Math.abs(y! - x)).toBeLessThanOrEqual(1e-6);
        expect(y).toBe(wireNumber(x));
        expect(formatNumber(y!)).toBe(s);
        expect(s).toMatch(s.includes('e') ? /^-?\d(\.\d+)?e\+\d+$/ : /^-?\d+(\.\d{1,6})?$/); // exponent: integers >= 1e21 only
      }),
      runs(500),
    );
    for (const x of [NaN, Infinity, -Infinity]) expect(() => formatNumber(x)).toThrow(RangeError);
  });

  it('formatList/parseList and formatPairs/parsePairs round-trip (values as the wire carries them)', () => {
    fc.assert(
      fc.property(fc.array(volts, { maxLength: 20 }), (xs) => {
        expect(parseList(formatList(xs))).toEqual(xs.map(wireNumber));
      }),
      runs(300),
    );
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: MAX_PAIR_INDEX }), volts), { selector: (p) => p[0], maxLength: 20 }), (pairs) => {
        expect(parsePairs(formatPairs(pairs))).toEqual(pairs.map(([i, v]) => [i, wireNumber(v)]));
      }),
      runs(300),
    );
  });

  it('formatPairs refuses what parsePairs would reject', () => {
    for (const bad of [[[-1, 0]], [[1.5, 0]], [[MAX_PAIR_INDEX + 1, 0]], [[2, 0], [2, 1]], [[0, NaN]]] as [number, number][][]) {
      expect(() => formatPairs(bad)).toThrow(RangeError);
    }
  });

  it('commands, replies and events round-trip through a frame', () => {
    const seq = fc.integer({ min: 1, max: 65535 });
    const verb = fc.stringMatching(/^[A-Z]{1,8}$/);
    const arg = fc.string({ unit: fc.constantFrom(...bodyChars.filter((c) => c !== ' ')), minLength: 1, maxLength: 12 });
    const wire = (b: string) => {
      const r = decodeFrame(encodeFrame(b).slice(0, -1));
      return r.ok ? r.body : null;
    };
    fc.assert(
      fc.property(seq, verb, fc.array(arg, { maxLength: 6 }), (s, v, args) => {
        expect(parseCommand(wire(formatCommand(s, v, args))!)).toEqual({ seq: s, verb: v, args });
        expect(parseReply(wire(formatOk(s, args))!)).toEqual({ kind: 'ok', seq: s, payload: args });
        expect(parseReply(wire(formatEvent(v, args))!)).toEqual({ kind: 'event', event: v, fields: args });
      }),
      runs(300),
    );
    fc.assert(
      fc.property(seq, fc.constantFrom(400, 404, 409, 416, 500, 503), utf16(2000), (s, code, msg) => {
        const b = formatErr(s, code, msg);
        expect(() => encodeFrame(b)).not.toThrow();
        const r = parseReply(wire(b)!);
        expect(r).toMatchObject({ kind: 'err', seq: s, code });
        if (msg.length <= 900 && /^[\x20-\x29\x2b-\x7e]*$/.test(msg)) expect(r).toEqual({ kind: 'err', seq: s, code, message: msg });
      }),
      runs(300),
    );
  });

  it('a random valid identity round-trips through formatIdentity and parseIdentity', () => {
    // Everything that does not depend on the node count is built once, outside chain() (building arbitraries is slow).
    const token = fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/);
    const range = fc.tuple(fc.integer({ min: -10_000, max: 10_000 }), fc.integer({ min: 1, max: 10_000 })).map(([lo, w]) => [lo / 1000, (lo + w) / 1000] as const);
    const fixed = fc.record({
      protocol: fc.constantFrom('1.1', '1.2', '1.3'),
      law: fc.record({ a: fc.integer({ min: 1, max: 1_000_000 }), w: fc.integer({ min: 1, max: 1_000_000 }), linear: fc.boolean() }),
      keep: fc.integer({ min: 1, max: 65535 }),
      firmware: token,
      model: token,
      uid: fc.stringMatching(/^[0-9A-F]{4,16}$/),
      bootCount: fc.nat(),
      adc: fc.tuple(fc.integer({ min: 1, max: 32 }), range).map(([bits, [lo, hi]]) => ({ bits, lo, hi })),
      dac: range.map(([lo, hi]) => ({ lo, hi })),
      edge: fc.oneof(
        fc.integer({ min: 2, max: 4096 }).map((taps) => ({ kind: 'tap' as const, taps })),
        range.map(([lo, hi]) => ({ kind: 'gate' as const, lo, hi })),
      ),
      maxSampleRate: fc.integer({ min: 1, max: 10_000_000 }),
      limits: fc.record({
        eta: fc.tuple(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 0, max: 1_000_000 })).map(([a, w]) => ({ lo: a / 1e6, hi: Math.min(1e6, a + w) / 1e6 })),
        maxExamples: fc.integer({ min: 1, max: 65535 }),
        amp: fc.tuple(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 10_000 })).map(([a, w]) => ({ lo: a / 100, hi: (a + w) / 100 })),
        gateStep: fc.integer({ min: 1, max: 10_000 }).map((x) => x / 1000),
      }),
    });
    const identity: fc.Arbitrary<BoardIdentity> = fc.tuple(fixed, fc.integer({ min: 2, max: 64 })).chain(([rest, nodes]) => {
      const node = fc.integer({ min: 0, max: nodes - 1 });
      const all = [...Array(nodes).keys()];
      return fc
        .record({
          edges: fc.array(fc.tuple(node, node).filter(([a, b]) => a !== b), { maxLength: 40 }),
          drivable: fc.shuffledSubarray(all),
          clampable: fc.shuffledSubarray(all),
        })
        // amp and gstep belong to gate boards only (PROTOCOL.md 7.1)
        .map((r) => {
          const { law: lawPick, keep, ...others } = rest;
          const limits: BoardIdentity['limits'] = rest.edge.kind === 'gate' ? { ...rest.limits } : { eta: rest.limits.eta, maxExamples: rest.limits.maxExamples };
          // keep= from protocol 1.3 on (PROTOCOL.md 7.1)
          if (rest.protocol === '1.3') limits.keep = keep;
          const out: BoardIdentity = { ...others, limits, nodes, ...r };
          // law= from protocol 1.2 on (PROTOCOL.md 7.1), of the edge's own kind
          if (rest.protocol !== '1.1') {
            const tapLaw = { kind: 'tap' as const, rMin: lawPick.a / 1000, rMax: (lawPick.a + lawPick.w) / 1000 };
            out.law = rest.edge.kind === 'tap' ? (lawPick.linear ? { ...tapLaw, taper: 'linear' as const } : tapLaw) : { kind: 'gate', s: lawPick.a / 1000 / 1e6, vt: (lawPick.w - 5000) / 1000 };
          }
          return out;
        });
    });
    fc.assert(
      fc.property(identity, (id) => {
        const body = formatOk(2, formatIdentity(id));
        const r = parseReply(body);
        expect(r?.kind).toBe('ok');
        expect(parseIdentity(r!.kind === 'ok' ? r!.payload : [], id.edges)).toEqual(id);
      }),
      runs(300),
    );
  });
});
