/**
 * Eigenvalue spectra as a standalone SVG figure (`clln diagnose --svg DIR`), e.g. the physical Hessian and the cost
 * Hessian of a network side by side. Pure.
 */
import { InvalidInputError, show } from '../../errors.js';
import { checkArrayLike, checkFlag, checkSize, checkText, xyPlot, type XYSeries } from './svgDocument.js';

/** One spectrum: eigenvalues plotted against their index 1..n (in the order given; sort them first if wanted). */
export interface SpectrumSeries {
  /** Legend label (any text; escaped). */
  label: string;
  /** Eigenvalues (units of the matrix, e.g. S for a conductance Hessian). */
  values: ArrayLike<number>;
}

/** Options of {@link spectrumFigure}. */
export interface SpectrumFigureOptions {
  /** Title above the plot. Default: none (the document title is `spectrum`). */
  title?: string;
  /** log10 y axis. Default true; non-positive values are then dropped and counted in a note. */
  logY?: boolean;
  /** Figure width in px, 200..20000. Default 640. */
  width?: number;
  /** Figure height in px, 150..20000. Default 400. */
  height?: number;
  /** x axis label. Default `index`. */
  xLabel?: string;
  /** y axis label. Default `eigenvalue`. */
  yLabel?: string;
}

/** Points per series up to which every eigenvalue gets a circle marker (above, a line only). */
export const SPECTRUM_MARKER_LIMIT = 200;

/**
 * Eigenvalue vs index (1..n), one line per series in its own colour, with circle markers when a series has at most
 * {@link SPECTRUM_MARKER_LIMIT} plotted points. Non-finite eigenvalues (and non-positive ones on the default log
 * axis) are skipped, break the line and are counted in a note. Returns the SVG document text.
 *
 * @throws InvalidInputError when `series` is not an array, a label is not text, values are not array-like, or a
 *   size is out of range (the error names the parameter, e.g. `series[1].values`).
 */
export function spectrumFigure(series: SpectrumSeries[], opts: SpectrumFigureOptions = {}): string {
  const source = 'spectrumFigure';
  if (!Array.isArray(series)) {
    throw new InvalidInputError({ source, field: 'series' }, `must be an array of { label, values }, got ${show(series)}`, 'pass [] for an empty figure');
  }
  const xy: XYSeries[] = series.map((s, i) => {
    if (typeof s !== 'object' || s === null) {
      throw new InvalidInputError({ source, field: `series[${i}]` }, `must be { label, values }, got ${show(s)}`, 'give each spectrum a label and its eigenvalues');
    }
    const label = checkText(s.label, source, `series[${i}].label`) ?? '';
    const n = checkArrayLike(s.values, source, `series[${i}].values`, 'the eigenvalues');
    const x = new Float64Array(n);
    for (let k = 0; k < n; k++) x[k] = k + 1;
    return { label, x, y: s.values };
  });
  return xyPlot({
    series: xy,
    title: checkText(opts.title, source, 'title'),
    name: 'spectrum',
    logY: checkFlag(opts.logY, true, source, 'logY'),
    width: checkSize(opts.width, 640, 200, source, 'width'),
    height: checkSize(opts.height, 400, 150, source, 'height'),
    xLabel: checkText(opts.xLabel, source, 'xLabel') ?? 'index',
    yLabel: checkText(opts.yLabel, source, 'yLabel') ?? 'eigenvalue',
    integerX: true,
    markerLimit: SPECTRUM_MARKER_LIMIT,
  });
}
