/**
 * The full nonlinear elastic energy of a spring network at arbitrary node positions r (not linearised):
 *
 *   E(r) = sum_e k_e / 2 (|r_b - r_a| - l_e)^2          (energy unit; k_e in energy / length^2, l_e = rest length)
 *
 * with its forces F = -grad E and its Hessian. This is the energy the Langevin route (thermal/langevin.ts) samples,
 * finite extensions included. At the reference positions of an unstressed network (l_e = |x_b - x_a|) its Hessian is
 * the stiffness matrix H = sum_e k_e B_e B_e^T of stiffnessMatrix.ts; the two are written independently, and
 * test/physics/springs/springEnergy.test.ts shows they agree.
 *
 * Per spring, with d = |r_b - r_a| and n = (r_b - r_a) / d:
 * - gradient: dE/dr_b = k (d - l) n = -dE/dr_a;
 * - Hessian block: K = k [n n^T + (1 - l / d)(I - n n^T)] at (b, b) and (a, a), -K at (a, b) and (b, a). The second
 *   term is the tension's transverse stiffness; it vanishes at rest (d = l), leaving k n n^T.
 *
 * Positions are interleaved like displacements (node i at `r[dim*i .. dim*i + dim - 1]`), length dim N.
 */
import { InvalidInputError, NumericalError, show } from '../../errors.js';
import { type CsrMatrix, csrFromTriplets } from '../sparse/CsrMatrix.js';
import { degreesOfFreedom, type SpringNetwork, springCount } from './SpringNetwork.js';

function checkPositions(net: SpringNetwork, r: Float64Array, what: string): void {
  if (!(r instanceof Float64Array) || r.length !== degreesOfFreedom(net)) {
    throw new InvalidInputError(
      { source: net.name, field: what },
      `must be a Float64Array of dim x nodes = ${degreesOfFreedom(net)} interleaved coordinates, got ${show(r?.length)} values`,
      'pass one coordinate per degree of freedom',
    );
  }
}

/** Current length d_e = |r_b - r_a| of spring s and the unit vector n along it (written to `n`, length dim). */
function springGeometry(net: SpringNetwork, r: Float64Array, s: number, n: Float64Array): number {
  const { dim } = net;
  const a = dim * net.edgeA[s];
  const b = dim * net.edgeB[s];
  let d2 = 0;
  for (let c = 0; c < dim; c++) {
    const v = r[b + c] - r[a + c];
    n[c] = v;
    d2 += v * v;
  }
  const d = Math.sqrt(d2);
  if (d > 0) for (let c = 0; c < dim; c++) n[c] /= d;
  return d;
}

function coincident(net: SpringNetwork, s: number): NumericalError {
  return new NumericalError(
    `spring ${s} of ${net.name}: nodes ${net.edgeA[s]} and ${net.edgeB[s]} coincide, so its force direction is undefined ` +
      '(the configuration has collapsed a spring to zero length)',
  );
}

/**
 * The nonlinear elastic energy E(r) = sum_e k_e / 2 (|r_b - r_a| - l_e)^2 (energy unit) at positions `r` (default:
 * the reference positions). `stiffness` defaults to the network's own.
 */
export function springEnergy(net: SpringNetwork, r: Float64Array = net.positions, stiffness: Float64Array = net.stiffness): number {
  checkPositions(net, r, 'positions');
  const n = new Float64Array(net.dim);
  let e = 0;
  for (let s = 0; s < springCount(net); s++) {
    const ext = springGeometry(net, r, s, n) - net.restLength[s];
    e += 0.5 * stiffness[s] * ext * ext;
  }
  return e;
}

/**
 * Forces F = -grad E at positions `r` (energy / length, interleaved, written to `forces`, which is overwritten), and
 * the energy E returned. Throws NumericalError if a spring has zero length (its direction, hence its force, is
 * undefined; it costs energy k l^2 / 2, so a sampler at sane temperatures never gets there).
 */
export function springForces(net: SpringNetwork, r: Float64Array, forces: Float64Array, stiffness: Float64Array = net.stiffness): number {
  checkPositions(net, r, 'positions');
  checkPositions(net, forces, 'forces');
  const { dim, edgeA, edgeB, restLength } = net;
  forces.fill(0);
  // Written out per dimension (no per-spring helper call or scratch vector): this is the Langevin route's inner loop.
  let e = 0;
  for (let s = 0; s < edgeA.length; s++) {
    const a = dim * edgeA[s];
    const b = dim * edgeB[s];
    const dx = r[b] - r[a];
    const dy = r[b + 1] - r[a + 1];
    const dz = dim === 3 ? r[b + 2] - r[a + 2] : 0;
    const d = Math.sqrt(dx * dx + dy * dy + dz * dz);
    if (!(d > 0)) throw coincident(net, s);
    const ext = d - restLength[s];
    const t = stiffness[s] * ext; // tension (energy / length): > 0 when stretched, pulls the ends together
    e += 0.5 * t * ext;
    const q = t / d;
    forces[a] += q * dx;
    forces[a + 1] += q * dy;
    forces[b] -= q * dx;
    forces[b + 1] -= q * dy;
    if (dim === 3) {
      forces[a + 2] += q * dz;
      forces[b + 2] -= q * dz;
    }
  }
  return e;
}

/** The dim x dim block K = k [n n^T + (1 - l/d)(I - n n^T)] of spring s at positions r, row-major into `out`. */
function springBlock(net: SpringNetwork, r: Float64Array, s: number, k: number, n: Float64Array, out: Float64Array): void {
  const { dim } = net;
  const d = springGeometry(net, r, s, n);
  if (!(d > 0)) throw coincident(net, s);
  const transverse = 1 - net.restLength[s] / d; // dimensionless; 0 at rest, < 0 under compression
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j < dim; j++) {
      const nn = n[i] * n[j];
      out[i * dim + j] = k * (nn + transverse * ((i === j ? 1 : 0) - nn));
    }
  }
}

/**
 * The Hessian of the nonlinear energy at positions `r` (default: the reference positions), dense row-major dN x dN
 * (energy / length^2). At the reference positions of an unstressed network it equals {@link denseStiffnessMatrix}.
 * Under stress (stretched or compressed springs) it includes the tension term, and can then have negative
 * eigenvalues (a compressed network may buckle).
 */
export function denseSpringHessian(net: SpringNetwork, r: Float64Array = net.positions, stiffness: Float64Array = net.stiffness): Float64Array {
  checkPositions(net, r, 'positions');
  const { dim, edgeA, edgeB } = net;
  const size = degreesOfFreedom(net);
  const h = new Float64Array(size * size);
  const n = new Float64Array(dim);
  const block = new Float64Array(dim * dim);
  for (let s = 0; s < edgeA.length; s++) {
    springBlock(net, r, s, stiffness[s], n, block);
    const a = dim * edgeA[s];
    const b = dim * edgeB[s];
    for (let i = 0; i < dim; i++) {
      for (let j = 0; j < dim; j++) {
        const v = block[i * dim + j];
        h[(a + i) * size + a + j] += v;
        h[(b + i) * size + b + j] += v;
        h[(a + i) * size + b + j] -= v;
        h[(b + i) * size + a + j] -= v;
      }
    }
  }
  return h;
}

/**
 * The same Hessian in CSR with both triangles (and a structural diagonal for every degree of freedom), for large
 * networks: the pattern of {@link stiffnessMatrix}, so orderings and symbolic factorisations built on one serve both.
 */
export function springHessian(net: SpringNetwork, r: Float64Array = net.positions, stiffness: Float64Array = net.stiffness): CsrMatrix {
  checkPositions(net, r, 'positions');
  const { dim, edgeA, edgeB } = net;
  const e = springCount(net);
  const size = degreesOfFreedom(net);
  const rows = new Int32Array(4 * dim * dim * e + size);
  const cols = new Int32Array(rows.length);
  const vals = new Float64Array(rows.length);
  const n = new Float64Array(dim);
  const block = new Float64Array(dim * dim);
  let t = 0;
  for (let s = 0; s < e; s++) {
    springBlock(net, r, s, stiffness[s], n, block);
    const ends = [dim * edgeA[s], dim * edgeB[s]];
    for (let p = 0; p < 2; p++) {
      for (let q = 0; q < 2; q++) {
        const sign = p === q ? 1 : -1;
        for (let i = 0; i < dim; i++) {
          for (let j = 0; j < dim; j++) {
            rows[t] = ends[p] + i;
            cols[t] = ends[q] + j;
            vals[t] = sign * block[i * dim + j];
            t++;
          }
        }
      }
    }
  }
  for (let i = 0; i < size; i++) {
    rows[t] = i;
    cols[t] = i;
    vals[t] = 0;
    t++;
  }
  return csrFromTriplets(size, rows, cols, vals);
}

/**
 * The nonlinear strain of a node pair at positions r: eps_ij = (|r_j - r_i| - l_ij) / l_ij with l_ij the reference
 * distance (dimensionless). To first order in the displacements it equals the linear strain c . u of
 * `strainVector`; unlike it, it is exactly invariant under finite rigid motions.
 */
export function nonlinearStrain(net: SpringNetwork, r: Float64Array, i: number, j: number, referenceLength: number): number {
  const { dim } = net;
  let d2 = 0;
  for (let c = 0; c < dim; c++) {
    const v = r[dim * j + c] - r[dim * i + c];
    d2 += v * v;
  }
  return (Math.sqrt(d2) - referenceLength) / referenceLength;
}
