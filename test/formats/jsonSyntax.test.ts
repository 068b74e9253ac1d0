/**
 * checkJsonSyntax accepts exactly what JSON.parse accepts (so the check before parsing never refuses a valid file
 * nor lets a bad one through), bounds the depth, and says where and what in one printable line.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkJsonSyntax, lineColumn } from '../../src/formats/jsonSyntax.js';

const parses = (t: string): boolean => {
  try {
    JSON.parse(t);
    return true;
  } catch {
    return false;
  }
};

/** Texts near JSON: valid documents with characters inserted, deleted or replaced, and JSON-ish character soup. */
const nearJson = fc.oneof(
  fc.tuple(fc.json({ maxDepth: 4 }), fc.nat(), fc.nat({ max: 3 }), fc.string({ maxLength: 3, unit: fc.constantFrom(...'{}[],:"\\ \n\t-+.0123456789eEtrufalsn\u0000\u001f\u00a0\ufeff\ud800x\'/'.split('')) }))
    .map(([t, at, del, ins]) => {
      const i = at % (t.length + 1);
      return t.slice(0, i) + ins + t.slice(i + del);
    }),
  fc.string({ maxLength: 30, unit: fc.constantFrom(...'{}[],:" -.0123456789eEtruefalsenull\\u'.split('')) }),
  fc.string({ unit: 'binary', maxLength: 30 }),
);

describe('checkJsonSyntax', () => {
  it('accepts every JSON text', () => {
    fc.assert(fc.property(fc.json({ maxDepth: 6 }), (t) => checkJsonSyntax(t, 1000) === undefined), { seed: 21, numRuns: 2000 });
    fc.assert(fc.property(fc.jsonValue(), fc.nat({ max: 4 }), (v, indent) => checkJsonSyntax(JSON.stringify(v, null, indent), 1000) === undefined), { seed: 22, numRuns: 1000 });
  });

  it('agrees with JSON.parse on texts near JSON, and its messages are one printable line', () => {
    fc.assert(
      fc.property(nearJson, (t) => {
        const p = checkJsonSyntax(t, 1000);
        expect(p === undefined, JSON.stringify(t)).toBe(parses(t));
        if (p) {
          expect(p.problem).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
          expect(p.problem.length).toBeLessThan(300);
          expect(p.offset).toBeLessThanOrEqual(t.length);
          expect(lineColumn(t, p.offset)).toEqual({ line: p.line, column: p.column });
        }
      }),
      { seed: 23, numRuns: 5000 },
    );
  });

  it('bounds the depth at the limit, before parsing', () => {
    const nest = (d: number): string => '['.repeat(d) + ']'.repeat(d);
    expect(checkJsonSyntax(nest(64), 64)).toBeUndefined();
    expect(checkJsonSyntax(`{"a": ${nest(63)}}`, 64)).toBeUndefined();
    const p = checkJsonSyntax(`{"a": ${nest(64)}}`, 64)!;
    expect(p).toMatchObject({ tooDeep: true, line: 1, column: 70, problem: 'nested deeper than 64 levels of arrays and objects (the limit)' });
    // a million levels: one pass, no recursion
    expect(checkJsonSyntax(nest(1_000_000), 64)?.tooDeep).toBe(true);
  });

  it('says where and what', () => {
    expect(checkJsonSyntax('{\n  "a": 1,\n}', 64)).toMatchObject({ line: 3, column: 1, problem: "expected a property name after ',', found '}' (JSON allows no trailing comma)" });
    expect(checkJsonSyntax('[1, NaN]', 64)?.problem).toBe("expected a value (an object, array, string, number, true, false or null), found 'N' (JSON has no NaN or Infinity; use a finite number)");
    expect(checkJsonSyntax('{"a": "x\u001by"}', 64)).toMatchObject({ column: 9, problem: 'a string holds the raw control character U+001B; write it as an escape such as \\n or \\u0001' });
    expect(checkJsonSyntax('{"a": 01}', 64)?.problem).toBe('a number must not have a leading zero (write 7, not 07)');
    expect(checkJsonSyntax('{"a": "abc', 64)?.problem).toBe('the string that starts at line 1, column 7 is not closed (expected \'"\')');
    expect(checkJsonSyntax('', 64)?.problem).toBe('expected a value (an object, array, string, number, true, false or null), found the end of the text');
    expect(checkJsonSyntax('{} x', 64)?.problem).toBe("expected the end of the text after the top-level value, found 'x'");
  });
});
