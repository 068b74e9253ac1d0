import { describe, expect, it } from 'vitest';
import { InProcessTwinBoard } from '../../src/device/InProcessTwinBoard.js';
import type { BoardIdentity } from '../../src/device/Board.js';
import { readBoardFile } from '../../src/formats/boardFile.js';
import { boardEdgeLaw, identityWithLaw, knownEdgeLaw, recordedEdgeLaw } from '../../src/pipeline/boardEdgeLaw.js';
import { expectInvalid } from '../formats/expectInvalid.js';

const gen1Path = new URL('../../twins/models/penn-gen1.json', import.meta.url).pathname;
const gen2Path = new URL('../../twins/models/penn-gen2.json', import.meta.url).pathname;

async function identity(model: string, protocol?: '1.1' | '1.2'): Promise<BoardIdentity> {
  const board = InProcessTwinBoard.create({ model, ...(protocol ? { protocol } : {}) });
  try {
    return await board.identify();
  } finally {
    await board.close();
  }
}

describe('boardEdgeLaw: the host knows a board law from the board itself, or from a board file', () => {
  it('a 1.2 board: the law its ID reports, with the tap count of edge=', async () => {
    expect(boardEdgeLaw(await identity('penn-gen1'))).toEqual({ kind: 'tap', taps: 100, rMin: 40, rMax: 32000 });
    expect(boardEdgeLaw(await identity('penn-gen2'))).toEqual({ kind: 'gate', s: 0.00085, vt: 0.62 });
  });

  it('a 1.1 board reports none: unknown without a board file, an error naming --board-file where it is needed', async () => {
    const id = await identity('penn-gen1', '1.1');
    expect(id.protocol).toBe('1.1');
    expect(id.law).toBeUndefined();
    expect(knownEdgeLaw(id)).toBeUndefined();
    expectInvalid(() => boardEdgeLaw(id), 'law', 'protocol 1.1', '--board-file FILE', 'clln.board/1');
  });

  it('a board file supplies the law of a 1.1 board and overrides that of a 1.2 board', async () => {
    const model = readBoardFile(gen1Path);
    const file = { path: 'my-board.json', model: { ...model, edge: { ...model.edge, rMin: 50 } } };
    expect(boardEdgeLaw(await identity('penn-gen1', '1.1'), file)).toEqual({ kind: 'tap', taps: 100, rMin: 50, rMax: 32000 });
    const id = identityWithLaw(await identity('penn-gen1'), file);
    expect(id.law).toEqual({ kind: 'tap', rMin: 50, rMax: 32000 });
    expect(boardEdgeLaw(id)).toEqual({ kind: 'tap', taps: 100, rMin: 50, rMax: 32000 });
  });

  it('a board file of another board is refused naming the file and the field', async () => {
    const id = await identity('penn-gen1');
    const gen2 = { path: 'gen2.json', model: readBoardFile(gen2Path) };
    expectInvalid(() => boardEdgeLaw(id, gen2), 'edges', 'gen2.json', 'another board');
    const gen1 = readBoardFile(gen1Path);
    const swapped = { path: 'x.json', model: { ...gen1, edges: gen1.edges.map((e, i) => (i === 3 ? ([e[1], e[0]] as [number, number]) : e)) } };
    expectInvalid(() => identityWithLaw(id, swapped), 'edges[3]', 'x.json');
    const fewerTaps = { path: 'y.json', model: { ...gen1, edge: { ...gen1.edge, taps: 64, powerOn: 10 } } };
    expectInvalid(() => boardEdgeLaw(id, fewerTaps), 'edge.taps', '64 taps');
    const nodes = { path: 'z.json', model: { ...gen1, nodes: 17 } };
    expectInvalid(() => knownEdgeLaw(id, nodes), 'nodes', '17 nodes');
  });

  it('a recorded identity: its law checked as input', async () => {
    const id = await identity('penn-gen2');
    expect(recordedEdgeLaw(id, 'run.jsonl')).toEqual({ kind: 'gate', s: 0.00085, vt: 0.62 });
    expect(recordedEdgeLaw({ ...id, law: undefined }, 'run.jsonl')).toBeUndefined();
    const bad = { ...id, law: { kind: 'tap', rMin: 40, rMax: 30 } } as unknown as BoardIdentity;
    expectInvalid(() => recordedEdgeLaw(bad, 'run.jsonl'), 'start.board.law', 'run.jsonl');
  });

  it('a linear-taper board (protocol 1.3 law=linear): from its ID, from a board file, and from a run record (JSON)', async () => {
    const ref = { kind: 'tap', taps: 256, rMin: 1084.0625, rMax: 11045, taper: 'linear' };
    const id = await identity('clln-ref16');
    expect(boardEdgeLaw(id)).toEqual(ref);
    const recorded = JSON.parse(JSON.stringify(id)) as BoardIdentity;
    expect(recordedEdgeLaw(recorded, 'run.jsonl')).toEqual(ref);
    const badTaper = { ...id, law: { kind: 'tap', rMin: 1084, rMax: 11045, taper: 'log' } } as unknown as BoardIdentity;
    expectInvalid(() => recordedEdgeLaw(badTaper, 'run.jsonl'), 'start.board.law', 'run.jsonl');
    // a board file with the linear taper overrides a geometric ID (a 1.2 firmware that mis-states its parts)
    const gen1 = readBoardFile(gen1Path);
    const file = { path: 'linear.json', model: { ...gen1, edge: { ...gen1.edge, taper: 'linear' as const } } };
    expect(identityWithLaw(await identity('penn-gen1'), file).law).toEqual({ kind: 'tap', rMin: 40, rMax: 32000, taper: 'linear' });
    expect(boardEdgeLaw(await identity('penn-gen1'), file)).toEqual({ kind: 'tap', taps: 100, rMin: 40, rMax: 32000, taper: 'linear' });
  });
});
