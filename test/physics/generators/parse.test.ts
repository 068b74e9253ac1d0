import { describe, expect, it } from 'vitest';
import { parseIdList, parseLatticeSize, parseMatrix } from '../../../src/physics/generators/parse.js';
import { expectInvalid } from '../../formats/expectInvalid.js';

describe('parseMatrix', () => {
  it('parses rows separated by ";" and entries by ","', () => {
    expect(parseMatrix('0.15,0.3;0.2,0.1')).toEqual([
      [0.15, 0.3],
      [0.2, 0.1],
    ]);
    expect(parseMatrix(' 1e-1 , -.5 ; +2 , 3. ')).toEqual([
      [0.1, -0.5],
      [2, 3],
    ]);
    expect(parseMatrix('7')).toEqual([[7]]);
  });

  it('rejects entries that are not numbers, naming row and entry', () => {
    const e = expectInvalid(() => parseMatrix('0.1,abc;0.2,0.3'), 'matrix[0][1]', 'row 1, entry 2 is "abc"', 'not a number');
    expect(e.source).toBe('--matrix');
    expectInvalid(() => parseMatrix('0.1,;0.2,0.3'), 'matrix[0][1]', 'entry 2 is ""');
    expectInvalid(() => parseMatrix('0x10'), 'matrix[0][0]', 'not a number');
    expectInvalid(() => parseMatrix('1e999'), 'matrix[0][0]', 'not finite');
  });

  it('rejects ragged rows and empty text', () => {
    expectInvalid(() => parseMatrix('0.1,0.2;0.3', '--m'), 'matrix[1]', 'row 2 has 1 entry but row 1 has 2');
    expectInvalid(() => parseMatrix('  '), undefined, 'is empty');
  });
});

describe('parseIdList', () => {
  it('parses ids and inclusive ranges', () => {
    expect(parseIdList('0,3')).toEqual([0, 3]);
    expect(parseIdList(' 0-3 , 7 ')).toEqual([0, 1, 2, 3, 7]);
    expect(parseIdList('')).toEqual([]);
  });

  it('rejects bad ids, backwards ranges and repeats, naming the option', () => {
    const e = expectInvalid(() => parseIdList('0,x', '--sources'), undefined, '"x" is not a node id');
    expect(e.source).toBe('--sources');
    expectInvalid(() => parseIdList('-1'), undefined, 'not a node id');
    expectInvalid(() => parseIdList('1.5'), undefined, 'not a node id');
    expectInvalid(() => parseIdList('5-2'), undefined, 'runs backwards', '2-5');
    expectInvalid(() => parseIdList('1,0-2'), undefined, 'node 1 is listed twice');
    expectInvalid(() => parseIdList('0,,1'), undefined, '"" is not a node id');
  });
});

describe('parseLatticeSize', () => {
  it('parses ROWSxCOLS and a single N', () => {
    expect(parseLatticeSize('4x4')).toEqual({ rows: 4, cols: 4 });
    expect(parseLatticeSize('3X5')).toEqual({ rows: 3, cols: 5 });
    expect(parseLatticeSize('2×7')).toEqual({ rows: 2, cols: 7 });
    expect(parseLatticeSize('6')).toEqual({ rows: 6, cols: 6 });
  });

  it('rejects other forms', () => {
    for (const t of ['4x', 'x4', '0x4', '4x0', '4by4', '-4x4', '4.5x4', '']) {
      const e = expectInvalid(() => parseLatticeSize(t), undefined, 'expected ROWSxCOLS');
      expect(e.source).toBe('ROWSxCOLS');
    }
  });
});
