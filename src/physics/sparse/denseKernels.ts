/**
 * Dense kernels of the supernodal Cholesky factorisation, on column-major blocks inside Float64Arrays
 * (an offset and a leading dimension locate a block). Written for V8: flat typed-array indexing, no closures
 * and no allocation, inner loops over contiguous memory, and register blocking (four target columns times
 * four source columns per sweep) so that each loaded value feeds several multiply-adds.
 */

/**
 * Rank-kdim update of `nt` (1..4) consecutive columns of T from the columns of S:
 *
 *   T[tOff + c*ldt + i] -= sum_{p < kdim} S[sOff + p*lds + i] * S[sOff + p*lds + j + c]
 *
 * for c in [0, nt) and rows i in [iStart, iEnd). Rows of T and S are aligned (same i). This is the SYRK of
 * the update matrix (T = update, S = the block below the diagonal) and the left-looking panel update (T and S
 * the same block, T's columns to the right of S's).
 */
export function rankUpdate(
  T: Float64Array,
  tOff: number,
  ldt: number,
  S: Float64Array,
  sOff: number,
  lds: number,
  j: number,
  nt: number,
  iStart: number,
  iEnd: number,
  kdim: number,
): void {
  if (nt === 4) rankUpdate4(T, tOff, ldt, S, sOff, lds, j, iStart, iEnd, kdim);
  else if (nt === 2) rankUpdate2(T, tOff, ldt, S, sOff, lds, j, iStart, iEnd, kdim);
  else if (nt === 1) rankUpdate1(T, tOff, S, sOff, lds, j, iStart, iEnd, kdim);
  else if (nt === 3) {
    rankUpdate2(T, tOff, ldt, S, sOff, lds, j, iStart, iEnd, kdim);
    rankUpdate1(T, tOff + 2 * ldt, S, sOff, lds, j + 2, iStart, iEnd, kdim);
  }
}

function rankUpdate4(
  T: Float64Array,
  tOff: number,
  ldt: number,
  S: Float64Array,
  sOff: number,
  lds: number,
  j: number,
  iStart: number,
  iEnd: number,
  kdim: number,
): void {
  const t0 = tOff;
  const t1 = t0 + ldt;
  const t2 = t1 + ldt;
  const t3 = t2 + ldt;
  let p = 0;
  // Eight source columns per sweep: 12 memory accesses per 32 multiply-adds (V8's typed-array accesses,
  // not the arithmetic, are the bottleneck; the 32 coefficients that do not fit in registers are reloaded
  // from the stack, which is cheaper).
  for (; p + 7 < kdim; p += 8) {
    const s0 = sOff + p * lds;
    const s1 = s0 + lds;
    const s2 = s1 + lds;
    const s3 = s2 + lds;
    const s4 = s3 + lds;
    const s5 = s4 + lds;
    const s6 = s5 + lds;
    const s7 = s6 + lds;
    const a0 = S[s0 + j], a1 = S[s1 + j], a2 = S[s2 + j], a3 = S[s3 + j];
    const a4 = S[s4 + j], a5 = S[s5 + j], a6 = S[s6 + j], a7 = S[s7 + j];
    const b0 = S[s0 + j + 1], b1 = S[s1 + j + 1], b2 = S[s2 + j + 1], b3 = S[s3 + j + 1];
    const b4 = S[s4 + j + 1], b5 = S[s5 + j + 1], b6 = S[s6 + j + 1], b7 = S[s7 + j + 1];
    const c0 = S[s0 + j + 2], c1 = S[s1 + j + 2], c2 = S[s2 + j + 2], c3 = S[s3 + j + 2];
    const c4 = S[s4 + j + 2], c5 = S[s5 + j + 2], c6 = S[s6 + j + 2], c7 = S[s7 + j + 2];
    const d0 = S[s0 + j + 3], d1 = S[s1 + j + 3], d2 = S[s2 + j + 3], d3 = S[s3 + j + 3];
    const d4 = S[s4 + j + 3], d5 = S[s5 + j + 3], d6 = S[s6 + j + 3], d7 = S[s7 + j + 3];
    for (let i = iStart; i < iEnd; i++) {
      const x0 = S[s0 + i];
      const x1 = S[s1 + i];
      const x2 = S[s2 + i];
      const x3 = S[s3 + i];
      const x4 = S[s4 + i];
      const x5 = S[s5 + i];
      const x6 = S[s6 + i];
      const x7 = S[s7 + i];
      T[t0 + i] -= a0 * x0 + a1 * x1 + a2 * x2 + a3 * x3 + a4 * x4 + a5 * x5 + a6 * x6 + a7 * x7;
      T[t1 + i] -= b0 * x0 + b1 * x1 + b2 * x2 + b3 * x3 + b4 * x4 + b5 * x5 + b6 * x6 + b7 * x7;
      T[t2 + i] -= c0 * x0 + c1 * x1 + c2 * x2 + c3 * x3 + c4 * x4 + c5 * x5 + c6 * x6 + c7 * x7;
      T[t3 + i] -= d0 * x0 + d1 * x1 + d2 * x2 + d3 * x3 + d4 * x4 + d5 * x5 + d6 * x6 + d7 * x7;
    }
  }
  for (; p + 3 < kdim; p += 4) {
    const s0 = sOff + p * lds;
    const s1 = s0 + lds;
    const s2 = s1 + lds;
    const s3 = s2 + lds;
    const a0 = S[s0 + j], a1 = S[s1 + j], a2 = S[s2 + j], a3 = S[s3 + j];
    const b0 = S[s0 + j + 1], b1 = S[s1 + j + 1], b2 = S[s2 + j + 1], b3 = S[s3 + j + 1];
    const c0 = S[s0 + j + 2], c1 = S[s1 + j + 2], c2 = S[s2 + j + 2], c3 = S[s3 + j + 2];
    const d0 = S[s0 + j + 3], d1 = S[s1 + j + 3], d2 = S[s2 + j + 3], d3 = S[s3 + j + 3];
    for (let i = iStart; i < iEnd; i++) {
      const x0 = S[s0 + i];
      const x1 = S[s1 + i];
      const x2 = S[s2 + i];
      const x3 = S[s3 + i];
      T[t0 + i] -= a0 * x0 + a1 * x1 + a2 * x2 + a3 * x3;
      T[t1 + i] -= b0 * x0 + b1 * x1 + b2 * x2 + b3 * x3;
      T[t2 + i] -= c0 * x0 + c1 * x1 + c2 * x2 + c3 * x3;
      T[t3 + i] -= d0 * x0 + d1 * x1 + d2 * x2 + d3 * x3;
    }
  }
  for (; p < kdim; p++) {
    const s0 = sOff + p * lds;
    const a0 = S[s0 + j], b0 = S[s0 + j + 1], c0 = S[s0 + j + 2], d0 = S[s0 + j + 3];
    for (let i = iStart; i < iEnd; i++) {
      const x0 = S[s0 + i];
      T[t0 + i] -= a0 * x0;
      T[t1 + i] -= b0 * x0;
      T[t2 + i] -= c0 * x0;
      T[t3 + i] -= d0 * x0;
    }
  }
}

function rankUpdate2(
  T: Float64Array,
  tOff: number,
  ldt: number,
  S: Float64Array,
  sOff: number,
  lds: number,
  j: number,
  iStart: number,
  iEnd: number,
  kdim: number,
): void {
  const t0 = tOff;
  const t1 = t0 + ldt;
  let p = 0;
  for (; p + 3 < kdim; p += 4) {
    const s0 = sOff + p * lds;
    const s1 = s0 + lds;
    const s2 = s1 + lds;
    const s3 = s2 + lds;
    const a0 = S[s0 + j], a1 = S[s1 + j], a2 = S[s2 + j], a3 = S[s3 + j];
    const b0 = S[s0 + j + 1], b1 = S[s1 + j + 1], b2 = S[s2 + j + 1], b3 = S[s3 + j + 1];
    for (let i = iStart; i < iEnd; i++) {
      const x0 = S[s0 + i];
      const x1 = S[s1 + i];
      const x2 = S[s2 + i];
      const x3 = S[s3 + i];
      T[t0 + i] -= a0 * x0 + a1 * x1 + a2 * x2 + a3 * x3;
      T[t1 + i] -= b0 * x0 + b1 * x1 + b2 * x2 + b3 * x3;
    }
  }
  for (; p < kdim; p++) {
    const s0 = sOff + p * lds;
    const a0 = S[s0 + j], b0 = S[s0 + j + 1];
    for (let i = iStart; i < iEnd; i++) {
      const x0 = S[s0 + i];
      T[t0 + i] -= a0 * x0;
      T[t1 + i] -= b0 * x0;
    }
  }
}

function rankUpdate1(T: Float64Array, tOff: number, S: Float64Array, sOff: number, lds: number, j: number, iStart: number, iEnd: number, kdim: number): void {
  let p = 0;
  for (; p + 3 < kdim; p += 4) {
    const s0 = sOff + p * lds;
    const s1 = s0 + lds;
    const s2 = s1 + lds;
    const s3 = s2 + lds;
    const a0 = S[s0 + j], a1 = S[s1 + j], a2 = S[s2 + j], a3 = S[s3 + j];
    for (let i = iStart; i < iEnd; i++) T[tOff + i] -= a0 * S[s0 + i] + a1 * S[s1 + i] + a2 * S[s2 + i] + a3 * S[s3 + i];
  }
  for (; p < kdim; p++) {
    const s0 = sOff + p * lds;
    const a0 = S[s0 + j];
    for (let i = iStart; i < iEnd; i++) T[tOff + i] -= a0 * S[s0 + i];
  }
}

/**
 * In-place Cholesky of a dense m x w trapezoid (column-major at `off`, leading dimension m, m >= w): the
 * leading w x w block becomes L11 (lower triangle) and the rows below become L21 = A21 L11^{-T}. Left-looking
 * in blocks of four columns, the bulk of the work going through {@link rankUpdate}. The strict upper triangle
 * of the leading block is used as scratch and holds garbage afterwards.
 *
 * A pivot must exceed `pivotTol[col0 + k]` (a threshold per column, already scaled): returns the index k of
 * the first column whose pivot does not (not positive definite, or numerically singular), or -1 on success.
 */
export function choleskyPanel(L: Float64Array, off: number, m: number, w: number, pivotTol: Float64Array, col0: number): number {
  for (let kb = 0; kb < w; kb += 4) {
    const nb = w - kb < 4 ? w - kb : 4;
    const colOff = off + kb * m;
    if (kb > 0) rankUpdate(L, colOff, m, L, off, m, kb, nb, kb, m, kb);
    if (nb === 4) {
      const bad = factorBlock4(L, colOff, m, kb, pivotTol, col0 + kb);
      if (bad >= 0) return kb + bad;
      continue;
    }
    for (let c = 0; c < nb; c++) {
      const k = kb + c;
      const ck = off + k * m;
      // Contributions of the earlier columns of this block.
      for (let p = kb; p < k; p++) {
        const cp = off + p * m;
        const a = L[cp + k];
        for (let i = k; i < m; i++) L[ck + i] -= a * L[cp + i];
      }
      const d = L[ck + k];
      if (!(d > pivotTol[col0 + k])) return k;
      const r = Math.sqrt(d);
      L[ck + k] = r;
      const inv = 1 / r;
      for (let i = k + 1; i < m; i++) L[ck + i] *= inv;
    }
  }
  return -1;
}

/**
 * Factorise four columns kb..kb+3 (at colOff, leading dimension m) that have received all updates from the
 * columns to their left: Cholesky of the 4 x 4 diagonal block, then one pass over the rows below solving
 * with it, every value kept in registers. Returns the failing column (0..3) or -1.
 */
function factorBlock4(L: Float64Array, colOff: number, m: number, kb: number, pivotTol: Float64Array, tol0: number): number {
  const c0 = colOff;
  const c1 = c0 + m;
  const c2 = c1 + m;
  const c3 = c2 + m;
  let d = L[c0 + kb];
  if (!(d > pivotTol[tol0])) return 0;
  const r0 = Math.sqrt(d);
  const i0 = 1 / r0;
  const l10 = L[c0 + kb + 1] * i0;
  const l20 = L[c0 + kb + 2] * i0;
  const l30 = L[c0 + kb + 3] * i0;
  d = L[c1 + kb + 1] - l10 * l10;
  if (!(d > pivotTol[tol0 + 1])) return 1;
  const r1 = Math.sqrt(d);
  const i1 = 1 / r1;
  const l21 = (L[c1 + kb + 2] - l20 * l10) * i1;
  const l31 = (L[c1 + kb + 3] - l30 * l10) * i1;
  d = L[c2 + kb + 2] - l20 * l20 - l21 * l21;
  if (!(d > pivotTol[tol0 + 2])) return 2;
  const r2 = Math.sqrt(d);
  const i2 = 1 / r2;
  const l32 = (L[c2 + kb + 3] - l30 * l20 - l31 * l21) * i2;
  d = L[c3 + kb + 3] - l30 * l30 - l31 * l31 - l32 * l32;
  if (!(d > pivotTol[tol0 + 3])) return 3;
  const r3 = Math.sqrt(d);
  const i3 = 1 / r3;
  L[c0 + kb] = r0;
  L[c0 + kb + 1] = l10;
  L[c0 + kb + 2] = l20;
  L[c0 + kb + 3] = l30;
  L[c1 + kb + 1] = r1;
  L[c1 + kb + 2] = l21;
  L[c1 + kb + 3] = l31;
  L[c2 + kb + 2] = r2;
  L[c2 + kb + 3] = l32;
  L[c3 + kb + 3] = r3;
  for (let i = kb + 4; i < m; i++) {
    const x0 = L[c0 + i] * i0;
    const x1 = (L[c1 + i] - x0 * l10) * i1;
    const x2 = (L[c2 + i] - x0 * l20 - x1 * l21) * i2;
    const x3 = (L[c3 + i] - x0 * l30 - x1 * l31 - x2 * l32) * i3;
    L[c0 + i] = x0;
    L[c1 + i] = x1;
    L[c2 + i] = x2;
    L[c3 + i] = x3;
  }
  return -1;
}

/**
 * Symmetric rank-w downdate of the u x u update matrix U (column-major at uOff, leading dimension u; lower
 * triangle meaningful): U -= L21 L21^T, with L21 the u x w block at sOff (leading dimension lds).
 */
export function syrkLower(U: Float64Array, uOff: number, u: number, S: Float64Array, sOff: number, lds: number, w: number): void {
  for (let j = 0; j < u; j += 4) {
    const nt = u - j < 4 ? u - j : 4;
    rankUpdate(U, uOff + j * u, u, S, sOff, lds, j, nt, j, u, w);
  }
}
