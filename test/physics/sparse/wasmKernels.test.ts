import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { choleskyPanel, rankUpdate, syrkLower } from '../../../src/physics/sparse/denseKernels.js';
import { fillReducingOrder } from '../../../src/physics/sparse/fillReducingOrder.js';
import { SupernodalCholesky } from '../../../src/physics/sparse/SupernodalCholesky.js';
import { SymbolicFactor } from '../../../src/physics/sparse/SymbolicFactor.js';
import { instantiateDenseKernels, wasmSimdAvailable } from '../../../src/physics/sparse/WasmDenseKernels.js';
import { graphOf, groundedLaplacian, latticeEdges, Rng } from './helpers.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Largest |x - y| over the ranges, relative to the largest |y|. */
function relDiff(x: Float64Array, y: Float64Array, ranges: [number, number][]): number {
  let d = 0;
  let big = 0;
  for (const [a, b] of ranges) {
    for (let i = a; i < b; i++) {
      d = Math.max(d, Math.abs(x[i] - y[i]));
      big = Math.max(big, Math.abs(y[i]));
    }
  }
  return d / big;
}

describe('WebAssembly SIMD dense kernels', () => {
  it('the generated module is what the .wat source assembles to (npm run build:wasm)', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/buildWasm.mjs'), '--check'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('run on Node 20 (WebAssembly SIMD is available, so the tests below test the kernels, not the fallback)', () => {
    expect(wasmSimdAvailable()).toBe(true);
  });

  it('rank4 equals the JavaScript rankUpdate for every column count, row range and depth', () => {
    const rng = new Rng(7);
    const lds = 23; // odd: columns start at odd and even element offsets
    const kmax = 11;
    const sOff = 5;
    const tOff = sOff + lds * kmax + 3;
    const ldt = 19;
    const size = tOff + 4 * ldt + 16;
    const k = instantiateDenseKernels(size)!;
    let cases = 0;
    for (let nt = 1; nt <= 4; nt++) {
      for (const kdim of [0, 1, 3, 8, 11]) {
        for (const [i0, i1] of [[0, 19], [1, 19], [2, 7], [3, 4], [5, 5], [0, 2], [4, 17]]) {
          const j = rng.int(lds - nt + 1);
          const js = Float64Array.from({ length: size }, () => rng.uniform(-1, 1));
          k.f64.set(js);
          rankUpdate(js, tOff, ldt, js, sOff, lds, j, nt, i0, i1, kdim);
          k.rank4(tOff, ldt, sOff, lds, j, nt, i0, i1, kdim);
          // Only T's rows i0..i1 of its nt columns change, and by the same amounts up to rounding.
          const touched: [number, number][] = [];
          for (let c = 0; c < nt; c++) touched.push([tOff + c * ldt + i0, tOff + c * ldt + i1]);
          expect(relDiff(k.f64.subarray(0, size), js, [[0, size]])).toBeLessThan(1e-14);
          const untouched = Array.from({ length: size }, (_, i) => i).filter((i) => !touched.some(([a, b]) => i >= a && i < b));
          for (const i of untouched) expect(k.f64[i]).toBe(js[i]);
          cases++;
        }
      }
    }
    expect(cases).toBe(140);
  });

  it('syrk equals the JavaScript syrkLower on the lower triangle', () => {
    const rng = new Rng(8);
    for (const [u, w, lds] of [[1, 1, 3], [5, 3, 9], [13, 7, 21], [40, 17, 60]]) {
      const sOff = 2;
      const uOff = sOff + lds * w + 1;
      const size = uOff + u * u + 8;
      const k = instantiateDenseKernels(size)!;
      const js = Float64Array.from({ length: size }, () => rng.uniform(-1, 1));
      k.f64.set(js);
      syrkLower(js, uOff, u, js, sOff + (lds - u), lds, w);
      k.syrk(uOff, u, sOff + (lds - u), lds, w);
      const lower: [number, number][] = [];
      for (let c = 0; c < u; c++) lower.push([uOff + c * u + c, uOff + (c + 1) * u]);
      expect(relDiff(k.f64, js, lower)).toBeLessThan(1e-14);
    }
  });

  it('panel factorises like the JavaScript choleskyPanel, and reports the same failing pivot', () => {
    const rng = new Rng(9);
    for (const [m, w] of [[1, 1], [3, 3], [9, 5], [30, 4], [31, 13], [70, 33]]) {
      // A = B B^T + m I, symmetric positive definite; its first w columns, rows 0..m-1.
      const B = Array.from({ length: m }, () => Array.from({ length: m }, () => rng.uniform(-1, 1)));
      const off = 3;
      const tol = off + m * w + 1;
      const size = tol + w + 8;
      const spd = new Float64Array(size);
      for (let c = 0; c < w; c++) {
        for (let r = 0; r < m; r++) {
          let s = r === c ? m : 0;
          for (let q = 0; q < m; q++) s += B[r][q] * B[c][q];
          spd[off + c * m + r] = s;
        }
      }
      const js = spd.slice();
      for (let c = 0; c < w; c++) js[tol + c] = 1e-14 * js[off + c * m + c];
      const k = instantiateDenseKernels(size)!;
      k.f64.set(js);
      const tolArr = js.subarray(tol, tol + w);
      expect(choleskyPanel(js, off, m, w, tolArr, 0)).toBe(-1);
      expect(k.panel(off, m, w, tol)).toBe(-1);
      const lower: [number, number][] = [];
      for (let c = 0; c < w; c++) lower.push([off + c * m + c, off + (c + 1) * m]);
      expect(relDiff(k.f64, js, lower)).toBeLessThan(1e-13);
      if (w >= 2) {
        const bad = Math.min(w - 1, 1 + rng.int(w - 1));
        // A negative diagonal entry at column `bad`: indefinite, found at the same column by both.
        const A = spd.slice();
        A[off + bad * m + bad] = -1;
        for (let c = 0; c < w; c++) A[tol + c] = 0;
        k.f64.set(A);
        expect(k.panel(off, m, w, tol)).toBe(bad);
        expect(choleskyPanel(A, off, m, w, A.subarray(tol, tol + w), 0)).toBe(bad);
      }
    }
  });

  it('factorise and solve a 48 x 48 lattice like the JavaScript kernels, with residuals near rounding', () => {
    const rng = new Rng(10);
    const side = 48;
    const n = side * side;
    const a = groundedLaplacian(n, latticeEdges(side, true), [0, n - 1, 1000], rng);
    const g = graphOf(a);
    const sym = new SymbolicFactor(g, a.rowPtr, a.colIdx, fillReducingOrder(g, 'nd').order!);
    expect(sym.maxRows).toBeGreaterThan(40); // supernodes large enough for every path of rank4
    const w = new SupernodalCholesky(sym, { kernels: 'wasm' });
    const j = new SupernodalCholesky(sym, { kernels: 'js' });
    expect([w.kernels, j.kernels]).toEqual(['wasm', 'js']);
    w.factorize(a.values);
    j.factorize(a.values);
    let d = 0;
    let big = 0;
    for (let J = 0; J < sym.nsuper; J++) {
      const m = sym.rowPtr[J + 1] - sym.rowPtr[J];
      for (let c = 0; c < sym.superStart[J + 1] - sym.superStart[J]; c++) {
        for (let r = c; r < m; r++) {
          const q = sym.valPtr[J] + c * m + r;
          d = Math.max(d, Math.abs(w.values[q] - j.values[q]));
          big = Math.max(big, Math.abs(j.values[q]));
        }
      }
    }
    expect(d / big).toBeLessThan(1e-12);
    // A x = b to a relative residual of 1e-13, measured with the matrix itself.
    const b = Float64Array.from({ length: n }, () => rng.uniform(-1, 1));
    const x = w.solve(b, new Float64Array(n));
    let rn = 0;
    let bn = 0;
    for (let i = 0; i < n; i++) {
      let s = b[i];
      for (let p = a.rowPtr[i]; p < a.rowPtr[i + 1]; p++) s -= a.values[p] * x[a.colIdx[p]];
      rn += s * s;
      bn += b[i] * b[i];
    }
    expect(Math.sqrt(rn / bn)).toBeLessThan(1e-13);
    // The WebAssembly solve gives the JavaScript solve's answer up to rounding.
    const xj = j.solve(b, new Float64Array(n));
    let dx = 0;
    let bx = 0;
    for (let i = 0; i < n; i++) {
      dx = Math.max(dx, Math.abs(x[i] - xj[i]));
      bx = Math.max(bx, Math.abs(xj[i]));
    }
    expect(dx / bx).toBeLessThan(1e-13);
  });
});
