/** The per-member store: written once, read back exactly (non-finite numbers included), tied to its spec digest. */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memberPath, readMember, storedMembers, storeMember } from '../../src/ensemble/memberStore.js';
import type { MemberResult } from '../../src/ensemble/runMember.js';
import { InvalidInputError } from '../../src/errors.js';

const result = (index: number, trainMse: number): MemberResult => ({
  index,
  seeds: { network: 4294967295, task: 0, order: 17 },
  steps: 12,
  converged: false,
  trainMse,
  testMse: Number.POSITIVE_INFINITY,
  lambdaLow: 0.1 + 0.2, // 0.30000000000000004: the shortest round-trip text, not a rounded one
  lambdaHigh: 5e-324,
  stiffAlignment: null,
  conductance: Float64Array.of(1 / 3, Math.PI, 1e-300),
  boundaryFrequency: null,
  edges: 3,
  nodes: 3,
});

describe('memberStore', () => {
  it('stores a member once: a second store (even of other numbers) writes nothing and returns false', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clln-ens-store-'));
    expect(storedMembers(dir)).toEqual(new Set());
    expect(storeMember(dir, 'abc', result(7, 0.5))).toBe(true);
    const first = readFileSync(memberPath(dir, 7), 'utf8');
    expect(storeMember(dir, 'abc', result(7, 0.25))).toBe(false);
    expect(readFileSync(memberPath(dir, 7), 'utf8')).toBe(first);
    expect(readdirSync(join(dir, 'members'))).toEqual(['000007.json']); // no temporary file left
    writeFileSync(join(dir, 'members', '000003.json.tmp-1-x'), '{"half'); // a killed write
    expect(storedMembers(dir)).toEqual(new Set([7]));
  });

  it('reads back every number exactly, NaN and Infinity included, and refuses another spec digest', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clln-ens-store-'));
    const r = result(0, NaN);
    storeMember(dir, 'abc', r);
    const back = readMember(dir, 0, 'abc');
    expect(back.trainMse).toBeNaN();
    expect(back).toEqual({ ...r, trainMse: back.trainMse });
    expect(Array.from(back.conductance)).toEqual(Array.from(r.conductance));
    expect(() => readMember(dir, 0, 'other')).toThrow(InvalidInputError);
    expect(() => readMember(dir, 0, 'other')).toThrow(/specDigest: belongs to a different ensemble spec/);
  });
});
