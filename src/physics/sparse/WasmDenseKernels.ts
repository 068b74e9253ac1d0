import { DENSE_KERNELS_WASM_HEX } from './denseKernelsWasm.generated.js';

/**
 * The WebAssembly SIMD (f64x2) dense kernels of the supernodal Cholesky (wasm/denseKernels.wat), bound to one memory
 * that holds the caller's arrays: the caller keeps Float64Array views of `memory` (`f64`) and passes element
 * offsets into it. Same operations as denseKernels.ts (rankUpdate, syrkLower, choleskyPanel), which remain the
 * fallback where WebAssembly SIMD is unavailable.
 */
export interface WasmDenseKernels {
  /** The whole memory as doubles; never grows, so views of it stay valid. */
  readonly f64: Float64Array;
  /** Usable doubles at the start of `f64` (then padding read past the last block, never written). */
  readonly doubles: number;
  /** The 32-bit integers after the doubles and their padding; `i32Base` is the byte address of `i32[0]`. */
  readonly i32: Int32Array;
  readonly i32Base: number;
  /** rankUpdate(f64, t, ldt, f64, s, lds, j, nt, i0, i1, kdim), nt in 1..4. */
  rank4(t: number, ldt: number, s: number, lds: number, j: number, nt: number, i0: number, i1: number, kdim: number): void;
  /** syrkLower(f64, uo, u, f64, s, lds, w). */
  syrk(uo: number, u: number, s: number, lds: number, w: number): void;
  /** choleskyPanel(f64, off, m, w, f64 from tol, 0): -1 or the failing column of the panel. */
  panel(off: number, m: number, w: number, tol: number): number;
  /**
   * The whole numeric factorisation (SupernodalCholesky.factorize's JavaScript path, operation for operation):
   * integer arrays as byte addresses, double regions as element offsets (the factor at 0). -1, or the failing pivot.
   */
  factorize(
    ns: number, n: number,
    superStart: number, rowPtr: number, valPtr: number, relPtr: number, relIdx: number,
    firstChild: number, nextSibling: number, uStart: number,
    asmPtr: number, asmSrc: number, asmDst: number, diagSrc: number,
    stack: number, tolv: number, a: number, tol: number,
  ): number;
  /**
   * L L^T z = y in place (SupernodalCholesky.solve's JavaScript path, operation for operation): y (pivot numbering)
   * and a work vector of maxRows doubles at element offsets, integer arrays as byte addresses.
   */
  solve(ns: number, superStart: number, rowPtr: number, rowIdx: number, valPtr: number, y: number, tmp: number): void;
}

/** The part of the WebAssembly JS API used here (not in the TypeScript libs this project compiles with). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum?: number }) => { buffer: ArrayBuffer };
}

/** Padding after the usable doubles: rank4 reads up to three doubles past a block's last row (discarded). */
const PAD_DOUBLES = 8;
/**
 * Largest memory: byte addresses are compared as signed 32-bit integers in the kernels, so stay below 2 GiB
 * (2^28 doubles); a larger factor uses the JavaScript kernels.
 */
const MAX_DOUBLES = (1 << 28) - PAD_DOUBLES;
const PAGE_BYTES = 65536;

let compiled: object | null | undefined;

function api(): WasmApi | null {
  const w = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  return w && typeof w.validate === 'function' ? w : null;
}

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(2 * i, 2), 16);
  return out;
}

/** The compiled module, or null where WebAssembly or its SIMD proposal is unavailable (compiled once). */
function module(): object | null {
  if (compiled !== undefined) return compiled;
  const w = api();
  const bytes = hexBytes(DENSE_KERNELS_WASM_HEX);
  compiled = w && w.validate(bytes) ? new w.Module(bytes) : null;
  return compiled;
}

/** True where the WebAssembly SIMD kernels can run (Node 20's V8 supports them). */
export function wasmSimdAvailable(): boolean {
  return module() !== null;
}

/**
 * An instance of the kernels with its own memory of at least `doubles` usable doubles followed by `ints` 32-bit
 * integers, or null where WebAssembly SIMD is unavailable, the size is beyond the kernels' 2 GiB, or the memory
 * cannot be allocated.
 */
export function instantiateDenseKernels(doubles: number, ints = 0): WasmDenseKernels | null {
  const mod = module();
  const w = api();
  if (!mod || !w || !(doubles >= 0) || !(ints >= 0) || doubles + PAD_DOUBLES + ints / 2 > MAX_DOUBLES) return null;
  const i32Base = (doubles + PAD_DOUBLES) * 8;
  const pages = Math.max(1, Math.ceil((i32Base + ints * 4) / PAGE_BYTES));
  let memory: { buffer: ArrayBuffer };
  try {
    memory = new w.Memory({ initial: pages, maximum: pages });
  } catch {
    return null; // out of memory for a large factor: the JavaScript kernels work on ordinary arrays
  }
  const ex = new w.Instance(mod, { env: { memory } }).exports as unknown as {
    rank4: WasmDenseKernels['rank4'];
    syrk: WasmDenseKernels['syrk'];
    panel: WasmDenseKernels['panel'];
    factorize: WasmDenseKernels['factorize'];
    solve: WasmDenseKernels['solve'];
  };
  return {
    f64: new Float64Array(memory.buffer, 0, doubles + PAD_DOUBLES),
    doubles,
    i32: new Int32Array(memory.buffer, i32Base, ints),
    i32Base,
    rank4: ex.rank4,
    syrk: ex.syrk,
    panel: ex.panel,
    factorize: ex.factorize,
    solve: ex.solve,
  };
}
