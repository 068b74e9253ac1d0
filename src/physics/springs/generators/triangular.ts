/**
 * Diluted, disordered triangular spring lattices (issue 17). Pure and deterministic given the options.
 */
import { InvalidInputError, show } from '../../../errors.js';
import { generatorRng } from '../../generators/options.js';
import type { SpringNetwork } from '../SpringNetwork.js';
import { PebbleGame } from './pebbleGame.js';
import { resolveSpringStiffness } from './stiffness.js';

/** Options of {@link triangularSprings}. */
export interface TriangularOptions {
  /** Rows R >= 2. */
  rows: number;
  /** Columns C >= 2. */
  cols: number;
  /**
   * Target mean coordination Z = 2E/N after dilution; undefined keeps every bond (Z of the full lattice, just under 6
   * because of the free edges). Must lie in {@link TriangularResult.range}.
   */
  coordination?: number;
  /**
   * Positional disorder D in [0, 0.5) (lattice spacings): each node is displaced by a vector drawn uniformly in the
   * disk of radius D (uniform by area). D < 0.5 keeps every node closer to its own site than to any other. Default 0.
   */
  disorder?: number;
  /** Seed of the dilution and the disorder (any finite number, default 0). */
  seed?: number;
  /** Spring stiffness k, the same for every spring (energy / length^2). Default 1. */
  stiffness?: number;
  /** Learning bounds [k_min, k_max] (energy / length^2). Default [k / 1000, 1000 k]. */
  bounds?: readonly [number, number];
  /** Network name. Default `triangular-RxC-zZ-dD-sS`. */
  name?: string;
}

/** A generated lattice and how it was made. */
export interface TriangularResult {
  network: SpringNetwork;
  /** Mean coordination reached, 2E/N (the target rounded to a whole number of springs). */
  coordination: number;
  /** [Z_min, Z_max]: the coordinations the dilution rule can reach for this size and seed. */
  range: [number, number];
  /** Springs of the undiluted lattice. */
  fullSprings: number;
}

/**
 * A triangular lattice of R rows x C columns with spacing 1, randomly diluted to mean coordination Z and then
 * displaced by positional disorder; springs are unstressed at the displaced positions (rest length = distance).
 *
 * Layout: node r*C + c sits at (c + (r odd ? 1/2 : 0), r sqrt(3)/2) before the disorder; bonds join each node to its
 * right neighbour and to its two neighbours in the next row, so the full lattice has R(C-1) + (R-1)(2C-1) springs.
 *
 * Dilution rule (so that the result is rigid and has no node with fewer than d + 1 = 3 springs where the full lattice
 * has 3 or more): the bonds are offered in a random order to the 2D pebble game ({@link PebbleGame}), which keeps a
 * spanning rigid set of 2N - 3 independent bonds; the other bonds are visited in a second random order and each is
 * removed if both its ends still have at least 4 springs (so keep at least 3), until E = round(Z N / 2). A bond that
 * cannot be removed when visited never becomes removable later (degrees only fall), so one pass reaches the lowest Z
 * this rule allows for the seed, Z_min (about 4.15 for a 64x64 lattice, just above the isostatic 2(2N-3)/N ~ 4).
 * The result is generically rigid (exactly 3 zero modes for disorder D > 0; at D = 0 straight rows can in principle
 * add zero modes). Lattice corners with only 2 bonds in the full lattice keep both.
 *
 * Random draws, in order: the pebble game's order, the removal order, then each node's displacement.
 * @throws InvalidInputError for a bad size, disorder, stiffness or bounds, or Z outside [Z_min, Z_max] (the message
 *   gives the range)
 */
export function triangularSprings(options: TriangularOptions): TriangularResult {
  const source = 'clln network springs triangular';
  const { rows, cols } = options;
  for (const [v, field] of [[rows, 'rows'], [cols, 'cols']] as const) {
    if (!Number.isSafeInteger(v) || v < 2) {
      throw new InvalidInputError({ source, field }, `${field} must be an integer >= 2, got ${show(v)}`, 'a rigid triangular lattice needs at least 2 rows and 2 columns, e.g. 8x8');
    }
  }
  const disorder = options.disorder ?? 0;
  if (!(Number.isFinite(disorder) && disorder >= 0 && disorder < 0.5)) {
    throw new InvalidInputError({ source: '--disorder' }, `must be in [0, 0.5) lattice spacings, got ${show(disorder)}`, 'use e.g. 0.1; at 0.5 two nodes could meet');
  }
  const { stiffness, bounds } = resolveSpringStiffness(options.stiffness, options.bounds);
  const seed = options.seed ?? 0;
  const rng = generatorRng(seed, 'springs-triangular');
  const n = rows * cols;

  // The full lattice.
  const fa: number[] = [];
  const fb: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      if (c + 1 < cols) {
        fa.push(i);
        fb.push(i + 1);
      }
      if (r + 1 < rows) {
        // next row shifted by +1/2 (r even) or -1/2 (r odd) relative to this one
        const left = r % 2 === 0 ? c - 1 : c;
        for (const cc of [left, left + 1]) {
          if (cc >= 0 && cc < cols) {
            fa.push(i);
            fb.push((r + 1) * cols + cc);
          }
        }
      }
    }
  }
  const full = fa.length;
  const degree = new Int32Array(n);
  for (let e = 0; e < full; e++) {
    degree[fa[e]]++;
    degree[fb[e]]++;
  }

  // A random spanning rigid set (kept), then the removable bonds in a random order.
  const order = rng.shuffle(Int32Array.from({ length: full }, (_, e) => e));
  const game = new PebbleGame(n);
  const basis = new Uint8Array(full);
  for (const e of order) if (game.add(fa[e], fb[e])) basis[e] = 1;
  const others = rng.shuffle(Int32Array.from(order.filter((e) => !basis[e])).sort());
  const removals: number[] = [];
  for (const e of others) {
    if (degree[fa[e]] >= 4 && degree[fb[e]] >= 4) {
      degree[fa[e]]--;
      degree[fb[e]]--;
      removals.push(e);
    }
  }
  const zMax = (2 * full) / n;
  const zMin = (2 * (full - removals.length)) / n;
  const z = options.coordination ?? zMax;
  // a half-spring of tolerance: Z is met to the nearest whole number of springs
  if (!Number.isFinite(z) || z < zMin - 1 / n || z > zMax + 1 / n) {
    throw new InvalidInputError(
      { source: '--coordination' },
      `a ${rows}x${cols} triangular lattice with seed ${show(seed)} reaches mean coordination Z in [${zMin.toFixed(3)}, ${zMax.toFixed(3)}] under the dilution rule (keep a rigid spanning set and >= 3 springs per node), got ${show(z)}`,
      `give --coordination between ${zMin.toFixed(3)} and ${zMax.toFixed(3)}`,
    );
  }
  const target = Math.min(full, Math.max(full - removals.length, Math.round((z * n) / 2)));
  const removed = new Uint8Array(full);
  for (let q = 0; q < full - target; q++) removed[removals[q]] = 1;

  // Positions: lattice sites plus a displacement uniform in the disk of radius D.
  const positions = new Float64Array(2 * n);
  const h = Math.sqrt(3) / 2;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      const rad = disorder * Math.sqrt(rng.next());
      const ang = 2 * Math.PI * rng.next();
      positions[2 * i] = c + (r % 2 === 1 ? 0.5 : 0) + rad * Math.cos(ang);
      positions[2 * i + 1] = r * h + rad * Math.sin(ang);
    }
  }

  const edgeA = new Int32Array(target);
  const edgeB = new Int32Array(target);
  const restLength = new Float64Array(target);
  let k = 0;
  for (let e = 0; e < full; e++) {
    if (removed[e]) continue;
    edgeA[k] = fa[e];
    edgeB[k] = fb[e];
    restLength[k] = Math.hypot(positions[2 * fb[e]] - positions[2 * fa[e]], positions[2 * fb[e] + 1] - positions[2 * fa[e] + 1]);
    k++;
  }
  const coordination = (2 * target) / n;
  const network: SpringNetwork = {
    name: options.name ?? `triangular-${rows}x${cols}-z${round3(coordination)}-d${disorder}-s${seed}`,
    dim: 2,
    nodes: n,
    positions,
    edgeA,
    edgeB,
    stiffness: new Float64Array(target).fill(stiffness),
    restLength,
    bounds,
  };
  return { network, coordination, range: [zMin, zMax], fullSprings: full };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
