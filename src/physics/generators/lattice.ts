/**
 * Square-lattice networks. Pure and deterministic given the options.
 */
import { InvalidInputError } from '../../errors.js';
import type { Network } from '../Network.js';
import { drawConductances, resolveBounds, type ConductanceSpec } from './conductanceSpec.js';
import { expectInteger, generatorRng } from './options.js';

export { parseLatticeSize } from './parse.js';

/** Options of {@link latticeNetwork}. */
export interface LatticeOptions {
  /** Number of rows, integer >= 1. */
  rows: number;
  /** Number of columns, integer >= 1 (rows * cols >= 2). */
  cols: number;
  /** Add both diagonals of every square cell (8-neighbour lattice). Default false. */
  diagonals?: boolean;
  /** Wrap around in both directions (a torus). Needs rows >= 3 and cols >= 3. Default false. */
  periodic?: boolean;
  /**
   * Seed for the conductances. Without `conductance`, a seed selects uniform random conductances in
   * [0.5, 1.5] S; no seed gives the constant 1 S (see conductanceSpec.ts). Default: none.
   */
  seed?: number;
  /** Constant conductance (S) or range [lo, hi] (S) drawn uniformly with `seed` (default seed 0). */
  conductance?: ConductanceSpec;
  /** Learning bounds [k_min, k_max] in siemens. Default [1e-5, 1e-1]. */
  bounds?: readonly [number, number];
  /** Network name. Default `lattice-RxC`, with `-diag` and `-periodic` suffixes when set. */
  name?: string;
}

/**
 * A rows x cols square lattice. Node id = r * cols + c, at position (x, y) = (c, r) in lattice spacings.
 *
 * Edges, in this order: for each node in id order, the edge to its right neighbour (r, c+1), to the one below
 * (r+1, c), and with `diagonals` to (r+1, c+1) and (r+1, c-1); each edge is oriented from that node to its
 * neighbour. With `periodic` the neighbours wrap around (column cols-1 joins column 0, row rows-1 joins row 0).
 *
 * Edge counts: open lattice rows(cols-1) + (rows-1)cols, plus 2(rows-1)(cols-1) diagonals;
 * periodic 2 rows cols, plus 2 rows cols diagonals (e.g. 4x4: 24 open, 42 with diagonals, 32 periodic,
 * 64 periodic with diagonals).
 */
export function latticeNetwork(options: LatticeOptions): Network {
  const source = 'latticeNetwork';
  const rows = expectInteger(options.rows, 1, source, 'rows', 'the number of rows');
  const cols = expectInteger(options.cols, 1, source, 'cols', 'the number of columns');
  const diagonals = options.diagonals === true;
  const periodic = options.periodic === true;
  const nodes = rows * cols;
  if (nodes < 2) {
    throw new InvalidInputError({ source, field: 'rows' }, `a ${rows}x${cols} lattice has a single node and no edge`, 'use at least 2 nodes, e.g. 1x2 or 4x4');
  }
  if (nodes > 2 ** 31 - 1) {
    throw new InvalidInputError({ source, field: 'rows' }, `a ${rows}x${cols} lattice has ${nodes} nodes, more than ${2 ** 31 - 1}`, 'use a smaller lattice');
  }
  if (periodic && (rows < 3 || cols < 3)) {
    throw new InvalidInputError(
      { source, field: 'periodic' },
      `a periodic lattice needs rows >= 3 and cols >= 3 (with 2 or fewer, wrapping would join the same nodes twice), got ${rows}x${cols}`,
      'use an open lattice (periodic: false) or at least 3x3',
    );
  }
  const bounds = resolveBounds(options.bounds, source);

  const a: number[] = [];
  const b: number[] = [];
  const add = (r: number, c: number, r2: number, c2: number): void => {
    if (periodic) {
      r2 = (r2 + rows) % rows;
      c2 = (c2 + cols) % cols;
    } else if (r2 < 0 || r2 >= rows || c2 < 0 || c2 >= cols) {
      return;
    }
    a.push(r * cols + c);
    b.push(r2 * cols + c2);
  };
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      add(r, c, r, c + 1);
      add(r, c, r + 1, c);
      if (diagonals) {
        add(r, c, r + 1, c + 1);
        add(r, c, r + 1, c - 1);
      }
    }
  }

  const positions = new Float64Array(2 * nodes);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      positions[2 * (r * cols + c)] = c;
      positions[2 * (r * cols + c) + 1] = r;
    }
  }

  const seeded = options.seed !== undefined;
  const rng = generatorRng(options.seed, source);
  const conductance = drawConductances(a.length, options.conductance, rng, seeded, bounds, source);
  return {
    name: options.name ?? `lattice-${rows}x${cols}${diagonals ? '-diag' : ''}${periodic ? '-periodic' : ''}`,
    nodes,
    edgeA: Int32Array.from(a),
    edgeB: Int32Array.from(b),
    conductance,
    bounds,
    positions,
  };
}
