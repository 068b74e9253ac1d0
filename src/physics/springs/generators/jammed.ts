/**
 * Spring networks from jammed packings of soft disks (issue 17), the way the labs make them (Ellenbroek et al.;
 * Rocks et al. PNAS 2017; Stern et al. PRX 2021): jam a packing by energy minimisation, then put an unstressed spring
 * on every contact. Pure and deterministic given the options.
 */
import { InvalidInputError, show } from '../../../errors.js';
import { generatorRng } from '../../generators/options.js';
import type { SpringNetwork } from '../SpringNetwork.js';
import { fire, type FireResult } from './fire.js';
import { PebbleGame } from './pebbleGame.js';
import { resolveSpringStiffness } from './stiffness.js';

/** Diameter of the small disks (the length unit). */
export const SMALL_DIAMETER = 1;
/** Diameter of the large disks: ratio 1.4, the usual bidisperse mixture that does not crystallise in 2D. */
export const LARGE_DIAMETER = 1.4;
/** Default packing fraction: above 2D bidisperse jamming (phi_J ~ 0.84), so the contact network is well connected. */
export const DEFAULT_PACKING_FRACTION = 0.9;
/** Default FIRE force tolerance (energy / length, with the pair energy scale epsilon = 1). */
export const DEFAULT_FORCE_TOLERANCE = 1e-10;

/** Options of {@link jammedSprings}. */
export interface JammedOptions {
  /** Number of disks N >= 16 (half small, half large; the network keeps fewer: see {@link jammedSprings}). */
  disks: number;
  /** Packing fraction phi in [0.5, 1] (disk area / box area, overlaps not subtracted). Default 0.9. */
  packingFraction?: number;
  /** Seed of the initial positions (any finite number, default 0). */
  seed?: number;
  /** FIRE's force tolerance (max force component, energy / length). Default 1e-10. */
  forceTolerance?: number;
  /** FIRE's step limit. Default 1e6. */
  maxIterations?: number;
  /** Spring stiffness k, the same for every spring (energy / length^2). Default 1. */
  stiffness?: number;
  /** Learning bounds [k_min, k_max]. Default [k / 1000, 1000 k]. */
  bounds?: readonly [number, number];
  /** Network name. Default `jammed-N-phiP-sS`. */
  name?: string;
}

/** A jammed network and how it was made. */
export interface JammedResult {
  network: SpringNetwork;
  /** Disks packed. */
  disks: number;
  /** Diameter of each final node's disk (length unit; 1 or 1.4). */
  diameters: Float64Array;
  /** Side of the periodic box the packing was made in (length unit). */
  box: number;
  /** Packing fraction of the packing. */
  packingFraction: number;
  /**
   * Pressure of the packing, p = (1 / (d A)) sum_contacts f_ij r_ij (energy / length^2, epsilon = 1), from the
   * periodic packing before cutting.
   */
  pressure: number;
  /** Contacts of the periodic packing (pairs closer than the sum of their radii). */
  contacts: number;
  /** Mean coordination Z = 2E/N of the final network. */
  coordination: number;
  /** Z - 2d: the excess over isostaticity (d = 2). */
  excessCoordination: number;
  /** Largest overlap of a contact relative to its contact distance, 1 - r_ij / sigma_ij (dimensionless). */
  maxOverlap: number;
  /** Mean of the same over the contacts. */
  meanOverlap: number;
  /** Nodes removed: cut at the boundary, then pruned (fewer than 3 springs) or outside the largest rigid cluster. */
  removed: { lowCoordination: number; notRigid: number };
  /** FIRE's diagnostics (converged, iterations, final max force and energy). */
  minimisation: Omit<FireResult, 'x'>;
}

/**
 * A jammed packing of N soft disks in a periodic square box, its contact network as unstressed springs.
 *
 * - Disks: N/2 of diameter 1 and N/2 of diameter 1.4, at uniform random positions in a box of side L with
 *   sum(pi r^2) / L^2 = phi; pair energy (1/2)(1 - r/sigma_ij)^2 for r < sigma_ij = r_i + r_j (harmonic repulsion,
 *   epsilon = 1).
 * - Jamming: FIRE ({@link fire}) to max force component <= `forceTolerance`, with a Verlet neighbour list (skin 0.3,
 *   cell binning).
 * - Springs: one per contact (r < sigma_ij) between the disks' centres, rest length = the centre distance, so the
 *   network is unstressed. The network has no periodic box: the packing is cut open, contacts across the box's edge
 *   are dropped (free boundaries), and positions lie in [0, L)^2.
 * - Pruning: nodes with fewer than d + 1 = 3 springs are removed, repeatedly (rattlers, and disks near the cut that
 *   lost contacts); then only the largest rigid cluster is kept (2D pebble game: the cut can leave floppy flaps), and
 *   the first step repeated (which keeps it rigid: dropping a node of <= 2 springs from a rigid network leaves it
 *   rigid). Nodes keep their order (ids renumbered).
 *
 * The final network is generically rigid with every node of >= 3 springs and Z above isostatic.
 * @throws InvalidInputError for bad options, or a packing with no rigid contact network (phi below jamming, or N too
 *   small for the cut to leave one)
 */
export function jammedSprings(options: JammedOptions): JammedResult {
  const source = 'clln network springs jammed';
  const n = options.disks;
  if (!Number.isSafeInteger(n) || n < 16) {
    throw new InvalidInputError({ source, field: 'N' }, `the number of disks must be an integer >= 16, got ${show(n)}`, 'use e.g. 256; the cut at the boundary removes about 4 sqrt(N) disks');
  }
  const phi = options.packingFraction ?? DEFAULT_PACKING_FRACTION;
  if (!(Number.isFinite(phi) && phi >= 0.5 && phi <= 1)) {
    throw new InvalidInputError({ source: '--phi' }, `the packing fraction must be in [0.5, 1], got ${show(phi)}`, `use e.g. ${DEFAULT_PACKING_FRACTION}; jamming sets in near 0.84`);
  }
  const tol = options.forceTolerance ?? DEFAULT_FORCE_TOLERANCE;
  if (!(Number.isFinite(tol) && tol > 0)) {
    throw new InvalidInputError({ source: '--force-tolerance' }, `must be a finite number > 0, got ${show(tol)}`, 'use e.g. 1e-10');
  }
  const { stiffness, bounds } = resolveSpringStiffness(options.stiffness, options.bounds);
  const seed = options.seed ?? 0;
  const rng = generatorRng(seed, 'springs-jammed');

  const radius = new Float64Array(n);
  let area = 0;
  for (let i = 0; i < n; i++) {
    radius[i] = (i < n / 2 ? SMALL_DIAMETER : LARGE_DIAMETER) / 2;
    area += Math.PI * radius[i] * radius[i];
  }
  const box = Math.sqrt(area / phi);
  const x = new Float64Array(2 * n);
  for (let i = 0; i < 2 * n; i++) x[i] = rng.uniform(0, box);

  const list = new NeighbourList(radius, box, 0.3);
  const energyAndForce = (pos: Float64Array, force: Float64Array): number => {
    list.update(pos);
    force.fill(0);
    let e = 0;
    const { pairA, pairB } = list;
    for (let q = 0; q < list.count; q++) {
      const i = pairA[q];
      const j = pairB[q];
      const dx = wrap(pos[2 * j] - pos[2 * i], box);
      const dy = wrap(pos[2 * j + 1] - pos[2 * i + 1], box);
      const sigma = radius[i] + radius[j];
      const r2 = dx * dx + dy * dy;
      if (r2 >= sigma * sigma) continue;
      const r = Math.sqrt(r2);
      const delta = 1 - r / sigma;
      e += 0.5 * delta * delta;
      // |F| = -dE/dr = delta / sigma, pushing j away from i along (dx, dy) / r
      const fr = r > 0 ? delta / sigma / r : 0;
      force[2 * i] -= fr * dx;
      force[2 * i + 1] -= fr * dy;
      force[2 * j] += fr * dx;
      force[2 * j + 1] += fr * dy;
    }
    return e;
  };
  // Time steps: the stiffest pair has k = 1 / sigma^2 = 1 (mass 1), so omega <= sqrt(2 * 6) ~ 3.5 and steps stay below
  // the Euler limit 2 / omega ~ 0.6.
  const result = fire(x, energyAndForce, { forceTolerance: tol, maxIterations: options.maxIterations ?? 1_000_000, dt: 0.02, dtMax: 0.2 });

  // Contacts of the periodic packing, and what crosses the box's edge.
  for (let i = 0; i < 2 * n; i++) x[i] = x[i] - box * Math.floor(x[i] / box);
  list.update(x, true);
  const ca: number[] = [];
  const cb: number[] = [];
  let virial = 0;
  let maxOverlap = 0;
  let sumOverlap = 0;
  let contacts = 0;
  for (let q = 0; q < list.count; q++) {
    const i = list.pairA[q];
    const j = list.pairB[q];
    const rx = x[2 * j] - x[2 * i];
    const ry = x[2 * j + 1] - x[2 * i + 1];
    const dx = wrap(rx, box);
    const dy = wrap(ry, box);
    const sigma = radius[i] + radius[j];
    const r = Math.hypot(dx, dy);
    if (r >= sigma) continue;
    contacts++;
    const delta = 1 - r / sigma;
    virial += (delta / sigma) * r;
    maxOverlap = Math.max(maxOverlap, delta);
    sumOverlap += delta;
    // the same vector without the minimum image: the contact does not cross the box's edge
    if (dx === rx && dy === ry) {
      ca.push(Math.min(i, j));
      cb.push(Math.max(i, j));
    }
  }

  // Prune: fewer than 3 springs, then the largest rigid cluster, then fewer than 3 springs again.
  const alive = new Uint8Array(n).fill(1);
  let live = pruneLowDegree(n, ca, cb, alive);
  const cluster = largestRigidCluster(n, ca, cb, alive);
  for (let i = 0; i < n; i++) if (alive[i] && !cluster[i]) alive[i] = 0;
  const notRigid = live - cluster.reduce((s, c) => s + c, 0);
  live = pruneLowDegree(n, ca, cb, alive);
  if (live < 3) {
    throw new InvalidInputError(
      { source, field: 'N' },
      `the packing of ${n} disks at packing fraction ${show(phi)} leaves no rigid contact network after cutting its periodic box open (${contacts} contacts)`,
      'raise --phi above jamming (about 0.84; default 0.9) or use more disks',
    );
  }

  const id = new Int32Array(n).fill(-1);
  let m = 0;
  for (let i = 0; i < n; i++) if (alive[i]) id[i] = m++;
  const positions = new Float64Array(2 * m);
  const diameters = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    if (id[i] < 0) continue;
    diameters[id[i]] = 2 * radius[i];
    positions[2 * id[i]] = x[2 * i];
    positions[2 * id[i] + 1] = x[2 * i + 1];
  }
  const ea: number[] = [];
  const eb: number[] = [];
  const order = ca.map((_, e) => e).filter((e) => alive[ca[e]] && alive[cb[e]]);
  order.sort((p, q) => ca[p] - ca[q] || cb[p] - cb[q]);
  for (const e of order) {
    ea.push(id[ca[e]]);
    eb.push(id[cb[e]]);
  }
  const edges = ea.length;
  const restLength = new Float64Array(edges);
  for (let e = 0; e < edges; e++) {
    restLength[e] = Math.hypot(positions[2 * eb[e]] - positions[2 * ea[e]], positions[2 * eb[e] + 1] - positions[2 * ea[e] + 1]);
  }
  const network: SpringNetwork = {
    name: options.name ?? `jammed-${n}-phi${phi}-s${seed}`,
    dim: 2,
    nodes: m,
    positions,
    edgeA: Int32Array.from(ea),
    edgeB: Int32Array.from(eb),
    stiffness: new Float64Array(edges).fill(stiffness),
    restLength,
    bounds,
  };
  const coordination = (2 * edges) / m;
  const { x: _x, ...minimisation } = result;
  return {
    network,
    disks: n,
    diameters,
    box,
    packingFraction: phi,
    pressure: virial / (2 * box * box),
    contacts,
    coordination,
    excessCoordination: coordination - 4,
    maxOverlap,
    meanOverlap: contacts > 0 ? sumOverlap / contacts : 0,
    removed: { lowCoordination: n - m - notRigid, notRigid },
    minimisation,
  };
}

/** Minimum image of a coordinate difference in a periodic box of side `box`. */
function wrap(d: number, box: number): number {
  return d - box * Math.round(d / box);
}

/** Remove nodes with fewer than 3 springs among the living, repeatedly; returns the number left alive. */
export function pruneLowDegree(n: number, ea: number[], eb: number[], alive: Uint8Array): number {
  const degree = new Int32Array(n);
  const adj: number[][] = Array.from({ length: n }, () => []);
  for (let e = 0; e < ea.length; e++) {
    if (!alive[ea[e]] || !alive[eb[e]]) continue;
    degree[ea[e]]++;
    degree[eb[e]]++;
    adj[ea[e]].push(eb[e]);
    adj[eb[e]].push(ea[e]);
  }
  const queue: number[] = [];
  for (let i = 0; i < n; i++) if (alive[i] && degree[i] < 3) queue.push(i);
  while (queue.length > 0) {
    const i = queue.pop()!;
    if (!alive[i]) continue;
    alive[i] = 0;
    for (const j of adj[i]) {
      if (!alive[j]) continue;
      degree[j]--;
      if (degree[j] < 3) queue.push(j);
    }
  }
  let live = 0;
  for (let i = 0; i < n; i++) live += alive[i];
  return live;
}

/**
 * The largest rigid cluster of the living nodes' springs (1 = in it). Each spring lies in exactly one rigid cluster;
 * clusters are found from springs not yet in one, until no cluster left could be larger than the best.
 */
export function largestRigidCluster(n: number, ea: number[], eb: number[], alive: Uint8Array): Uint8Array {
  const game = new PebbleGame(n);
  const edges: number[] = [];
  for (let e = 0; e < ea.length; e++) {
    if (!alive[ea[e]] || !alive[eb[e]]) continue;
    game.add(ea[e], eb[e]);
    edges.push(e);
  }
  let best = new Uint8Array(n);
  let bestSize = 0;
  const labelled = new Uint8Array(ea.length);
  const mark = new Uint8Array(n);
  for (const e of edges) {
    if (labelled[e]) continue;
    // nodes touched by springs in no cluster yet bound the size of any cluster still to find
    mark.fill(0);
    let open = 0;
    for (const f of edges) {
      if (labelled[f]) continue;
      for (const v of [ea[f], eb[f]]) if (!mark[v]) (mark[v] = 1), open++;
    }
    if (open <= bestSize) break;
    const members = game.rigidCluster(ea[e], eb[e]);
    const inside = new Uint8Array(n);
    for (const v of members) inside[v] = 1;
    for (const f of edges) if (inside[ea[f]] && inside[eb[f]]) labelled[f] = 1;
    labelled[e] = 1;
    if (members.length > bestSize) {
      best = inside;
      bestSize = members.length;
    }
  }
  return best;
}

/**
 * A Verlet neighbour list for disks in a periodic box: every pair closer than sigma_ij + skin, rebuilt (by binning
 * into cells of side >= the largest sigma + skin) when some disk has moved more than skin / 2 since the last build.
 */
class NeighbourList {
  pairA = new Int32Array(0);
  pairB = new Int32Array(0);
  count = 0;
  private readonly reference: Float64Array;
  private built = false;

  constructor(
    private readonly radius: Float64Array,
    private readonly box: number,
    private readonly skin: number,
  ) {
    this.reference = new Float64Array(2 * radius.length);
  }

  update(x: Float64Array, force = false): void {
    if (!force && this.built) {
      const limit = (this.skin / 2) ** 2;
      let moved = false;
      for (let i = 0; i < this.radius.length && !moved; i++) {
        const dx = x[2 * i] - this.reference[2 * i];
        const dy = x[2 * i + 1] - this.reference[2 * i + 1];
        moved = dx * dx + dy * dy > limit;
      }
      if (!moved) return;
    }
    this.build(x);
  }

  private build(x: Float64Array): void {
    const { radius, box, skin } = this;
    const n = radius.length;
    this.reference.set(x);
    this.built = true;
    let maxR = 0;
    for (let i = 0; i < n; i++) maxR = Math.max(maxR, radius[i]);
    const reach = 2 * maxR + skin;
    const cells = Math.floor(box / reach);
    const a: number[] = [];
    const b: number[] = [];
    const near = (i: number, j: number): void => {
      const dx = wrap(x[2 * j] - x[2 * i], box);
      const dy = wrap(x[2 * j + 1] - x[2 * i + 1], box);
      const cut = radius[i] + radius[j] + skin;
      if (dx * dx + dy * dy < cut * cut) {
        a.push(i);
        b.push(j);
      }
    };
    if (cells < 3) {
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) near(i, j);
    } else {
      const side = box / cells;
      const head = new Int32Array(cells * cells).fill(-1);
      const next = new Int32Array(n);
      const cellOf = (v: number): number => {
        const c = Math.floor((v - box * Math.floor(v / box)) / side);
        return c >= cells ? cells - 1 : c;
      };
      for (let i = 0; i < n; i++) {
        const c = cellOf(x[2 * i + 1]) * cells + cellOf(x[2 * i]);
        next[i] = head[c];
        head[c] = i;
      }
      for (let cy = 0; cy < cells; cy++) {
        for (let cx = 0; cx < cells; cx++) {
          for (let i = head[cy * cells + cx]; i >= 0; i = next[i]) {
            // this cell (j after i in its chain) and the 4 neighbour cells of the upper half plane, each pair once
            for (let j = next[i]; j >= 0; j = next[j]) near(i, j);
            for (const [ox, oy] of HALF_STENCIL) {
              const c = ((cy + oy + cells) % cells) * cells + ((cx + ox + cells) % cells);
              for (let j = head[c]; j >= 0; j = next[j]) near(i, j);
            }
          }
        }
      }
    }
    this.pairA = Int32Array.from(a);
    this.pairB = Int32Array.from(b);
    this.count = a.length;
  }
}

/** Cell offsets (dx, dy) covering each neighbouring cell pair once. */
const HALF_STENCIL: readonly (readonly [number, number])[] = [
  [1, 0],
  [-1, 1],
  [0, 1],
  [1, 1],
];
