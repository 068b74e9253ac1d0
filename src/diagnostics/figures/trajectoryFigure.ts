/**
 * Tracked eigenvalues over training as a standalone SVG figure (`clln diagnose --svg DIR`). Pure.
 */
import { InvalidInputError, show } from '../../errors.js';
import { checkArrayLike, checkFlag, checkSize, checkText, COLUMN_WIDTH, xyPlot, type FigureContext, type XYSeries } from './svgDocument.js';

/** One tracked quantity: its value at each step. */
export interface TrajectorySeries {
  /** Legend label (any text; escaped). */
  label: string;
  /** Value at each step (same length as the steps). */
  values: ArrayLike<number>;
}

/** Options of {@link trajectoryFigure}. */
export interface TrajectoryFigureOptions {
  /** Title above the plot. Default: none (the document title is `trajectory`). */
  title?: string;
  /** The network, task and run the figure shows, named under the title. */
  context?: FigureContext;
  /** log10 y axis. Default true; non-positive values are then dropped and counted in a note. */
  logY?: boolean;
  /** Figure width in px, 200..20000. Default {@link COLUMN_WIDTH} (one journal column). */
  width?: number;
  /** Figure height in px, 150..20000. Default 280. */
  height?: number;
  /** x axis label. Default `step`. */
  xLabel?: string;
  /** y axis label. Default `eigenvalue`. */
  yLabel?: string;
}

/** Points per series up to which every value gets a circle marker (above, a line only). */
export const TRAJECTORY_MARKER_LIMIT = 60;

/**
 * One line per tracked eigenvalue against the training step, each in its own colour, with circle markers when a
 * series has at most {@link TRAJECTORY_MARKER_LIMIT} plotted points. A point with a non-finite step or value (or a
 * non-positive value on the default log axis) is skipped, breaks the line and is counted in a note.
 * Returns the SVG document text.
 *
 * @throws InvalidInputError when a series' values do not have the length of `steps` (naming `series[i].values`),
 *   or an argument has the wrong type, or a size is out of range.
 */
export function trajectoryFigure(steps: ArrayLike<number>, series: TrajectorySeries[], opts: TrajectoryFigureOptions = {}): string {
  const source = 'trajectoryFigure';
  const n = checkArrayLike(steps, source, 'steps', 'the steps');
  if (!Array.isArray(series)) {
    throw new InvalidInputError({ source, field: 'series' }, `must be an array of { label, values }, got ${show(series)}`, 'pass [] for an empty figure');
  }
  const xy: XYSeries[] = series.map((s, i) => {
    if (typeof s !== 'object' || s === null) {
      throw new InvalidInputError({ source, field: `series[${i}]` }, `must be { label, values }, got ${show(s)}`, 'give each line a label and its values');
    }
    const label = checkText(s.label, source, `series[${i}].label`) ?? '';
    const m = checkArrayLike(s.values, source, `series[${i}].values`, 'the values');
    if (m !== n) {
      throw new InvalidInputError(
        { source, field: `series[${i}].values` },
        `must have one value per step (the length of steps, ${n}), got ${m} values`,
        'pass the tracked values at the same steps',
      );
    }
    return { label, x: steps, y: s.values };
  });
  return xyPlot({
    series: xy,
    title: checkText(opts.title, source, 'title'),
    context: opts.context,
    name: 'trajectory',
    logY: checkFlag(opts.logY, true, source, 'logY'),
    width: checkSize(opts.width, COLUMN_WIDTH, 200, source, 'width'),
    height: checkSize(opts.height, 280, 150, source, 'height'),
    xLabel: checkText(opts.xLabel, source, 'xLabel') ?? 'step',
    yLabel: checkText(opts.yLabel, source, 'yLabel') ?? 'eigenvalue',
    integerX: false,
    markerLimit: TRAJECTORY_MARKER_LIMIT,
  });
}
