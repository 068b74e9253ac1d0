/**
 * Uncertainty of one averaged ADC reading, from the converter's resolution and noise.
 *
 * A reading is the mean of `samples` quantised samples. Its error has two parts: random noise, whose variance
 * averages down as noiseRms^2 / samples, and quantisation, taken as uniform over one LSB (variance LSB^2 / 12). The
 * quantisation part is *not* divided by the sample count: without enough noise to dither the converter, every
 * sample is quantised the same way and averaging does not help. So the sigma is conservative when noise is large
 * and exact in the limit of no noise (where the error is a fixed value within +-LSB/2).
 */
import { InvalidInputError, show } from '../errors.js';

/** An ADC as a board identifies it: resolution in bits and input range in volts. */
export interface AdcSpec {
  bits: number;
  lo: number;
  hi: number;
}

/** One LSB of the ADC in volts: (hi - lo) / (2^bits - 1) (the twin's and the protocol's convention). */
export function adcLsb(adc: AdcSpec): number {
  if (!(Number.isInteger(adc.bits) && adc.bits >= 1)) throw new InvalidInputError({ field: 'adc.bits' }, `must be a positive integer, got ${show(adc.bits)}`);
  if (!(adc.hi > adc.lo)) throw new InvalidInputError({ field: 'adc.hi' }, `must exceed adc.lo, got lo=${show(adc.lo)}, hi=${show(adc.hi)}`);
  return (adc.hi - adc.lo) / (2 ** adc.bits - 1);
}

/** Standard deviation (V) of one reading averaged over `samples`: sqrt(noiseRms^2 / samples + lsb^2 / 12). */
export function readingSigma(lsb: number, noiseRms: number, samples: number): number {
  if (!(lsb > 0 && Number.isFinite(lsb))) throw new InvalidInputError({ field: 'adcLsb' }, `must be a positive number (V), got ${show(lsb)}`);
  if (!(noiseRms >= 0 && Number.isFinite(noiseRms))) throw new InvalidInputError({ field: 'noiseRms' }, `must be a number >= 0 (V rms per sample), got ${show(noiseRms)}`);
  if (!(Number.isInteger(samples) && samples >= 1)) throw new InvalidInputError({ field: 'samples' }, `must be a positive integer, got ${show(samples)}`);
  return Math.sqrt((noiseRms * noiseRms) / samples + (lsb * lsb) / 12);
}
