/**
 * Fast seeded standard normal draws: the ziggurat method (Marsaglia and Tsang 2000, 256 layers) on xoshiro128**
 * 32-bit words, the generator of {@link Rng}, with its own state seeded from `new Rng(seed)`.
 *
 * About one 32-bit word per draw (99.3 % of draws: a table look-up and a multiply), against four words, a logarithm,
 * a square root and a cosine for Rng.normal's Box-Muller; {@link fill} keeps the generator's state in locals for a
 * whole array. Bits are not shared between the layer and the value (the known weakness of the original 32-bit
 * ziggurat, Doornik 2005): of each word, bits 0-7 choose the layer, bit 8 the sign and bits 9-31 the magnitude
 * (2^23 steps across the layer, 4e-7 of it: far below anything a simulated converter resolves). The wedges and the
 * tail beyond r = 3.654 are sampled exactly (rejection; the tail by Marsaglia's exponential method), so the draws
 * follow the normal law up to that 2^-23 granularity (test/physics/ZigguratNormal.test.ts: moments, Kolmogorov-Smirnov,
 * chi-square on equiprobable bins, tail frequencies).
 *
 * A stream of its own: its draws are not Rng.normal's for the same seed.
 */
import { Rng } from './Rng.js';

const LAYERS = 256;
/** Right edge of the base layer's rectangle (the tail starts here), and the area of every layer. */
const R = 3.6541528853610088;
const V = 4.92867323399e-3;
/** 2^23: magnitude steps per layer. */
const M = 8388608;

/** kn[i]: magnitudes below it fall in layer i's rectangle; wn[i]: the width of one magnitude step; fn[i] = f(x_i). */
const kn = new Uint32Array(LAYERS);
const wn = new Float64Array(LAYERS);
const fn = new Float64Array(LAYERS);
{
  // Layer 0 is the base (rectangle of width V / f(R) holding the tail's area), LAYERS-1 the one above it (right edge
  // R), 1 the top: x_i = f^-1(f(x_{i+1}) + V / x_{i+1}), f(x) = exp(-x^2 / 2) (unnormalised).
  let dn = R;
  let tn = dn;
  const q = V / Math.exp(-0.5 * dn * dn);
  kn[0] = Math.floor((dn / q) * M);
  kn[1] = 0;
  wn[0] = q / M;
  wn[LAYERS - 1] = dn / M;
  fn[0] = 1;
  fn[LAYERS - 1] = Math.exp(-0.5 * dn * dn);
  for (let i = LAYERS - 2; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(V / dn + Math.exp(-0.5 * dn * dn)));
    kn[i + 1] = Math.floor((dn / tn) * M);
    tn = dn;
    fn[i] = Math.exp(-0.5 * dn * dn);
    wn[i] = dn / M;
  }
}

/** 2^-32, for uniforms in (0, 1) from a word. */
const TWO_M32 = 2.3283064365386963e-10;

export class ZigguratNormal {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** @param seed any finite number; equal seeds give equal streams. */
  constructor(seed: number) {
    const r = new Rng(seed);
    this.s0 = r.nextUint32();
    this.s1 = r.nextUint32();
    this.s2 = r.nextUint32();
    this.s3 = r.nextUint32();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** One standard normal draw. */
  normal(): number {
    const out = this.one;
    this.fill(out, 1);
    return out[0];
  }
  private readonly one = new Float64Array(1);

  /** Fill out[0..n) with independent standard normal draws; returns `out`. */
  fill(out: Float64Array, n = out.length): Float64Array {
    let s0 = this.s0;
    let s1 = this.s1;
    let s2 = this.s2;
    let s3 = this.s3;
    // xoshiro128** (as Rng.nextUint32), inlined
    const next = (): number => {
      const m = Math.imul(s1, 5);
      const result = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      return result;
    };
    for (let k = 0; k < n; k++) {
      let x: number;
      for (;;) {
        const u = next();
        const i = u & 255;
        const j = u >>> 9;
        const neg = (u & 256) !== 0;
        if (j < kn[i]) {
          x = j * wn[i];
          if (neg) x = -x;
          break;
        }
        if (i === 0) {
          // the tail beyond R: x = R + E1 / R accepted when 2 E2 > (E1 / R)^2 (E1, E2 exponential)
          let a: number;
          let b: number;
          do {
            a = -Math.log((next() + 0.5) * TWO_M32) / R;
            b = -Math.log((next() + 0.5) * TWO_M32);
          } while (b + b < a * a);
          x = neg ? -(R + a) : R + a;
          break;
        }
        // a wedge: accept under the curve
        x = j * wn[i];
        if (fn[i] + (next() + 0.5) * TWO_M32 * (fn[i - 1] - fn[i]) < Math.exp(-0.5 * x * x)) {
          if (neg) x = -x;
          break;
        }
      }
      out[k] = x;
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
    return out;
  }
}
