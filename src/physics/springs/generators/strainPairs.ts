/**
 * Choosing the source and target pairs of a strain task on a given network (`clln task strain --source auto`). Pure
 * and deterministic given the seed.
 */
import { InvalidInputError } from '../../../errors.js';
import { generatorRng } from '../../generators/options.js';
import type { SpringNetwork } from '../SpringNetwork.js';

/**
 * Two far-apart pairs of neighbouring nodes: each pair is the two ends of a spring (nearby nodes, as the labs' source
 * and target "binding sites"). The source is a spring drawn at random; the target is drawn at random among the
 * springs that share no node with it and whose midpoint lies at least half as far from the source's midpoint as the
 * farthest spring's does (so the two are about a system size apart, not at the far boundary every time). A pair given
 * in `fixed` is kept and only the other one is chosen (with the same distance rule from it).
 * @throws InvalidInputError when the network has no two springs without a common node
 */
export function pickStrainPairs(
  net: SpringNetwork,
  seed: number | undefined,
  fixed: { source?: [number, number]; target?: [number, number] } = {},
): { source: [number, number]; target: [number, number] } {
  const rng = generatorRng(seed, 'strain-pairs');
  const springs = net.edgeA.length;
  if (fixed.source && fixed.target) return { source: fixed.source, target: fixed.target };
  const anchor: [number, number] =
    fixed.source ?? fixed.target ?? (springs > 0 ? (() => {
      const e = rng.int(springs);
      return [net.edgeA[e], net.edgeB[e]] as [number, number];
    })() : [0, 0]);
  for (const v of anchor) {
    if (!(Number.isInteger(v) && v >= 0 && v < net.nodes)) {
      throw new InvalidInputError({ source: fixed.source ? '--source' : '--target', field: net.name }, `unknown node ${v}: the network has ${net.nodes} nodes, so node ids run 0..${net.nodes - 1}`, `use node ids in 0..${net.nodes - 1}`);
    }
  }
  const { dim, positions: x } = net;
  const mid = (a: number, b: number, c: number): number => (x[dim * a + c] + x[dim * b + c]) / 2;
  const dist = new Float64Array(springs).fill(-1);
  let far = 0;
  for (let e = 0; e < springs; e++) {
    const a = net.edgeA[e];
    const b = net.edgeB[e];
    if (a === anchor[0] || a === anchor[1] || b === anchor[0] || b === anchor[1]) continue;
    let s = 0;
    for (let c = 0; c < dim; c++) s += (mid(a, b, c) - mid(anchor[0], anchor[1], c)) ** 2;
    dist[e] = Math.sqrt(s);
    far = Math.max(far, dist[e]);
  }
  const candidates: number[] = [];
  for (let e = 0; e < springs; e++) if (dist[e] >= 0 && dist[e] >= far / 2) candidates.push(e);
  if (candidates.length === 0) {
    throw new InvalidInputError(
      { source: '--source auto', field: net.name },
      `the network has no spring sharing no node with the pair [${anchor.join(', ')}], so no second pair can be chosen`,
      'give both pairs with --source A,B and --target C,D, or use a larger network',
    );
  }
  const e = candidates[rng.int(candidates.length)];
  const other: [number, number] = [net.edgeA[e], net.edgeB[e]];
  return fixed.target && !fixed.source ? { source: other, target: fixed.target } : { source: anchor, target: other };
}
