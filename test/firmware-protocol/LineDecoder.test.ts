import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeFrame, LineDecoder, MAX_LINE } from '../../firmware-protocol/codec.js';
import { loadVectors } from '../../firmware-protocol/vectors.js';
import { bytes, refStream } from './reference.js';

const { frames, badLines } = loadVectors();

/** Feed `input` in pieces cut at `cuts` (sorted offsets); the decoder's bodies, counters and pending bytes. */
function feed(input: string | Uint8Array, cuts: number[], d = new LineDecoder()) {
  const bodies: string[] = [];
  let at = 0;
  for (const c of [...cuts, input.length]) {
    bodies.push(...d.push(input.slice(at, c)));
    at = c;
  }
  return { bodies, counters: { ...d.counters }, pending: d.pending };
}

// Several frames and bad lines of every kind, a CRLF frame and an unfinished line at the end.
const short =
  frames[0].line +
  frames[3].line +
  '1 PING*0000\n' + // crc
  encodeFrame('7 OK').replace('\n', '\r\n') +
  '\u00ff\u0000junk\n' + // garbage
  frames[1].line +
  frames[1].line + // a duplicate is decoded twice
  '\n' + // empty line: ignored, not counted (PROTOCOL.md 1.1)
  '\r\n' + // CR only: also empty
  '3 OK credits';
const overlongAndBad = (bad: typeof badLines) => short + '\n' + 'z'.repeat(MAX_LINE + 40) + '\n' + frames[5].line + bad.map((b) => b.line).join('') + frames[2].line;
/** With an overlong line and every bad vector (about 12 kB). */
const withOverlong = overlongAndBad(badLines);
/** The same without the longest bad vectors (about 2 kB), for cutting at every boundary. */
const withOverlongShort = overlongAndBad(badLines.filter((b) => b.line.length < 200));

describe('LineDecoder across chunk boundaries (in the style of the serialport parser tests)', () => {
  const whole = refStream(short);

  it('the reference sees what it should in the test stream', () => {
    expect(whole.bodies).toEqual([frames[0].body, frames[3].body, '7 OK', frames[1].body, frames[1].body]);
    expect(whole.counters).toEqual({ crc: 1, garbage: 1, overlong: 0 });
    expect(whole.pending).toBe('3 OK credits'.length);
  });

  it('a single push gives the reference outcome, for a string and for bytes', () => {
    expect(feed(short, [])).toEqual(whole);
    expect(feed(bytes(short), [])).toEqual(whole);
  });

  it('a split at every byte boundary gives the same as a single push', () => {
    for (let i = 0; i <= short.length; i++) {
      expect(feed(short, [i]), `cut at ${i}`).toEqual(whole);
      expect(feed(bytes(short), [i]), `cut at ${i}`).toEqual(whole);
    }
  });

  it('splits at every pair of byte boundaries up to 24 bytes apart give the same as a single push', () => {
    const b = bytes(short);
    for (let i = 0; i <= b.length; i++) {
      for (let j = i; j <= Math.min(b.length, i + 24); j++) {
        const r = feed(b, [i, j]);
        if (r.bodies.length !== whole.bodies.length || r.counters.crc !== whole.counters.crc || r.counters.garbage !== whole.counters.garbage || r.pending !== whole.pending) {
          expect(r, `cuts at ${i}, ${j}`).toEqual(whole);
        }
      }
    }
  });

  it('one byte at a time gives the same as a single push, also with an overlong line and every bad vector', () => {
    const expected = refStream(withOverlong);
    expect(expected.counters.overlong).toBeGreaterThan(1);
    expect(feed(withOverlong, [])).toEqual(expected);
    expect(feed(bytes(withOverlong), Array.from({ length: withOverlong.length }, (_, i) => i))).toEqual(expected);
  });

  it('every single cut of a stream with an overlong line and the bad vectors gives the same as a single push', () => {
    const expected = refStream(withOverlongShort);
    expect(expected.counters.overlong).toBe(1);
    const b = bytes(withOverlongShort);
    for (let i = 0; i <= b.length; i++) {
      const r = feed(b, [i]);
      if (r.pending !== expected.pending || r.bodies.length !== expected.bodies.length || JSON.stringify(r.counters) !== JSON.stringify(expected.counters)) {
        expect(r, `cut at ${i}`).toEqual(expected);
      }
    }
  });

  it('random multiple boundaries give the same as a single push', () => {
    const expected = refStream(withOverlong);
    const b = bytes(withOverlong);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: b.length }), { maxLength: 60 }), fc.boolean(), (cuts, asString) => {
        cuts.sort((x, y) => x - y);
        expect(feed(asString ? withOverlong : b, cuts)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});

describe('LineDecoder limits', () => {
  it('keeps at most MAX_LINE + 1 bytes of a line: a 1024-byte frame with CRLF still decodes', () => {
    const body = '! LOG ' + 'a'.repeat(MAX_LINE - 5 - 6);
    const line = encodeFrame(body);
    expect(line.length).toBe(MAX_LINE + 1);
    const d = new LineDecoder();
    expect(d.push(line.slice(0, -1) + '\r')).toEqual([]);
    expect(d.pending).toBe(MAX_LINE + 1);
    expect(d.push('\n')).toEqual([body]);
    expect(d.counters).toEqual({ crc: 0, garbage: 0, overlong: 0 });
  });

  it('counts an overlong line once, as soon as it is too long, and discards it up to its LF', () => {
    const d = new LineDecoder();
    d.push('q'.repeat(MAX_LINE + 1));
    expect(d.counters.overlong).toBe(0);
    expect(d.pending).toBe(MAX_LINE + 1);
    d.push('q');
    expect(d.counters.overlong).toBe(1);
    expect(d.pending).toBe(0);
    d.push('q'.repeat(5000) + encodeFrame('1 OK').slice(0, -1)); // a frame inside the discarded line is not one
    expect(d.pending).toBe(0);
    expect(d.push('\n' + encodeFrame('2 OK'))).toEqual(['2 OK']);
    expect(d.counters).toEqual({ crc: 0, garbage: 0, overlong: 1 });
  });

  it('survives 1e6 bytes with no line feed, pushed whole and in chunks, then resyncs on the next frame', () => {
    const junk = new Uint8Array(1_000_000);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919 + 13) % 256 === 10 ? 11 : (i * 7919 + 13) % 256;
    for (const chunk of [junk.length, 65536, 999]) {
      const d = new LineDecoder();
      // bounded memory is what is checked (the buffer never grows past the limit); no wall-clock assertion
      for (let at = 0; at < junk.length; at += chunk) {
        expect(d.push(junk.subarray(at, at + chunk))).toEqual([]);
        expect(d.pending).toBeLessThanOrEqual(MAX_LINE + 1);
      }
      expect(d.counters).toEqual({ crc: 0, garbage: 0, overlong: 1 });
      expect(d.push('\n' + encodeFrame('9 OK steps=3'))).toEqual(['9 OK steps=3']);
      expect(d.counters).toEqual({ crc: 0, garbage: 0, overlong: 1 });
    }
    const d = new LineDecoder();
    d.push('A'.repeat(1_000_000));
    expect(d.pending).toBeLessThanOrEqual(MAX_LINE + 1);
    expect(d.push('\n' + encodeFrame('9 OK'))).toEqual(['9 OK']);
  });

  it('reset() forgets a partial line, also in the middle of an overlong one', () => {
    const d = new LineDecoder();
    d.push('12 OK cred');
    d.reset();
    expect(d.pending).toBe(0);
    expect(d.push(encodeFrame('3 OK'))).toEqual(['3 OK']);
    d.push('x'.repeat(MAX_LINE + 10));
    d.reset();
    expect(d.push(encodeFrame('4 OK'))).toEqual(['4 OK']);
    expect(d.counters).toEqual({ crc: 0, garbage: 0, overlong: 1 });
  });

  it('never reads a string char above U+00FF as its low byte (no forged LF or printable byte)', () => {
    const d = new LineDecoder();
    // U+010A would be LF and U+0131 '1' if masked to 8 bits
    const forged = encodeFrame('1 OK').replace('1', '\u0131');
    expect(d.push('\u010a' + forged)).toEqual([]);
    expect(d.counters).toEqual({ crc: 0, garbage: 1, overlong: 0 });
    expect(d.push(encodeFrame('2 OK'))).toEqual(['2 OK']);
  });
});
