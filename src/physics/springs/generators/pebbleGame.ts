/**
 * The (2, 3) pebble game of Jacobs & Hendrickson (J. Comput. Phys. 137, 1997): generic rigidity of central-force
 * networks in 2D, by counting alone (no positions). Every node holds 2 pebbles (its 2 degrees of freedom); a spring
 * is *independent* (it removes a degree of freedom) when 4 pebbles can be gathered on its two ends, and is then
 * covered by one of them; otherwise it is *redundant* (its constraint is implied by the springs already accepted).
 * A network of N >= 2 nodes is generically rigid when it has 2N - 3 independent springs (the 3 left are the
 * rigid-body modes). "Generic": true for positions in general position (any random positional disorder); special
 * positions (collinear rows of a perfect lattice) can have extra zero modes the count does not see.
 *
 * Used by the spring generators to dilute a lattice without making it floppy and to keep the rigid part of a jammed
 * contact network. Pure; O(N E) worst case, far less in practice.
 */
export class PebbleGame {
  /** Free pebbles of each node (0..2). */
  private readonly free: Uint8Array;
  /** Accepted (independent) springs as directed edges: out[v] lists the heads of the springs v's pebbles cover. */
  private readonly out: number[][];
  /** Number of independent springs accepted. */
  independent = 0;
  // search scratch
  private readonly seen: Int32Array;
  private readonly parent: Int32Array;
  private stamp = 0;
  /** Nodes reached by the last search. */
  private trail: number[] = [];
  /** Every spring offered, accepted or not, both directions (a rigid cluster is connected through these). */
  private readonly adj: number[][];

  constructor(readonly nodes: number) {
    this.free = new Uint8Array(nodes).fill(2);
    this.out = Array.from({ length: nodes }, () => []);
    this.seen = new Int32Array(nodes);
    this.parent = new Int32Array(nodes);
    this.adj = Array.from({ length: nodes }, () => []);
  }

  /**
   * Offer spring (a, b). Returns true, and accepts it, when it is independent of the springs accepted so far; false
   * when redundant (nothing changes but the pebbles' places).
   */
  add(a: number, b: number): boolean {
    if (a === b) return false;
    this.adj[a].push(b);
    this.adj[b].push(a);
    while (this.free[a] < 2 && this.fetch(a, a, b)) {
      /* gather */
    }
    while (this.free[b] < 2 && this.fetch(b, a, b)) {
      /* gather */
    }
    if (this.free[a] + this.free[b] < 4) return false;
    this.free[a]--;
    this.out[a].push(b);
    this.independent++;
    return true;
  }

  /** True when `n` nodes with this many independent springs are generically rigid (2n - 3; n <= 1 trivially). */
  isRigid(): boolean {
    return this.nodes <= 1 || this.independent === 2 * this.nodes - 3;
  }

  /**
   * The nodes rigidly connected to the accepted spring (a, b) (its rigid cluster, a and b included). Pin 3 pebbles on
   * a and b; a node is in the cluster exactly when no free pebble can be brought to it with those pinned.
   */
  rigidCluster(a: number, b: number): number[] {
    while (this.free[a] < 2 && this.fetch(a, a, b)) {
      /* gather */
    }
    while (this.free[b] < 1 && this.fetch(b, a, b)) {
      /* gather */
    }
    const inCluster = new Uint8Array(this.nodes);
    const tested = new Uint8Array(this.nodes);
    inCluster[a] = inCluster[b] = tested[a] = tested[b] = 1;
    const cluster = [a, b];
    // A rigid cluster is connected through the springs offered (rigid implies connected), so grow it by neighbours.
    for (let q = 0; q < cluster.length; q++) {
      for (const w of this.adj[cluster[q]]) {
        if (tested[w]) continue;
        tested[w] = 1;
        if (this.free[w] > 0) continue; // a free pebble sits on w: it can move
        const found = this.fetch(w, a, b);
        if (found) continue;
        // Every node the failed search reached cannot reach a free pebble either: all are rigid with (a, b).
        for (const v of this.trail) {
          if (!inCluster[v]) {
            inCluster[v] = 1;
            tested[v] = 1;
            cluster.push(v);
          }
        }
      }
    }
    return cluster;
  }

  /**
   * Bring one free pebble to `to` along the directed springs (reversing the path), never taking a free pebble of the
   * pinned nodes a and b (a path may pass through them: the nodes inside a path keep their free count). Returns false
   * when no free pebble is reachable; `trail` then lists the nodes the search reached.
   */
  private fetch(to: number, a: number, b: number): boolean {
    this.stamp++;
    const { seen, parent, out, free } = this;
    seen[to] = this.stamp;
    const trail: number[] = [to];
    this.trail = trail;
    const stack = [to];
    let found = -1;
    while (stack.length > 0 && found < 0) {
      const v = stack.pop()!;
      for (const w of out[v]) {
        if (seen[w] === this.stamp) continue;
        seen[w] = this.stamp;
        trail.push(w);
        parent[w] = v;
        if (free[w] > 0 && w !== a && w !== b) {
          found = w;
          break;
        }
        stack.push(w);
      }
    }
    if (found < 0) return false;
    // Reverse the path to -> ... -> found: the pebble at `found` now covers the last spring, and so on back to `to`.
    free[found]--;
    let w = found;
    while (w !== to) {
      const v = parent[w];
      const i = out[v].indexOf(w);
      out[v][i] = out[v][out[v].length - 1];
      out[v].pop();
      out[w].push(v);
      w = v;
    }
    free[to]++;
    return true;
  }
}
