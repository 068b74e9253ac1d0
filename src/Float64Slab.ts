/**
 * Small Float64Arrays carved out of shared blocks. In V8 a typed array of more than 64 bytes (above 8 numbers) gets
 * a buffer of its own outside the JavaScript heap: 0.4-0.9 us to make and work for the collector to free, against
 * about 0.05 us for a view of an existing buffer. A 16-node board's readings, residuals and sigmas are such arrays,
 * dozens per training step (issue 18, point 3), so the code on that path takes them from a slab.
 *
 * Each array handed out is zero-filled, has exactly the length asked for, and is never handed out again: it may be
 * kept as long as the caller likes (it keeps its block alive; a block is `blockLength` numbers, 64 kB by default).
 * The arrays share their `.buffer`: code that needs a buffer of its own (to transfer it to a worker) must copy.
 */
export class Float64Slab {
  private block: Float64Array;
  private used = 0;

  /** @param blockLength numbers per block (default 8192); arrays longer than a quarter of it get their own buffer */
  constructor(private readonly blockLength = 8192) {
    this.block = new Float64Array(blockLength);
  }

  /** A zero-filled array of `n` numbers. */
  take(n: number): Float64Array {
    if (n > this.blockLength >> 2) return new Float64Array(n);
    if (this.used + n > this.block.length) {
      this.block = new Float64Array(this.blockLength);
      this.used = 0;
    }
    const a = this.block.subarray(this.used, this.used + n);
    this.used += n;
    return a;
  }

  /** A copy of `src`. */
  copy(src: ArrayLike<number>): Float64Array {
    const a = this.take(src.length);
    for (let i = 0; i < a.length; i++) a[i] = src[i];
    return a;
  }
}
