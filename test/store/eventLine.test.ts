/**
 * Issue 18, point 3: an event's line written field by field (RunWriter's eventLine) is the text JSON.stringify writes
 * for the same document with typed arrays as arrays (the standard serialiser, not this code), for any data: numbers
 * (non-finite ones, -0, integers, exponents), typed arrays of every element type, nested arrays and objects, strings
 * with escapes, booleans, null, and keys left out because their value is undefined.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EventDoc } from '../../src/store/documents.js';
import { eventLine } from '../../src/store/RunWriter.js';

/** The reference: JSON.stringify of ["event", doc], typed arrays (bigint ones as numbers) converted first. */
function reference(ev: EventDoc): string {
  return (
    JSON.stringify(['event', ev], (_k, v: unknown) =>
      ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as unknown as ArrayLike<number | bigint>, (x) => (typeof x === 'bigint' ? Number(x) : x)) : v,
    ) + '\n'
  );
}

const number = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(NaN, Infinity, -Infinity, -0, 0, 1e21, 1e-7, 5e-324, Number.MAX_VALUE));
const typed = fc.oneof(
  fc.array(fc.double()).map((a) => Float64Array.from(a)),
  fc.array(fc.double({ noNaN: false })).map((a) => Float32Array.from(a)),
  fc.array(fc.integer({ min: -1e9, max: 1e9 })).map((a) => Int32Array.from(a)),
  fc.array(fc.integer({ min: 0, max: 255 })).map((a) => Uint8Array.from(a)),
  fc.array(fc.bigInt({ min: -(2n ** 60n), max: 2n ** 60n })).map((a) => BigInt64Array.from(a)),
);
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    number,
    typed,
    fc.string(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.array(typed, { maxLength: 3 }),
    fc.dictionary(fc.string(), tie('v'), { maxKeys: 3 }),
  ),
})).v;

describe('eventLine: the text JSON.stringify writes', () => {
  it('for any data, with the default timestamps (every key at the event time) and with given ones', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), value, { maxKeys: 8 }), number, fc.integer({ min: 1, max: 2 ** 40 }), fc.boolean(), (data, time, seq, given) => {
        const timestamps: Record<string, number> = {};
        for (const k of Object.keys(data)) timestamps[k] = given ? time + 1 : time;
        const ev = { uid: 'a1b2-"x"', descriptor: 'd\n1', time, seq_num: seq, data, timestamps } as unknown as EventDoc;
        expect(eventLine(ev, !given)).toBe(reference(ev));
      }),
      { numRuns: 2000, seed: 18 },
    );
  });

  it("for a 16-node board's event, key for key as JSON.parse reads it back", () => {
    const data = { step: 3, example: 1, inputs: Float64Array.of(0.3, 0.1), vf: new Float64Array(16).fill(0.25), vc: new Float64Array(16).fill(NaN), settings: new Float64Array(33).fill(49), changed: 32, cost: 0.0014, alarm: false, residual_max: null };
    const ev = { uid: 'u', descriptor: 'd', time: 1796679361.752, seq_num: 4, data, timestamps: Object.fromEntries(Object.keys(data).map((k) => [k, 1796679361.752])) } as unknown as EventDoc;
    const text = eventLine(ev, true);
    expect(text).toBe(reference(ev));
    const [name, doc] = JSON.parse(text) as [string, { data: Record<string, unknown> }];
    expect(name).toBe('event');
    expect(doc.data.vc).toEqual(new Array(16).fill(null));
    expect(doc.data.settings).toEqual(new Array(33).fill(49));
  });
});
