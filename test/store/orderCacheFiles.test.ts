/**
 * The fill-reducing order cache: a LaplacianSystem that finds its graph's order in the cache skips the ordering and
 * gives bit-identical solutions; entries survive in files between processes; anything unreadable, truncated,
 * foreign or not a permutation is a miss, and a folder that cannot be written never fails a run.
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CachedEliminationOrder, EliminationOrderCache } from '../../src/physics/EliminationOrderCache.js';
import { latticeNetwork } from '../../src/physics/generators/lattice.js';
import { LaplacianSystem } from '../../src/physics/LaplacianSystem.js';
import type { AdjacencyGraph } from '../../src/physics/sparse/AdjacencyGraph.js';
import { fileOrderCache, ORDER_CACHE_ENTRIES, orderCacheDir, orderCacheKey } from '../../src/store/orderCacheFiles.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'clln-ordercache-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

// 48 x 48 = 2304 nodes, two imposed: above ORDER_CACHE_MIN_FREE (2000), so the cache is used.
const net = latticeNetwork({ rows: 48, cols: 48, diagonals: true, seed: 2 });
const imposed = Int32Array.of(0, net.nodes - 1);

function system(cache?: EliminationOrderCache): LaplacianSystem {
  const sys = new LaplacianSystem(net.nodes, net.edgeA, net.edgeB, imposed, { orderCache: cache });
  sys.setConductance(net.conductance);
  return sys;
}

/** Counts calls, keeps entries in memory. */
function countingCache(inner: EliminationOrderCache) {
  const calls = { get: 0, hit: 0, set: 0 };
  const cache: EliminationOrderCache = {
    get(g, r) {
      calls.get++;
      const v = inner.get(g, r);
      if (v) calls.hit++;
      return v;
    },
    set(g, r, v) {
      calls.set++;
      inner.set(g, r, v);
    },
  };
  return { cache, calls };
}

describe('LaplacianSystem with an order cache', () => {
  it('a second system on the same graph takes the order from the cache and solves bit for bit alike', () => {
    const dir = tempDir();
    const { cache, calls } = countingCache(fileOrderCache(dir));
    const a = system(cache);
    expect(a.analysis.orderCached).toBe(false);
    expect(calls).toEqual({ get: 1, hit: 0, set: 1 });
    expect(readdirSync(dir).filter((f) => f.endsWith('.ord'))).toHaveLength(1);
    // a fresh cache object on the same folder: as another process would see it
    const { cache: again, calls: calls2 } = countingCache(fileOrderCache(dir));
    const b = system(again);
    expect(b.analysis.orderCached).toBe(true);
    expect(calls2).toEqual({ get: 1, hit: 1, set: 0 });
    expect(b.analysis.ordering).toBe(a.analysis.ordering);
    expect(b.analysis.nnzL).toBe(a.analysis.nnzL);
    const v = Float64Array.of(1.5, 0);
    const ra = a.solve(v);
    const rb = b.solve(v);
    expect(rb.diagnostics.residual).toBeLessThan(1e-12);
    expect(Array.from(rb.voltages)).toEqual(Array.from(ra.voltages));
  });

  it('a cached order that is not a permutation of the free nodes is ignored and the order is computed', () => {
    const bad: CachedEliminationOrder = { order: new Int32Array(net.nodes - 2), method: 'nd' }; // all zeros
    const { cache, calls } = countingCache({ get: () => bad, set: () => {} });
    const sys = system(cache);
    expect(sys.analysis.orderCached).toBe(false);
    expect(calls.set).toBe(1);
    expect(sys.solve(Float64Array.of(1, 0)).diagnostics.residual).toBeLessThan(1e-12);
  });

  it('small systems do not use the cache', () => {
    const { cache, calls } = countingCache({ get: () => undefined, set: () => {} });
    const small = latticeNetwork({ rows: 10, cols: 10, seed: 1 });
    new LaplacianSystem(small.nodes, small.edgeA, small.edgeB, Int32Array.of(0), { orderCache: cache });
    expect(calls.get + calls.set).toBe(0);
  });
});

describe('fileOrderCache', () => {
  const graph: AdjacencyGraph = { n: 4, ptr: Int32Array.of(0, 1, 3, 5, 6), adj: Int32Array.of(1, 0, 2, 1, 3, 2) };
  const value: CachedEliminationOrder = { order: Int32Array.of(3, 0, 2, 1), method: 'amd' };

  it('round-trips an entry; another graph or request misses', () => {
    const c = fileOrderCache(tempDir());
    c.set(graph, 'r1', value);
    const got = c.get(graph, 'r1');
    expect(got?.method).toBe('amd');
    expect(Array.from(got!.order)).toEqual([3, 0, 2, 1]);
    expect(c.get(graph, 'r2')).toBeUndefined();
    const other = { ...graph, adj: Int32Array.of(1, 0, 3, 1, 2, 2) };
    expect(c.get(other, 'r1')).toBeUndefined();
  });

  it('a truncated or foreign file is a miss, not an error', () => {
    const dir = tempDir();
    const c = fileOrderCache(dir);
    c.set(graph, 'r', value);
    const path = join(dir, `${orderCacheKey(graph, 'r')}.ord`);
    const whole = readFileSync(path);
    writeFileSync(path, whole.subarray(0, whole.length - 1));
    expect(c.get(graph, 'r')).toBeUndefined();
    const foreign = Buffer.from(whole);
    foreign.write('NOTANORD', 0, 'latin1');
    writeFileSync(path, foreign);
    expect(c.get(graph, 'r')).toBeUndefined();
    const badMethod = Buffer.from(whole);
    badMethod.writeUInt32LE(7, 12);
    writeFileSync(path, badMethod);
    expect(c.get(graph, 'r')).toBeUndefined();
  });

  it('a folder that cannot be written loses only the speed-up', () => {
    const dir = tempDir();
    const blocked = join(dir, 'file');
    writeFileSync(blocked, 'not a folder');
    const c = fileOrderCache(join(blocked, 'orders')); // mkdir under a file fails whoever runs the test
    expect(() => c.set(graph, 'r', value)).not.toThrow();
    expect(c.get(graph, 'r')).toBeUndefined();
    const ro = join(dir, 'ro');
    mkdirSync(ro);
    chmodSync(ro, 0o500);
    expect(() => fileOrderCache(ro).set(graph, 'r', value)).not.toThrow();
    chmodSync(ro, 0o700);
  });

  it(`keeps at most ${ORDER_CACHE_ENTRIES} entries`, () => {
    const dir = tempDir();
    const c = fileOrderCache(dir);
    for (let i = 0; i < ORDER_CACHE_ENTRIES + 5; i++) c.set(graph, `r${i}`, value);
    expect(readdirSync(dir).filter((f) => f.endsWith('.ord')).length).toBe(ORDER_CACHE_ENTRIES);
    expect(readdirSync(dir).some((f) => f.includes('.tmp-'))).toBe(false);
  });

  it('the folder follows CLLN_CACHE_DIR, then XDG_CACHE_HOME, then ~/.cache; CLLN_ORDER_CACHE=off turns it off', () => {
    expect(orderCacheDir({ CLLN_CACHE_DIR: '/c' })).toBe('/c/orders');
    expect(orderCacheDir({ XDG_CACHE_HOME: '/x' })).toBe('/x/clln/orders');
    expect(orderCacheDir({ XDG_CACHE_HOME: 'relative' })).toMatch(/\.cache\/clln\/orders$/);
    expect(orderCacheDir({ CLLN_ORDER_CACHE: 'off', CLLN_CACHE_DIR: '/c' })).toBeNull();
  });
});
