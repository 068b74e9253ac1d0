/**
 * The task `clln tui` trains when it is given no NETWORK TASK: the reference task of the issues and of `clln demo`
 * (V_T = M V_S with M = [[0.15, 0.3], [0.2, 0.1]]: sources 0 and 3, ground 15, targets 9 and 10) where the board can
 * play those roles, else the same map with roles the board's identity allows: sources and the 0 V ground among its
 * `drive=` nodes, targets among its `clamp=` nodes. penn-gen1 drives and clamps every node, so it keeps the
 * reference task; clln-ref16 drives only 0..3 and clamps only 12..15, so node 15 cannot be the ground there.
 */
import { InvalidInputError } from '../errors.js';
import { linearTask, referenceTask } from '../physics/generators/linearTask.js';
import type { Task } from '../physics/Task.js';

/** The node roles a board allows (its ID's `drive=` and `clamp=`). */
export interface BoardRoles {
  /** The board's model, for the error message. */
  model: string;
  drivable: readonly number[];
  clampable: readonly number[];
}

/** The reference task's map: rows are targets, columns sources. */
const MATRIX = [
  [0.15, 0.3],
  [0.2, 0.1],
];

/** The default task of a board and a short description of its roles (for titles and logs). */
export function boardDefaultTask(board: BoardRoles): { task: Task; description: string } {
  const drive = new Set(board.drivable);
  const clamp = new Set(board.clampable);
  const ref = referenceTask();
  const fits = [...ref.sources, ...ref.ground].every((n) => drive.has(n)) && [...ref.targets].every((n) => clamp.has(n));
  if (fits) return { task: ref, description: 'the reference task' };
  // two sources at the ends of the drive list (far apart on a lattice's edge), the ground between them; targets in
  // the middle of the clamp list, among the nodes not already used
  const d = [...new Set(board.drivable)];
  if (d.length < 3) throw tooFew(board, `it drives ${d.length} node(s); the default task needs 3 (two sources and the ground)`);
  const sources = [d[0], d[d.length - 1]];
  const ground = [d[1]];
  const used = new Set([...sources, ...ground]);
  const c = [...new Set(board.clampable)].filter((n) => !used.has(n));
  if (c.length < 2) throw tooFew(board, `it clamps ${c.length} node(s) besides the sources and ground; the default task needs 2 targets`);
  const mid = Math.floor(c.length / 2);
  const targets = [c[mid - 1], c[mid]];
  const task = linearTask({ matrix: MATRIX, sources, targets, ground, count: 40, test: 20, seed: 1 });
  return { task, description: `the reference task's map on this board's channels (sources ${sources.join(',')}, ground ${ground[0]}, targets ${targets.join(',')})` };
}

function tooFew(board: BoardRoles, why: string): InvalidInputError {
  return new InvalidInputError({ source: 'clln tui' }, `board ${board.model} cannot play a default task: ${why}`, "give the board's network and a task: clln tui --board SPEC NETWORK TASK");
}
