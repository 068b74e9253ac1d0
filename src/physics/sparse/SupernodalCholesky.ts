import { NumericalError } from '../../errors.js';
import { choleskyPanel, syrkLower } from './denseKernels.js';
import type { Preconditioner } from './Preconditioner.js';
import type { SymbolicFactor } from './SymbolicFactor.js';
import { instantiateDenseKernels, type WasmDenseKernels } from './WasmDenseKernels.js';

/** Options of {@link SupernodalCholesky}. */
export interface SupernodalCholeskyOptions {
  /**
   * A pivot d_j is accepted only if d_j > pivotTolerance * a_jj (a_jj the original diagonal entry). Pivots
   * below this are numerically zero: the matrix is singular or indefinite to working precision. Default 1e-14.
   */
  pivotTolerance?: number;
  /**
   * Dense kernels: 'wasm' the WebAssembly SIMD kernels (WasmDenseKernels.ts), 'js' the JavaScript ones
   * (denseKernels.ts). Default 'auto': WebAssembly where it is available (and the factor fits its 2 GiB memory),
   * else JavaScript. 'wasm' falls back to JavaScript the same way; `kernels` on the instance says which runs.
   */
  kernels?: 'auto' | 'wasm' | 'js';
}

/**
 * asmPtr[J] .. asmPtr[J+1]: the assembly entries (SymbolicFactor.asmSrc/asmDst) of supernode J, whose targets lie
 * in J's block: the map is built supernode by supernode, so its targets ascend by block.
 */
function assemblyPointers(sym: SymbolicFactor): Int32Array {
  const ptr = new Int32Array(sym.nsuper + 1);
  let t = 0;
  for (let J = 0; J < sym.nsuper; J++) {
    ptr[J] = t;
    while (t < sym.asmDst.length && sym.asmDst[t] < sym.valPtr[J + 1]) t++;
  }
  ptr[sym.nsuper] = t;
  return ptr;
}

/**
 * Numeric sparse Cholesky factorisation P A P^T = L L^T on a fixed {@link SymbolicFactor}, multifrontal and
 * supernodal: supernodes are processed children first; each assembles its dense block from A and from its
 * children's update matrices (extend-add via precomputed index maps), factorises it with dense kernels, and
 * leaves its own update matrix on a stack for its parent. All memory (factor, stack, solve work) is allocated
 * once in the constructor and reused by every {@link factorize} and {@link solve}.
 */
export class SupernodalCholesky implements Preconditioner {
  /**
   * The kernels of instances made without a `kernels` option (default 'auto'). For comparing the kernels through
   * code that makes its own factorisations (bench/factorKernels.ts times training steps with each).
   */
  static defaultKernels: 'auto' | 'wasm' | 'js' = 'auto';
  /** As a preconditioner (the factor of an earlier matrix, for CG on a nearby one): M = L L^T. */
  readonly name = 'cholesky';
  readonly symbolic: SymbolicFactor;
  /** Factor values: the dense column-major block of each supernode (see SymbolicFactor.valPtr). */
  readonly values: Float64Array;
  private readonly stack: Float64Array;
  private readonly uStart: Int32Array;
  private readonly pivotTol: Float64Array;
  private readonly tolerance: number;
  private readonly y: Float64Array;
  private readonly tmp: Float64Array;
  /**
   * The WebAssembly kernels, or null. Their memory holds values, stack, pivotTol and the matrix values (doubles, in
   * that order), then copies of the symbolic factor's integer arrays (byte addresses in `wasmInts`).
   */
  private readonly wasm: WasmDenseKernels | null;
  private readonly stackBase: number;
  private readonly tolBase: number;
  private readonly aBase: number;
  /** Length of the CSR value prefix the factorisation reads (largest asmSrc + 1). */
  private readonly aLength: number;
  private readonly wasmInts: Record<'superStart' | 'rowPtr' | 'rowIdx' | 'valPtr' | 'relPtr' | 'relIdx' | 'firstChild' | 'nextSibling' | 'uStart' | 'asmPtr' | 'asmSrc' | 'asmDst' | 'diagSrc', number> | null = null;
  /** Element offsets of the solve's vectors y and tmp in the WebAssembly memory. */
  private readonly yBase: number;
  private readonly tmpBase: number;
  private factored = false;
  /** Supernode of each pivot, and zeroed work columns (inverseBlock). */
  private superOf: Int32Array | null = null;
  private readonly unitWork: Float64Array[] = [];

  constructor(symbolic: SymbolicFactor, options: SupernodalCholeskyOptions = {}) {
    this.symbolic = symbolic;
    this.tolerance = options.pivotTolerance ?? 1e-14;
    const stored = symbolic.storedEntries;
    const stackSize = Math.max(1, symbolic.stackSize);
    const ns = symbolic.nsuper;
    let aLength = 0;
    for (let t = 0; t < symbolic.asmSrc.length; t++) if (symbolic.asmSrc[t] >= aLength) aLength = symbolic.asmSrc[t] + 1;
    this.aLength = aLength;
    this.stackBase = stored;
    this.tolBase = stored + stackSize;
    this.aBase = this.tolBase + symbolic.n;
    // Integer arrays for the WebAssembly factorisation, in this order.
    const ints: [keyof NonNullable<SupernodalCholesky['wasmInts']>, Int32Array][] = [
      ['superStart', symbolic.superStart],
      ['rowPtr', symbolic.rowPtr],
      ['rowIdx', symbolic.rowIdx],
      ['valPtr', symbolic.valPtr],
      ['relPtr', symbolic.relPtr],
      ['relIdx', symbolic.relIdx],
      ['firstChild', symbolic.firstChild],
      ['nextSibling', symbolic.nextSibling],
      ['uStart', new Int32Array(ns)],
      ['asmPtr', assemblyPointers(symbolic)],
      ['asmSrc', symbolic.asmSrc],
      ['asmDst', symbolic.asmDst],
      ['diagSrc', symbolic.diagSrc],
    ];
    let nInts = 0;
    for (const [, arr] of ints) nInts += arr.length;
    const kernels = options.kernels ?? SupernodalCholesky.defaultKernels;
    this.yBase = this.aBase + aLength;
    this.tmpBase = this.yBase + symbolic.n;
    const tmpSize = Math.max(1, symbolic.maxRows);
    this.wasm = kernels === 'js' ? null : instantiateDenseKernels(this.tmpBase + tmpSize, nInts);
    if (this.wasm) {
      const mem = this.wasm.f64;
      this.values = mem.subarray(0, stored);
      this.stack = mem.subarray(this.stackBase, this.stackBase + stackSize);
      this.pivotTol = mem.subarray(this.tolBase, this.tolBase + symbolic.n);
      this.y = mem.subarray(this.yBase, this.yBase + symbolic.n);
      this.tmp = mem.subarray(this.tmpBase, this.tmpBase + tmpSize);
      const addr = {} as NonNullable<SupernodalCholesky['wasmInts']>;
      let at = 0;
      for (const [name, arr] of ints) {
        this.wasm.i32.set(arr, at);
        addr[name] = this.wasm.i32Base + 4 * at;
        at += arr.length;
      }
      this.wasmInts = addr;
    } else {
      this.values = new Float64Array(stored);
      this.stack = new Float64Array(stackSize);
      this.pivotTol = new Float64Array(symbolic.n);
      this.y = new Float64Array(symbolic.n);
      this.tmp = new Float64Array(tmpSize);
    }
    this.uStart = new Int32Array(symbolic.nsuper);
  }

  /** Which dense kernels factorise: WebAssembly SIMD or JavaScript. */
  get kernels(): 'wasm' | 'js' {
    return this.wasm ? 'wasm' : 'js';
  }

  /** True once a factorisation has succeeded (and no later one failed). */
  get isFactored(): boolean {
    return this.factored;
  }

  /**
   * Factorise the matrix whose CSR values (in the pattern the symbolic factor was built from) are `a`.
   * Throws NumericalError naming the pivot (original index) if the matrix is not positive definite.
   */
  factorize(a: Float64Array): void {
    this.factored = false;
    const sym = this.symbolic;
    const L = this.values;
    const stack = this.stack;
    const { superStart, rowPtr, valPtr, relPtr, relIdx, firstChild, nextSibling, asmSrc, asmDst, diagSrc } = sym;
    const uStart = this.uStart;
    const pivotTol = this.pivotTol;
    const tol = this.tolerance;
    if (this.wasm) {
      this.factorizeWasm(a);
      this.factored = true;
      return;
    }

    L.fill(0);
    for (let t = 0; t < asmSrc.length; t++) L[asmDst[t]] = a[asmSrc[t]];
    for (let j = 0; j < sym.n; j++) {
      const d = diagSrc[j] >= 0 ? a[diagSrc[j]] : 0;
      pivotTol[j] = d > 0 ? tol * d : 0;
    }

    let top = 0;
    for (let J = 0; J < sym.nsuper; J++) {
      const f = superStart[J];
      const w = superStart[J + 1] - f;
      const m = rowPtr[J + 1] - rowPtr[J];
      const u = m - w;
      const off = valPtr[J];
      const uOff = top;
      if (u > 0) stack.fill(0, uOff, uOff + u * u);

      // Extend-add the children's update matrices into this block and this update matrix.
      for (let C = firstChild[J]; C >= 0; C = nextSibling[C]) {
        const uc = relPtr[C + 1] - relPtr[C];
        const r0 = relPtr[C];
        const cOff = uStart[C];
        for (let jc = 0; jc < uc; jc++) {
          const t = relIdx[r0 + jc];
          const src = cOff + jc * uc;
          if (t < w) {
            const dst = off + t * m;
            for (let ic = jc; ic < uc; ic++) L[dst + relIdx[r0 + ic]] += stack[src + ic];
          } else {
            const dst = uOff + (t - w) * u - w;
            for (let ic = jc; ic < uc; ic++) stack[dst + relIdx[r0 + ic]] += stack[src + ic];
          }
        }
      }

      const bad = choleskyPanel(L, off, m, w, pivotTol, f);
      if (bad >= 0) this.notPositiveDefinite(a, f + bad);
      if (u > 0) syrkLower(stack, uOff, u, L, off + w, m, w);

      // Pop the children and move this update matrix down to where they started.
      const base = firstChild[J] >= 0 ? uStart[firstChild[J]] : uOff;
      if (u > 0 && base !== uOff) stack.copyWithin(base, uOff, uOff + u * u);
      uStart[J] = base;
      top = base + u * u;
    }
    this.factored = true;
  }

  /** factorize with the WebAssembly kernels: the matrix values copied into their memory, one call. */
  private factorizeWasm(a: Float64Array): void {
    const wasm = this.wasm!;
    const p = this.wasmInts!;
    const sym = this.symbolic;
    if (a.length < this.aLength) throw new Error(`SupernodalCholesky.factorize: ${a.length} values, the pattern has ${this.aLength}`);
    wasm.f64.set(a.length === this.aLength ? a : a.subarray(0, this.aLength), this.aBase);
    const bad = wasm.factorize(
      sym.nsuper, sym.n,
      p.superStart, p.rowPtr, p.valPtr, p.relPtr, p.relIdx, p.firstChild, p.nextSibling, p.uStart,
      p.asmPtr, p.asmSrc, p.asmDst, p.diagSrc,
      this.stackBase, this.tolBase, this.aBase, this.tolerance,
    );
    if (bad >= 0) this.notPositiveDefinite(a, bad);
  }

  /** Throw the NumericalError for pivot j (new numbering), whose value is in its supernode's block. */
  private notPositiveDefinite(a: Float64Array, j: number): never {
    const sym = this.symbolic;
    let J = 0;
    while (sym.superStart[J + 1] <= j) J++;
    const k = j - sym.superStart[J];
    const m = sym.rowPtr[J + 1] - sym.rowPtr[J];
    throw new NumericalError(
      `matrix is not positive definite: pivot ${j} (original index ${sym.perm[j]}) is ` +
        `${this.values[sym.valPtr[J] + k * m + k]} after elimination of the earlier pivots, original diagonal ` +
        `${sym.diagSrc[j] >= 0 ? a[sym.diagSrc[j]] : 0} (a floating component, a zero or negative conductance, or a singular system)`,
    );
  }

  /** Preconditioner interface: z = (L L^T)^{-1} r, the solve with the factor in hand. */
  apply(r: Float64Array, z: Float64Array): void {
    this.solve(r, z);
  }

  /**
   * The Gram matrix of the forward solves w_i = L^{-1} P e_{v_i} for original indices `vs`: entry (i, j) is
   * w_i . w_j = (A^{-1})_{v_i v_j}, the block of the inverse on those indices (for a grounded Laplacian: the transfer
   * resistances between the nodes, ohms). Each w_i is nonzero only on the path from v_i's supernode to its root in
   * the supernodal elimination tree, so this touches a few supernodes instead of the whole factor: much cheaper
   * than a solve per index. Symmetric by construction.
   */
  inverseBlock(vs: ArrayLike<number>): number[][] {
    if (!this.factored) throw new Error('SupernodalCholesky.inverseBlock: no valid factorisation (call factorize first)');
    const sym = this.symbolic;
    const { iperm, superStart, superParent, rowPtr, rowIdx, valPtr } = sym;
    const L = this.values;
    const t = vs.length;
    if (!this.superOf) {
      this.superOf = new Int32Array(sym.n);
      for (let J = 0; J < sym.nsuper; J++) this.superOf.fill(J, superStart[J], superStart[J + 1]);
    }
    while (this.unitWork.length < t) this.unitWork.push(new Float64Array(sym.n));
    const paths: number[][] = [];
    for (let q = 0; q < t; q++) {
      const w = this.unitWork[q];
      const p = iperm[vs[q]];
      w[p] = 1;
      const path: number[] = [];
      for (let J = this.superOf[p]; J >= 0; J = superParent[J]) {
        path.push(J);
        const f = superStart[J];
        const wd = superStart[J + 1] - f;
        const r0 = rowPtr[J];
        const m = rowPtr[J + 1] - r0;
        const off = valPtr[J];
        const k0 = p > f ? p - f : 0; // columns of J before the unit's pivot are zero
        for (let k = k0; k < wd; k++) {
          const ck = off + k * m;
          const yk = w[f + k] / L[ck + k];
          w[f + k] = yk;
          if (yk === 0) continue;
          for (let i = k + 1; i < wd; i++) w[f + i] -= L[ck + i] * yk;
          for (let i = wd; i < m; i++) w[rowIdx[r0 + i]] -= L[ck + i] * yk;
        }
      }
      paths.push(path);
    }
    const g: number[][] = Array.from({ length: t }, () => new Array<number>(t).fill(0));
    for (let i = 0; i < t; i++) {
      const wi = this.unitWork[i];
      for (let j = 0; j <= i; j++) {
        const wj = this.unitWork[j];
        let s = 0;
        // w_i is zero outside its path's columns
        for (const J of paths[i]) for (let k = superStart[J]; k < superStart[J + 1]; k++) s += wi[k] * wj[k];
        g[i][j] = s;
        g[j][i] = s;
      }
    }
    for (let q = 0; q < t; q++) for (const J of paths[q]) this.unitWork[q].fill(0, superStart[J], superStart[J + 1]);
    return g;
  }

  /**
   * Solve A x = b with the current factorisation (b and x in the original numbering, length n; they may be
   * the same array). Allocation-free.
   */
  solve(b: Float64Array, x: Float64Array): Float64Array {
    if (!this.factored) throw new Error('SupernodalCholesky.solve: no valid factorisation (call factorize first)');
    const sym = this.symbolic;
    const n = sym.n;
    const { perm, superStart, rowPtr, rowIdx, valPtr } = sym;
    const L = this.values;
    const y = this.y;
    const tmp = this.tmp;
    for (let k = 0; k < n; k++) y[k] = b[perm[k]];
    if (this.wasm) {
      const p = this.wasmInts!;
      this.wasm.solve(sym.nsuper, p.superStart, p.rowPtr, p.rowIdx, p.valPtr, this.yBase, this.tmpBase);
      for (let k = 0; k < n; k++) x[perm[k]] = y[k];
      return x;
    }

    // Forward: L z = y. Per supernode: the dense triangle, then the rows below accumulated in tmp (four
    // columns per sweep) and scattered once.
    for (let J = 0; J < sym.nsuper; J++) {
      const f = superStart[J];
      const w = superStart[J + 1] - f;
      const r0 = rowPtr[J];
      const m = rowPtr[J + 1] - r0;
      const off = valPtr[J];
      const u = m - w;
      for (let k = 0; k < w; k++) {
        const ck = off + k * m;
        const yk = y[f + k] / L[ck + k];
        y[f + k] = yk;
        for (let i = k + 1; i < w; i++) y[f + i] -= L[ck + i] * yk;
      }
      if (u === 0) continue;
      for (let i = 0; i < u; i++) tmp[i] = 0;
      let k = 0;
      for (; k + 7 < w; k += 8) {
        const c0 = off + k * m + w;
        const c1 = c0 + m;
        const c2 = c1 + m;
        const c3 = c2 + m;
        const c4 = c3 + m;
        const c5 = c4 + m;
        const c6 = c5 + m;
        const c7 = c6 + m;
        const y0 = y[f + k], y1 = y[f + k + 1], y2 = y[f + k + 2], y3 = y[f + k + 3];
        const y4 = y[f + k + 4], y5 = y[f + k + 5], y6 = y[f + k + 6], y7 = y[f + k + 7];
        for (let i = 0; i < u; i++) {
          tmp[i] +=
            L[c0 + i] * y0 + L[c1 + i] * y1 + L[c2 + i] * y2 + L[c3 + i] * y3 +
            L[c4 + i] * y4 + L[c5 + i] * y5 + L[c6 + i] * y6 + L[c7 + i] * y7;
        }
      }
      for (; k + 3 < w; k += 4) {
        const c0 = off + k * m + w;
        const c1 = c0 + m;
        const c2 = c1 + m;
        const c3 = c2 + m;
        const y0 = y[f + k], y1 = y[f + k + 1], y2 = y[f + k + 2], y3 = y[f + k + 3];
        for (let i = 0; i < u; i++) tmp[i] += L[c0 + i] * y0 + L[c1 + i] * y1 + L[c2 + i] * y2 + L[c3 + i] * y3;
      }
      for (; k < w; k++) {
        const c0 = off + k * m + w;
        const y0 = y[f + k];
        for (let i = 0; i < u; i++) tmp[i] += L[c0 + i] * y0;
      }
      const rb = r0 + w;
      for (let i = 0; i < u; i++) y[rowIdx[rb + i]] -= tmp[i];
    }
    // Backward: L^T x = z. Per supernode: gather the rows below, dot products with them (four columns per
    // sweep), then the dense triangle.
    for (let J = sym.nsuper - 1; J >= 0; J--) {
      const f = superStart[J];
      const w = superStart[J + 1] - f;
      const r0 = rowPtr[J];
      const m = rowPtr[J + 1] - r0;
      const off = valPtr[J];
      const u = m - w;
      if (u > 0) {
        const rb = r0 + w;
        for (let i = 0; i < u; i++) tmp[i] = y[rowIdx[rb + i]];
        let k = 0;
        for (; k + 3 < w; k += 4) {
          const c0 = off + k * m + w;
          const c1 = c0 + m;
          const c2 = c1 + m;
          const c3 = c2 + m;
          let s0 = 0;
          let s1 = 0;
          let s2 = 0;
          let s3 = 0;
          for (let i = 0; i < u; i++) {
            const t = tmp[i];
            s0 += L[c0 + i] * t;
            s1 += L[c1 + i] * t;
            s2 += L[c2 + i] * t;
            s3 += L[c3 + i] * t;
          }
          y[f + k] -= s0;
          y[f + k + 1] -= s1;
          y[f + k + 2] -= s2;
          y[f + k + 3] -= s3;
        }
        for (; k < w; k++) {
          const c0 = off + k * m + w;
          let s0 = 0;
          for (let i = 0; i < u; i++) s0 += L[c0 + i] * tmp[i];
          y[f + k] -= s0;
        }
      }
      for (let k = w - 1; k >= 0; k--) {
        const ck = off + k * m;
        let s = y[f + k];
        for (let i = k + 1; i < w; i++) s -= L[ck + i] * y[f + i];
        y[f + k] = s / L[ck + k];
      }
    }
    for (let k = 0; k < n; k++) x[perm[k]] = y[k];
    return x;
  }
}
