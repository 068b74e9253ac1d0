/**
 * The nominal edge law of a connected board, as the host resolves it: from a board description file when one is
 * given (`--board-file`, `clln.board/1`: it overrides), else from the board's own `ID` (`law=`, protocol 1.2). A
 * protocol 1.1 board does not report its law; without a board file its law is unknown. The host never takes the law
 * from the twin's shipped models by name: a board is known by what it says and what the user gives.
 */
import type { BoardIdentity } from '../device/Board.js';
import { InvalidInputError } from '../errors.js';
import { BOARD_FORMAT, boardLaw, type BoardModel } from '../formats/boardFile.js';
import type { EdgeLaw } from '../physics/edgeLaws.js';

/** A board description file read (and validated) once at the command's entry point, with its path for messages. */
export interface BoardFile {
  path: string;
  model: BoardModel;
}

/**
 * The board's nominal edge law (src/physics/edgeLaws.ts). Throws InvalidInputError when it is unknown (a 1.1 board
 * and no board file), naming the fix, and when the board file describes another board ({@link checkBoardFile}).
 */
export function boardEdgeLaw(id: BoardIdentity, file?: BoardFile): EdgeLaw {
  const law = knownEdgeLaw(id, file);
  if (law) return law;
  throw new InvalidInputError(
    { source: `board ${id.model}`, field: 'law' },
    `the board speaks protocol ${id.protocol}, whose ID does not report the nominal edge law (law=, protocol 1.2), and no board file gives it`,
    `pass a board description file (${BOARD_FORMAT}, see src/formats/README.md) with --board-file FILE, or update the board's firmware to protocol 1.2`,
  );
}

/**
 * The board's nominal edge law, or undefined when neither a board file nor the board's `ID` gives it (for what works
 * without it, e.g. a run without live checks). A board file that describes another board still throws.
 */
export function knownEdgeLaw(id: BoardIdentity, file?: BoardFile): EdgeLaw | undefined {
  if (file) {
    checkBoardFile(id, file);
    return boardLaw(file.model);
  }
  const law = id.law;
  if (!law) return undefined;
  if (law.kind === 'tap' && id.edge.kind === 'tap') {
    return law.taper === 'linear' ? { kind: 'tap', taps: id.edge.taps, rMin: law.rMin, rMax: law.rMax, taper: 'linear' } : { kind: 'tap', taps: id.edge.taps, rMin: law.rMin, rMax: law.rMax };
  }
  if (law.kind === 'gate' && id.edge.kind === 'gate') return { kind: 'gate', s: law.s, vt: law.vt };
  // parseIdentity refuses a law of the other kind; an identity built in code may still carry one
  throw new InvalidInputError({ source: `board ${id.model}`, field: 'law' }, `the board reports a ${law.kind} law for ${id.edge.kind} edges`, 'fix the board firmware (PROTOCOL.md 7.1)');
}

/**
 * Check that a board file describes the connected board: the same node count, edge list and edge kind (and tap
 * count). Throws InvalidInputError naming the file, the field and the fix.
 */
export function checkBoardFile(id: BoardIdentity, file: BoardFile): void {
  const m = file.model;
  const fail = (field: string, problem: string): never => {
    throw new InvalidInputError({ source: file.path, field }, `${problem}, so it describes another board than the connected ${id.model} (uid ${id.uid})`, `give the board file of this board, or correct ${field}`);
  };
  if (m.nodes !== id.nodes) fail('nodes', `the file says ${m.nodes} nodes, the board ${id.nodes}`);
  if (m.edges.length !== id.edges.length) fail('edges', `the file lists ${m.edges.length} edges, the board ${id.edges.length}`);
  for (let e = 0; e < m.edges.length; e++) {
    const [a, b] = m.edges[e];
    const [c, d] = id.edges[e];
    if (a !== c || b !== d) fail(`edges[${e}]`, `the file's edge ${e} is ${a}-${b}, the board's ${c}-${d}`);
  }
  if (m.edge.kind !== id.edge.kind) fail('edge.kind', `the file says ${m.edge.kind} edges, the board has ${id.edge.kind} edges`);
  if (m.edge.kind === 'tap' && id.edge.kind === 'tap' && m.edge.taps !== id.edge.taps) fail('edge.taps', `the file says ${m.edge.taps} taps, the board ${id.edge.taps}`);
}

/**
 * The identity with the board file's law in place of (or in the absence of) the one the board reports, after
 * {@link checkBoardFile}; unchanged without a file. What the host then records and checks with is this identity, so
 * a run record keeps the law it was checked against.
 */
export function identityWithLaw(id: BoardIdentity, file?: BoardFile): BoardIdentity {
  if (!file) return id;
  checkBoardFile(id, file);
  const law = boardLaw(file.model);
  return { ...id, law: law.kind === 'tap' ? { kind: 'tap', rMin: law.rMin, rMax: law.rMax, ...(law.taper ? { taper: law.taper } : {}) } : { kind: 'gate', s: law.s, vt: law.vt } };
}

/**
 * The nominal law a recorded run's board identity carries (`start.board.law`: the board's `ID`, or the board file
 * it ran with), checked as input; undefined for a record without one (a 1.1 board, or a record from before protocol
 * 1.2). `source` names the record in errors.
 */
export function recordedEdgeLaw(board: BoardIdentity, source: string): EdgeLaw | undefined {
  const law = board.law as unknown;
  if (law === undefined) return undefined;
  const l = law as Record<string, unknown>;
  const fin = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
  const ok =
    typeof law === 'object' && law !== null &&
    ((l.kind === 'tap' && board.edge?.kind === 'tap' && fin(l.rMin) && fin(l.rMax) && l.rMin > 0 && l.rMax > l.rMin && (l.taper === undefined || l.taper === 'geometric' || l.taper === 'linear')) ||
      (l.kind === 'gate' && board.edge?.kind === 'gate' && fin(l.s) && fin(l.vt) && l.s > 0));
  if (!ok) {
    throw new InvalidInputError(
      { source, field: 'start.board.law' },
      'must be {"kind":"tap","rMin":R,"rMax":R} (ohm, 0 < rMin < rMax; "taper":"linear" for a linear law) or {"kind":"gate","s":S,"vt":V} (S/V > 0, V), of the board edge kind',
      'the record was changed after it was written: correct the value, or diagnose a network file instead',
    );
  }
  return knownEdgeLaw(board);
}
