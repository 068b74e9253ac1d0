/**
 * The residual pattern (measured - predicted, per node, per unit of the cause) of each elementary cause of a
 * mismatch between a board and its model. The same patterns serve twice: scaled by their no-fault standard
 * deviations they add up to the residual's covariance (ADC noise, DAC error, model error), and fitted with a free
 * amplitude they are the single-fault hypotheses (an ADC or DAC channel offset, an edge gone open or short).
 *
 * `useReading[j]` tells, for each imposed node j, whether the prediction used its reading (boundary 'measured') or
 * its commanded value. w_j are the harmonic weights of imposed node j (GreenResponses.boundaryWeights).
 *
 * - edge e (per unit alpha): g_e = H_FF^{-1} d_F at the free nodes, 0 elsewhere (exact for any change of k_e).
 * - ADC of free node i (per volt added to its reading): e_i (the prediction does not use that reading).
 * - ADC of imposed node j: e_j, minus w_j at the free nodes if the prediction used the reading (it follows it).
 * - DAC of imposed node j (per volt the node is held off its command): e_j, plus w_j at the free nodes if the
 *   prediction used the commanded value (the free nodes follow the node, the prediction does not).
 */
import type { GreenResponses } from './GreenResponses.js';

export class FaultPatterns {
  constructor(
    readonly responses: GreenResponses,
    private readonly isImposed: Uint8Array,
    private readonly useReading: Uint8Array,
  ) {}

  /** Edge e per unit amplitude (read-only). */
  edge(e: number): Float64Array {
    return this.responses.edgeShape(e);
  }

  /** ADC channel of node i, per volt of offset. */
  adc(i: number): Float64Array {
    const out = new Float64Array(this.responses.nodes);
    if (this.isImposed[i] && this.useReading[i]) this.addWeights(out, i, -1);
    out[i] = 1;
    return out;
  }

  /** DAC channel of imposed node j, per volt of offset. */
  dac(j: number): Float64Array {
    const out = new Float64Array(this.responses.nodes);
    if (!this.useReading[j]) this.addWeights(out, j, 1);
    out[j] = 1;
    return out;
  }

  private addWeights(out: Float64Array, j: number, sign: number): void {
    const w = this.responses.boundaryWeights(j);
    for (let i = 0; i < out.length; i++) if (this.responses.free(i)) out[i] += sign * w[i];
  }
}
