/** The seeded random source patterns of a calibration plan with coverage guarantees: {@link generatePatterns}. */
import type { BoardIdentity } from '../../firmware-protocol/identity.js';
import { fail } from '../formats/jsonChecks.js';
import { Rng } from '../physics/Rng.js';
import type { CalibrationPattern, RandomPatterns } from './types.js';
import { PLAN_DEFAULTS, COVER_MIN_COUNT } from './planDefaults.js';

/**
 * Random source patterns, `spec.count` of them, from `spec.seed` (deterministic). Each pattern drives a random
 * number of distinct drivable nodes (uniform in `spec.drive`, capped at what the board offers) and clamps a random
 * number (uniform in `spec.clamp`, capped likewise) of distinct clampable nodes that are not driven. Voltages are
 * uniform in `dac.lo + range * (dac.hi - dac.lo)` and rounded to 1e-4 V.
 *
 * Coverage (count >= {@link COVER_MIN_COUNT}): before the random fill, a deterministic-given-the-seed cover is laid
 * out:
 * 1. drive cover: each drivable node is put into 2 patterns, each time into a least-loaded pattern (ties broken at
 *    random; when every allowed pattern is full, nodes already placed are moved along an augmenting path, so the
 *    cover fits whenever count * drive max >= 2 x drivable nodes), once at a voltage in the lowest 35 % of the usable range and once in the highest 35 %
 *    (so the two differ by at least 30 % > {@link COVER_MIN_SPREAD} of it);
 * 2. clamp cover: each clampable node is likewise clamped in 2 least-loaded patterns where it is not driven, once
 *    low and once high (needs count * clamp max >= 2 x clampable nodes);
 * 3. free reservation: each drivable node gets 2 patterns (fewest reservations first) where it is neither driven
 *    nor clamped, and the random fill leaves it free there;
 * 4. random fill: each pattern is topped up to its random drive and clamp counts with random nodes and voltages.
 * The per-pattern minimum counts always win over the reservations. Hence the coverage (every drivable node driven
 * in >= 2 patterns at voltages >= 25 % of the usable range apart and free in >= 2 patterns; every clampable node
 * clamped in >= 2 patterns at different voltages) holds whenever count >= 8, count * drive max >= 2 x drivable
 * nodes, count * clamp max >= 2 x clampable nodes and the minimum counts leave room; otherwise it is best effort.
 *
 * @throws InvalidInputError when the board cannot satisfy the minimum counts (no drivable node, drive min > drivable
 *   nodes, clamp min > clampable nodes, drive min + clamp min > nodes that can be driven or clamped)
 */
export function generatePatterns(spec: RandomPatterns, id: BoardIdentity, source = 'calibration plan'): CalibrationPattern[] {
  const [dMin, dMax] = spec.drive ?? PLAN_DEFAULTS.drive;
  const [cMin, cMax] = spec.clamp ?? PLAN_DEFAULTS.clamp;
  const [fLo, fHi] = spec.range ?? PLAN_DEFAULTS.range;
  const D = [...new Set(id.drivable)].sort((a, b) => a - b);
  const C = [...new Set(id.clampable)].sort((a, b) => a - b);
  const inD = new Set(D);
  const inC = new Set(C);
  const union = new Set([...D, ...C]).size;
  const board = `board ${id.model}`;
  if (D.length === 0) fail(source, 'patterns', `${board} has no drivable node, so no pattern can drive anything`, 'calibrate a board with drive channels');
  if (dMin > D.length) {
    fail(source, 'patterns.drive', `asks for at least ${dMin} driven nodes per pattern, but ${board} has only ${D.length} drivable nodes`, `lower the minimum to at most ${D.length}`);
  }
  if (cMin > C.length) {
    fail(source, 'patterns.clamp', `asks for at least ${cMin} clamped nodes per pattern, but ${board} has only ${C.length} clampable nodes`, `lower the minimum to at most ${C.length}`);
  }
  if (dMin + cMin > union) {
    fail(
      source,
      'patterns.clamp',
      `${dMin} driven plus ${cMin} clamped nodes per pattern need ${dMin + cMin} distinct nodes, but only ${union} nodes of ${board} can be driven or clamped`,
      `lower the minima so that drive min + clamp min <= ${union}`,
    );
  }
  const capD = Math.min(dMax, D.length, union - cMin);
  const capC = Math.min(cMax, C.length);

  const rng = new Rng(spec.seed);
  const P = spec.count;
  const span = id.dac.hi - id.dac.lo;
  const vLo = id.dac.lo + fLo * span;
  const vHi = id.dac.lo + fHi * span;
  const u = vHi - vLo;
  const volts = (a: number, b: number): number => {
    const v = Math.round(rng.uniform(a, b) * 1e4) / 1e4;
    return Math.min(id.dac.hi, Math.max(id.dac.lo, v));
  };
  const band = (high: boolean): number => (high ? volts(vLo + 0.65 * u, vHi) : volts(vLo, vLo + 0.35 * u));

  const drive = Array.from({ length: P }, () => new Map<number, number>());
  const clamp = Array.from({ length: P }, () => new Map<number, number>());
  const reserved = Array.from({ length: P }, () => new Set<number>());
  const busy = (p: number, x: number): boolean => drive[p].has(x) || clamp[p].has(x);
  // Per pattern: how many drivable / clampable nodes are driven or clamped (kept up to date by put and take).
  const busyD = new Int32Array(P);
  const busyC = new Int32Array(P);
  const mark = (p: number, x: number, d: number): void => {
    if (inD.has(x)) busyD[p] += d;
    if (inC.has(x)) busyC[p] += d;
  };
  const put = (maps: Map<number, number>[], p: number, x: number, v: number): void => {
    maps[p].set(x, v);
    mark(p, x, 1);
  };
  const take = (maps: Map<number, number>[], p: number, x: number): number => {
    const v = maps[p].get(x)!;
    maps[p].delete(x);
    mark(p, x, -1);
    return v;
  };
  /** Driving x in p leaves enough clampable nodes for the clamp minimum. */
  const mayDrive = (p: number, x: number): boolean => !inC.has(x) || clamp[p].size + (C.length - busyC[p]) - 1 >= cMin;
  /** Clamping x in p leaves enough drivable nodes for the drive minimum. */
  const mayClamp = (p: number, x: number): boolean => !inD.has(x) || drive[p].size + (D.length - busyD[p]) - 1 >= dMin;
  /** A pattern among those passing `ok` with the smallest `load`, ties broken at random; -1 if none. */
  const leastLoaded = (ok: (p: number) => boolean, load: (p: number) => number): number => {
    let best: number[] = [];
    let bestLoad = Infinity;
    for (let p = 0; p < P; p++) {
      if (!ok(p)) continue;
      const l = load(p);
      if (l < bestLoad) {
        bestLoad = l;
        best = [p];
      } else if (l === bestLoad) best.push(p);
    }
    return best.length === 0 ? -1 : best[rng.int(best.length)];
  };

  /**
   * Put x (at voltage v) into one pattern of `maps` with room (size < cap) where `allowed`: a least-loaded one, or,
   * when every allowed pattern is full, along an augmenting path (move a node already placed to another allowed
   * pattern, and so on until one with room is reached), so a tight cover (count * max = 2 x nodes) still fits.
   */
  const place = (maps: Map<number, number>[], cap: number, allowed: (p: number, x: number) => boolean, x: number, v: number): void => {
    const p0 = leastLoaded((q) => maps[q].size < cap && allowed(q, x), (q) => maps[q].size);
    if (p0 >= 0) {
      put(maps, p0, x, v);
      return;
    }
    const parent = new Map<number, [number, number] | null>(); // pattern -> [pattern the node came from, node]
    const queue: number[] = [];
    for (let q = 0; q < P; q++) {
      if (allowed(q, x)) {
        parent.set(q, null);
        queue.push(q);
      }
    }
    while (queue.length > 0) {
      const q = queue.shift()!;
      for (const y of maps[q].keys()) {
        for (let r = 0; r < P; r++) {
          if (parent.has(r) || !allowed(r, y)) continue;
          parent.set(r, [q, y]);
          if (maps[r].size < cap) {
            let cur = r;
            for (let step = parent.get(cur); step; step = parent.get(cur)) {
              const [from, node] = step;
              put(maps, cur, node, take(maps, from, node));
              cur = from;
            }
            put(maps, cur, x, v);
            return;
          }
          queue.push(r);
        }
      }
    }
    // No room anywhere: the cover is partial (count * max < 2 x nodes).
  };

  if (P >= COVER_MIN_COUNT) {
    for (const x of rng.shuffle([...D])) {
      const highFirst = rng.next() < 0.5;
      for (let k = 0; k < 2; k++) place(drive, capD, (q, y) => !busy(q, y) && mayDrive(q, y), x, band(highFirst === (k === 0)));
    }
    if (capC > 0) {
      for (const x of rng.shuffle([...C])) {
        const highFirst = rng.next() < 0.5;
        for (let k = 0; k < 2; k++) place(clamp, capC, (q, y) => !busy(q, y) && mayClamp(q, y), x, band(highFirst === (k === 0)));
      }
    }
    for (const x of rng.shuffle([...D])) {
      for (let k = 0; k < 2; k++) {
        const p = leastLoaded((q) => !busy(q, x) && !reserved[q].has(x), (q) => reserved[q].size);
        if (p >= 0) reserved[p].add(x);
      }
    }
  }

  for (let p = 0; p < P; p++) {
    const dTarget = Math.max(drive[p].size, dMin + rng.int(capD - dMin + 1));
    while (drive[p].size < dTarget) {
      let cand = D.filter((x) => !busy(p, x) && !reserved[p].has(x) && mayDrive(p, x));
      if (cand.length === 0 && drive[p].size < dMin) cand = D.filter((x) => !busy(p, x) && mayDrive(p, x));
      if (cand.length === 0) break;
      put(drive, p, cand[rng.int(cand.length)], volts(vLo, vHi));
    }
    const cTarget = Math.max(clamp[p].size, cMin + rng.int(capC - cMin + 1));
    while (clamp[p].size < cTarget) {
      let cand = C.filter((x) => !busy(p, x) && !reserved[p].has(x));
      if (cand.length === 0 && clamp[p].size < cMin) cand = C.filter((x) => !busy(p, x));
      if (cand.length === 0) break;
      put(clamp, p, cand[rng.int(cand.length)], volts(vLo, vHi));
    }
  }

  const pairs = (m: Map<number, number>): [number, number][] => [...m.entries()].sort((a, b) => a[0] - b[0]);
  return drive.map((d, p) => ({ drive: pairs(d), clamp: pairs(clamp[p]) }));
}
