import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { boardLaw, parseBoard, readBoardFile } from '../../src/formats/boardFile.js';
import { loadBoardModel } from '../../twins/BoardModel.js';
import { expectInvalid } from './expectInvalid.js';

const dir = mkdtempSync(join(tmpdir(), 'clln-boardfile-'));
const gen1Path = new URL('../../twins/models/penn-gen1.json', import.meta.url).pathname;
const gen1 = JSON.parse(readFileSync(gen1Path, 'utf8')) as Record<string, unknown>;

describe('clln.board/1 files (src/formats/boardFile.ts)', () => {
  it('reads a board file; the twin loads its models through the same reader', () => {
    const m = readBoardFile(gen1Path);
    expect(m).toEqual(loadBoardModel('penn-gen1'));
    expect(boardLaw(m)).toEqual({ kind: 'tap', taps: 100, rMin: 40, rMax: 32000 });
    expect(boardLaw(loadBoardModel('penn-gen2'))).toEqual({ kind: 'gate', s: 0.00085, vt: 0.62 });
  });

  it('names the file, the field, the rule and the fix', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ ...gen1, edge: { ...(gen1.edge as object), rMax: 20 } }));
    expectInvalid(() => readBoardFile(file), 'edge.rMax', file, 'a resistance above edge.rMin');
    expectInvalid(() => parseBoard({ ...gen1, edge: { kind: 'pot' } }, 'b.json'), 'edge.kind', 'b.json');
    expectInvalid(() => parseBoard({ ...gen1, nodes: 5000 }, 'b.json'), 'nodes', '1..4096');
    expectInvalid(() => readBoardFile(join(dir, 'missing.json')), undefined, 'missing.json');
    expectInvalid(() => parseBoard({ ...gen1, edge: { ...(gen1.edge as object), taper: 'log' } }, 'b.json'), 'edge.taper', 'b.json');
    expectInvalid(() => parseBoard({ ...gen1, step: { keep: 0 } }, 'b.json'), 'step.keep', 'b.json');
    expectInvalid(() => parseBoard({ ...gen1, step: { keep: 65536 } }, 'b.json'), 'step.keep', 'b.json');
  });

  it('edge.taper: geometric when absent (files before protocol 1.3 keep their meaning), linear on request; step.keep optional', () => {
    const geo = parseBoard({ ...gen1, edge: { ...(gen1.edge as object), taper: 'geometric' } });
    expect(boardLaw(geo)).toEqual({ kind: 'tap', taps: 100, rMin: 40, rMax: 32000 });
    const lin = parseBoard({ ...gen1, edge: { ...(gen1.edge as object), taper: 'linear' }, step: { keep: 32 } });
    expect(boardLaw(lin)).toEqual({ kind: 'tap', taps: 100, rMin: 40, rMax: 32000, taper: 'linear' });
    expect(lin.step).toEqual({ keep: 32 });
    expect(boardLaw(loadBoardModel('clln-ref16'))).toEqual({ kind: 'tap', taps: 256, rMin: 1084.0625, rMax: 11045, taper: 'linear' });
  });
});
