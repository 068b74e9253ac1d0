/**
 * Physical plausibility of a calibration record: bounds that every record a real board (or the twin) can give
 * respects, so that an absurd record — a drive gain of 1e-6, offsets of +-100 V, an ADC gain of 1e-9, conductances
 * scaled by 1e300, whether from a broken fit, a wrong reference or an edited file — is refused on load instead of
 * silently driving a board. The bounds and their reasons are documented in calibration/README.md ("Plausibility").
 * Pure: no I/O.
 */
import type { EdgeLaw } from '../physics/edgeLaws.js';
import { InvalidInputError, show } from '../errors.js';
import type { CalibrationRecord, ChannelFit } from './types.js';

/** The plausibility bounds (see calibration/README.md). */
export const PLAUSIBLE = {
  /**
   * Largest |gain - 1| of an ADC, drive or clamp channel (dimensionless). A converter's gain error is that of its
   * voltage reference plus its own: the ATmega2560's internal 2.56 V reference is specified 2.4..2.8 V (-6 %, +9 %),
   * an external reference is within 1 %; the twin's channels spread by 0.2 % (DAC) and 1 % (the calibration tests'
   * ADC). With the default `adc-mean` reference the mean ADC gain is 1 exactly.
   */
  gain: 0.1,
  /**
   * Largest |offset| of a channel, as a fraction of its converter's range (board.adc or board.dac hi - lo): 0.25 V on
   * a 0..5 V board. Real offsets are a few mV (op-amp and DAC zero-scale errors); the twin's spread 0.5..3 mV.
   */
  offset: 0.05,
  /**
   * Largest factor between an edge's fitted law and the reference law (tap boards: rMax_e and rMin_e; gate boards:
   * s_e): the board model's nominal law when the host knows it, else the median over the record's edges.
   * Digital potentiometers are specified +-20 % end to end, transistors' s spreads by tens of percent; the twin's
   * per-edge factor is 1 + tolerance x N(0, 1) with tolerance 5 % (penn-gen1), 3 % (penn-gen2) and 20 % in the
   * calibration tests, outside a factor of 10 only beyond 4.5 standard deviations. A factor of 10 beyond that is an
   * open or shorted edge, not a calibration.
   */
  edgeFactor: 10,
  /**
   * Largest |vt_e - reference threshold| of a gate edge, as a fraction of the gate range (board.edge hi - lo): 0.5 V
   * on penn-gen2's 0..5 V gates. The reference is the model's nominal vt when known, else the record's median.
   */
  threshold: 0.1,
  /**
   * A DAC channel's series resistance (ohm): at most this (an analog switch is a few ohm, a DAC output tens; 1 kohm
   * would drop volts at the mA the edges draw: a broken contact, not a channel), and at least minus
   * `seriesNegativeStd` of its standard errors (a fitted r below 0 is noise around a small true r, never more).
   */
  seriesOhms: 1000,
  seriesNegativeStd: 5,
  /** Resistances (ohm) of a tap edge outside [1e-3, 1e12] are a short or an open whatever the model. */
  ohms: [1e-3, 1e12] as const,
  /** Transconductance factors (S/V) of a gate edge outside [1e-12, 100] are not a transistor whatever the model. */
  siemensPerVolt: [1e-12, 100] as const,
};

/**
 * Refuse a record whose converters or edges are physically implausible (bounds in {@link PLAUSIBLE}): an
 * InvalidInputError naming `source` and the field, e.g. `dac.drive.gain[3]`, with the value and the bound.
 * @param nominal the board model's nominal edge law, when the host knows it (a shipped model or --model); without
 *   it, edges are compared with the median of the record's own edges
 */
export function checkCalibrationPlausible(record: CalibrationRecord, source: string, nominal?: EdgeLaw): void {
  const fix = (what: string): string =>
    `this is not what a calibration of a working board gives (${what}); recalibrate with 'clln calibrate', check the board and the plan's reference, or use the record the calibration wrote`;
  const b = record.board;
  channels(record.adc, 'adc', b.adc.hi - b.adc.lo, source, fix);
  channels(record.dac.drive, 'dac.drive', b.dac.hi - b.dac.lo, source, fix);
  channels(record.dac.clamp, 'dac.clamp', b.dac.hi - b.dac.lo, source, fix);

  const ed = record.edges;
  const F = PLAUSIBLE.edgeFactor;
  const within = (x: number, ref: number, field: string, unit: string, refWhat: string): void => {
    if (!(x <= ref * F && x >= ref / F)) {
      throw new InvalidInputError({ source, field }, `${show(x)} ${unit} is more than a factor of ${F} from ${refWhat} (${ref.toPrecision(4)} ${unit})`, fix(`edges within a factor of ${F} of ${refWhat}`));
    }
  };
  const absolute = (x: number, [lo, hi]: readonly [number, number], field: string, unit: string, what: string): void => {
    if (!(x >= lo && x <= hi)) {
      throw new InvalidInputError({ source, field }, `${show(x)} ${unit} is outside [${lo}, ${hi}] ${unit}, the range of ${what}`, fix(`${what} within [${lo}, ${hi}] ${unit}`));
    }
  };
  if (ed.kind === 'tap') {
    const tapNominal = nominal?.kind === 'tap' ? nominal : undefined;
    for (const key of ['rMax', 'rMin'] as const) {
      ed[key].forEach((r, e) => absolute(r, PLAUSIBLE.ohms, `edges.${key}[${e}]`, 'ohm', 'a resistive edge'));
      const ref = tapNominal ? tapNominal[key] : median(ed[key]);
      const refWhat = tapNominal ? `the board model's nominal ${key}` : `the median of edges.${key}`;
      ed[key].forEach((r, e) => within(r, ref, `edges.${key}[${e}]`, 'ohm', refWhat));
    }
    return;
  }
  const gateNominal = nominal?.kind === 'gate' ? nominal : undefined;
  ed.s.forEach((s, e) => absolute(s, PLAUSIBLE.siemensPerVolt, `edges.s[${e}]`, 'S/V', 'a transistor edge'));
  const sRef = gateNominal ? gateNominal.s : median(ed.s);
  ed.s.forEach((s, e) => within(s, sRef, `edges.s[${e}]`, 'S/V', gateNominal ? "the board model's nominal s" : 'the median of edges.s'));
  const gate = b.edge.kind === 'gate' ? b.edge : { lo: 0, hi: 0 };
  const dv = PLAUSIBLE.threshold * (gate.hi - gate.lo);
  const vtRef = gateNominal ? gateNominal.vt : median(ed.vt);
  const vtWhat = gateNominal ? "the board model's nominal vt" : 'the median of edges.vt';
  ed.vt.forEach((vt, e) => {
    if (!(Math.abs(vt - vtRef) <= dv)) {
      throw new InvalidInputError(
        { source, field: `edges.vt[${e}]` },
        `${show(vt)} V is more than ${dv.toPrecision(3)} V (${PLAUSIBLE.threshold * 100} % of the gate range) from ${vtWhat} (${vtRef.toPrecision(4)} V)`,
        fix(`thresholds within ${PLAUSIBLE.threshold * 100} % of the gate range of ${vtWhat}`),
      );
    }
  });
}

function channels(c: ChannelFit, field: string, range: number, source: string, fix: (what: string) => string): void {
  const g = PLAUSIBLE.gain;
  c.gain.forEach((x, i) => {
    if (x !== null && !(Math.abs(x - 1) <= g)) {
      throw new InvalidInputError({ source, field: `${field}.gain[${i}]` }, `${show(x)} is outside [${1 - g}, ${1 + g}], the gains a converter channel has`, fix(`converter gains within ${g * 100} % of 1`));
    }
  });
  c.r?.forEach((x, i) => {
    const std = c.rStd?.[i] ?? 0;
    if (x !== null && !(x <= PLAUSIBLE.seriesOhms && x >= -PLAUSIBLE.seriesNegativeStd * std)) {
      throw new InvalidInputError(
        { source, field: `${field}.r[${i}]` },
        `${show(x)} ohm is outside -${PLAUSIBLE.seriesNegativeStd} standard errors (${show(std)} ohm) .. ${PLAUSIBLE.seriesOhms} ohm, the output resistances a channel has`,
        fix(`channel series resistances between 0 (within noise) and ${PLAUSIBLE.seriesOhms} ohm`),
      );
    }
  });
  const o = PLAUSIBLE.offset * range;
  c.offset.forEach((x, i) => {
    if (x !== null && !(Math.abs(x) <= o)) {
      throw new InvalidInputError(
        { source, field: `${field}.offset[${i}]` },
        `${show(x)} V is outside +-${o.toPrecision(3)} V (${PLAUSIBLE.offset * 100} % of the converter's ${range} V range)`,
        fix(`offsets within ${PLAUSIBLE.offset * 100} % of the converter's range`),
      );
    }
  });
}

function median(xs: readonly number[]): number {
  const a = [...xs].sort((x, y) => x - y);
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : 0.5 * (a[m - 1] + a[m]);
}
