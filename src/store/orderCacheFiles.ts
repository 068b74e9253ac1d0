import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { CachedEliminationOrder, EliminationOrderCache } from '../physics/EliminationOrderCache.js';
import type { AdjacencyGraph } from '../physics/sparse/AdjacencyGraph.js';

/** File magic of an order cache entry, version 1. */
const MAGIC = 'CLLNORD1';
const HEADER = 16; // magic (8 bytes), n (uint32 LE), method code (uint32 LE)
const METHODS = ['nd', 'amd', 'natural'] as const;

/** How many entries a cache folder keeps (64 KB each for a 16,384-node network): the oldest go first. */
export const ORDER_CACHE_ENTRIES = 64;

/**
 * The folder of clln's caches: `$CLLN_CACHE_DIR`, else `$XDG_CACHE_HOME/clln`, else `~/.cache/clln`. null when
 * `$CLLN_ORDER_CACHE` is `off`, which turns the order cache off.
 */
export function orderCacheDir(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.CLLN_ORDER_CACHE === 'off') return null;
  if (env.CLLN_CACHE_DIR) return join(resolve(env.CLLN_CACHE_DIR), 'orders');
  if (env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME)) return join(env.XDG_CACHE_HOME, 'clln', 'orders');
  return join(homedir(), '.cache', 'clln', 'orders');
}

/** The cache key of a graph and request: SHA-256 of the request, n and the graph's arrays, in hex. */
export function orderCacheKey(graph: AdjacencyGraph, request: string): string {
  const h = createHash('sha256');
  h.update(request);
  h.update(new Uint8Array(Int32Array.of(graph.n).buffer));
  h.update(new Uint8Array(graph.ptr.buffer, graph.ptr.byteOffset, graph.ptr.byteLength));
  h.update(new Uint8Array(graph.adj.buffer, graph.adj.byteOffset, graph.adj.byteLength));
  return h.digest('hex');
}

/**
 * An {@link EliminationOrderCache} in files, one per graph (`<key>.ord`: the magic `CLLNORD1`, n and the method as
 * uint32 little-endian, then the n int32 of the order), written under a temporary name and renamed into place, so
 * that concurrent runs never read half an entry. Reading and writing never throw: an unreadable, truncated or
 * foreign file is a miss (the system also checks that the order is a permutation), and a folder that cannot be
 * written (read-only home, disk full) only loses the speed-up. At most {@link ORDER_CACHE_ENTRIES} entries are kept.
 */
export function fileOrderCache(dir: string): EliminationOrderCache {
  return {
    get(graph, request) {
      try {
        const buf = readFileSync(join(dir, `${orderCacheKey(graph, request)}.ord`));
        if (buf.length !== HEADER + 4 * graph.n || buf.toString('latin1', 0, 8) !== MAGIC) return undefined;
        const n = buf.readUInt32LE(8);
        const method = METHODS[buf.readUInt32LE(12)];
        if (n !== graph.n || method === undefined) return undefined;
        const order = new Int32Array(n);
        for (let k = 0; k < n; k++) order[k] = buf.readInt32LE(HEADER + 4 * k);
        return { order, method };
      } catch {
        return undefined;
      }
    },
    set(graph, request, value: CachedEliminationOrder) {
      try {
        mkdirSync(dir, { recursive: true });
        const buf = Buffer.alloc(HEADER + 4 * value.order.length);
        buf.write(MAGIC, 0, 'latin1');
        buf.writeUInt32LE(value.order.length, 8);
        buf.writeUInt32LE(METHODS.indexOf(value.method), 12);
        for (let k = 0; k < value.order.length; k++) buf.writeInt32LE(value.order[k], HEADER + 4 * k);
        const path = join(dir, `${orderCacheKey(graph, request)}.ord`);
        const tmp = `${path}.tmp-${process.pid}`;
        writeFileSync(tmp, buf);
        renameSync(tmp, path);
        prune(dir);
      } catch {
        // a cache that cannot be written only loses the speed-up
      }
    },
  };
}

/** Remove the oldest entries beyond ORDER_CACHE_ENTRIES (by modification time). */
function prune(dir: string): void {
  const entries = readdirSync(dir).filter((f) => f.endsWith('.ord'));
  if (entries.length <= ORDER_CACHE_ENTRIES) return;
  const dated = entries.map((f) => ({ f, t: statSync(join(dir, f)).mtimeMs })).sort((a, b) => a.t - b.t);
  for (const { f } of dated.slice(0, dated.length - ORDER_CACHE_ENTRIES)) {
    try {
      unlinkSync(join(dir, f));
    } catch {
      // another run removed it first
    }
  }
}

/** The order cache of `orderCacheDir(env)`, or undefined when it is turned off. */
export function defaultOrderCache(env: NodeJS.ProcessEnv = process.env): EliminationOrderCache | undefined {
  const dir = orderCacheDir(env);
  return dir === null ? undefined : fileOrderCache(dir);
}
