/**
 * Eigenvalue spectra as a standalone SVG figure (`clln diagnose --svg DIR`), e.g. the physical Hessian and the cost
 * Hessian of a network side by side. Pure.
 */
import { InvalidInputError, show } from '../../errors.js';
import { checkArrayLike, checkFlag, checkSize, checkText, COLUMN_WIDTH, xyFigure, type FigureContext, type XYPanel, type XYSeries } from './svgDocument.js';

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
  /** The network, task and run the figure shows, named under the title. */
  context?: FigureContext;
  /** Remarks for the note at the bottom, e.g. what a unit means. */
  notes?: string[];
  /** log10 y axis. Default true; non-positive values are then dropped and counted in a note. */
  logY?: boolean;
  /** Figure width in px, 200..20000. Default {@link COLUMN_WIDTH} (one journal column). */
  width?: number;
  /** Figure height in px, 150..20000. Default 250 (one panel), 500 (two). */
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
  return spectraFigure([{ series, xLabel: opts.xLabel, yLabel: opts.yLabel }], opts, 'spectrumFigure');
}

/** One panel of {@link spectraFigure}: spectra that share a unit. */
export interface SpectrumPanel {
  /** Panel title, e.g. `(a) physical Hessian (Laplacian)`. */
  title?: string;
  series: SpectrumSeries[];
  /** x axis label. Default `index`. */
  xLabel?: string;
  /** y axis label, with the unit. Default `eigenvalue`. */
  yLabel?: string;
}

/**
 * Spectra in panels stacked vertically, one unit per panel (eigenvalues in S and in V^2/S^2 do not share an axis),
 * each as {@link spectrumFigure} draws one. Returns the SVG document text.
 *
 * @throws InvalidInputError as {@link spectrumFigure}, naming `panels[i].series[j]...` for a bad panel.
 */
export function spectraFigure(panels: SpectrumPanel[], opts: Omit<SpectrumFigureOptions, 'xLabel' | 'yLabel'> = {}, source = 'spectraFigure'): string {
  if (!Array.isArray(panels)) throw new InvalidInputError({ source, field: 'panels' }, `must be an array of { title, series }, got ${show(panels)}`, 'pass one panel per unit');
  const logY = checkFlag(opts.logY, true, source, 'logY');
  const xyPanels: XYPanel[] = panels.map((panel, pi) => {
    const prefix = source === 'spectrumFigure' ? '' : `panels[${pi}].`;
    const series = panel.series;
    if (!Array.isArray(series)) {
      throw new InvalidInputError({ source, field: `${prefix}series` }, `must be an array of { label, values }, got ${show(series)}`, 'pass [] for an empty figure');
    }
    const xy: XYSeries[] = series.map((s, i) => {
      if (typeof s !== 'object' || s === null) {
        throw new InvalidInputError({ source, field: `${prefix}series[${i}]` }, `must be { label, values }, got ${show(s)}`, 'give each spectrum a label and its eigenvalues');
      }
      const label = checkText(s.label, source, `${prefix}series[${i}].label`) ?? '';
      const n = checkArrayLike(s.values, source, `${prefix}series[${i}].values`, 'the eigenvalues');
      const x = new Float64Array(n);
      for (let k = 0; k < n; k++) x[k] = k + 1;
      return { label, x, y: s.values };
    });
    return {
      series: xy,
      title: checkText(panel.title, source, `${prefix}title`),
      logY,
      xLabel: checkText(panel.xLabel, source, `${prefix}xLabel`) ?? 'index',
      yLabel: checkText(panel.yLabel, source, `${prefix}yLabel`) ?? 'eigenvalue',
      integerX: true,
      markerLimit: SPECTRUM_MARKER_LIMIT,
    };
  });
  return xyFigure({
    panels: xyPanels,
    title: checkText(opts.title, source, 'title'),
    context: opts.context,
    notes: opts.notes,
    name: 'spectrum',
    width: checkSize(opts.width, COLUMN_WIDTH, 200, source, 'width'),
    height: checkSize(opts.height, panels.length > 1 ? 500 : 250, 150, source, 'height'),
  });
}
