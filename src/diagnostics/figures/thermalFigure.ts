/**
 * Target strain vs temperature as a standalone SVG figure (`clln thermal NET TASK --svg DIR`, issue 17 point 4): the
 * harmonic statistics of one direction of a strain task on a log T axis. Pure.
 *
 * Drawn: the band without input, 0 +- sigma_without (grey); the band with input, <eps_T> +- sigma_with (blue), with
 * its mean as a line; the crossover T* as a vertical red line, labelled. Both bands widen as sqrt(T); the response
 * stands out of the noise left of T*.
 */
import type { ThermalDirection } from '../../physics/springs/thermal/harmonicThermal.js';
import {
  axes,
  categorical,
  checkSize,
  checkText,
  COLUMN_WIDTH,
  element,
  type FigureContext,
  formatCoordinate,
  formatNumber,
  legend,
  legendHeight,
  type LegendItem,
  leftMargin,
  linearScale,
  logScale,
  noteBlock,
  svgDocument,
  textElement,
  TICK_FONT,
  titleBlock,
  BELOW_FRAME,
  wrapText,
} from './svgDocument.js';

/** Options of {@link thermalFigure}. */
export interface ThermalFigureOptions {
  /** Title above the plot. Default `target strain vs temperature`. */
  title?: string;
  /** The network, task and run the figure shows, named under the title. */
  context?: FigureContext;
  /** Figure width in px, 200..20000. Default {@link COLUMN_WIDTH}. */
  width?: number;
  /** Figure height in px, 150..20000. Default 300. */
  height?: number;
}

const WITH_COLOUR = categorical(0);
const WITHOUT_COLOUR = '#7a7a7a';
const CROSSOVER_COLOUR = '#c8353b';

/**
 * The figure of one direction of a thermal analysis (its `grid` gives the temperatures drawn). Infinite standard
 * deviations (floppy modes) fill the frame and are named in the note, as are grids without a positive temperature.
 * Returns the SVG document text.
 */
export function thermalFigure(direction: ThermalDirection, opts: ThermalFigureOptions = {}): string {
  const source = 'thermalFigure';
  const width = checkSize(opts.width, COLUMN_WIDTH, 200, source, 'width');
  const height = checkSize(opts.height, 300, 150, source, 'height');
  const title = checkText(opts.title, source, 'title') ?? 'target strain vs temperature';
  const grid = [...direction.grid].filter((g) => g.temperature > 0 && Number.isFinite(g.temperature)).sort((a, b) => a.temperature - b.temperature);
  const notes: string[] = [];
  const tStar = direction.crossover;
  const starShown = tStar > 0 && Number.isFinite(tStar);
  if (grid.length === 0) notes.push('no temperatures to draw');
  if (!Number.isFinite(direction.varianceWithout)) notes.push('sigma without input is infinite: the target couples to floppy modes');
  if (!Number.isFinite(direction.varianceWith)) notes.push('sigma with input is infinite: floppy modes the source does not fix');
  if (!starShown) notes.push(`T* = ${formatNumber(tStar)} (${direction.crossoverReason})`);
  else if (grid.length > 0 && (tStar < grid[0].temperature || tStar > grid[grid.length - 1].temperature)) notes.push(`T* = ${formatNumber(tStar)} lies outside the temperatures drawn`);

  // ranges: every finite band edge
  let ylo = 0;
  let yhi = 0;
  for (const g of grid) {
    for (const v of [g.meanWith - g.sigmaWith, g.meanWith + g.sigmaWith, -g.sigmaWithout, g.sigmaWithout, g.meanWith]) {
      if (!Number.isFinite(v)) continue;
      ylo = Math.min(ylo, v);
      yhi = Math.max(yhi, v);
    }
  }
  const tlo = grid.length > 0 ? grid[0].temperature : 1;
  const thi = grid.length > 0 ? grid[grid.length - 1].temperature : 10;

  const head = titleBlock(width, title, opts.context);
  const items: LegendItem[] = [
    { label: 'with input: mean \u00b1 \u03c3', colour: WITH_COLOUR, marker: 'swatch' },
    { label: 'without input: 0 \u00b1 \u03c3', colour: WITHOUT_COLOUR, marker: 'swatch' },
  ];
  if (starShown) items.push({ label: `T* = ${formatNumber(tStar, 3)}`, colour: CROSSOVER_COLOUR, marker: 'line' });
  const legendH = legendHeight(items, width - 12);
  const noteLines = notes.length > 0 ? wrapText(notes.join('; '), width - 12, TICK_FONT).length : 0;
  const noteH = noteLines * TICK_FONT * 1.3 + (noteLines > 0 ? 4 : 0);
  const yProbe = linearScale(ylo, yhi, [1, 0]);
  const left = Math.max(30, leftMargin(yProbe));
  const top = head.height + legendH + 10;
  const frameW = Math.max(40, width - left - 10);
  const frameH = Math.max(40, height - top - BELOW_FRAME - noteH - 4);
  const frame = { left, top, width: frameW, height: frameH };
  const xs = logScale(tlo, thi, [left, left + frameW]);
  const ys = linearScale(ylo, yhi, [top + frameH, top]);
  const c = (v: number): string => formatCoordinate(v);
  // a band edge in px, clamped to the frame (an infinite sigma fills it)
  const yPx = (v: number): number => (v === Infinity ? top : v === -Infinity ? top + frameH : Math.min(top + frameH, Math.max(top, ys.map(v))));

  const body: string[] = [head.body, legend(items, 6, head.height + 2, width - 12)];
  body.push(axes(frame, xs, ys, { x: 'temperature T (k_B = 1)', y: 'target strain \u03b5_T' }));
  const band = (cls: string, colour: string, lo: (i: number) => number, hi: (i: number) => number): string => {
    if (grid.length === 0) return '';
    let d = '';
    grid.forEach((g, i) => (d += `${i === 0 ? 'M' : 'L'}${c(xs.map(g.temperature))} ${c(yPx(hi(i)))}`));
    for (let i = grid.length - 1; i >= 0; i--) d += `L${c(xs.map(grid[i].temperature))} ${c(yPx(lo(i)))}`;
    return element('path', { class: cls, d: `${d}Z`, fill: colour, 'fill-opacity': 0.22, stroke: colour, 'stroke-width': 0.5 });
  };
  body.push(band('band-without', WITHOUT_COLOUR, (i) => -grid[i].sigmaWithout, (i) => grid[i].sigmaWithout));
  body.push(band('band-with', WITH_COLOUR, (i) => grid[i].meanWith - grid[i].sigmaWith, (i) => grid[i].meanWith + grid[i].sigmaWith));
  if (grid.length > 0) {
    const zero = grid.map((g, i) => `${i === 0 ? 'M' : 'L'}${c(xs.map(g.temperature))} ${c(yPx(0))}`).join('');
    body.push(element('path', { class: 'mean-without', d: zero, fill: 'none', stroke: WITHOUT_COLOUR, 'stroke-width': 1, 'stroke-dasharray': '4 2' }));
    const mean = grid.map((g, i) => `${i === 0 ? 'M' : 'L'}${c(xs.map(g.temperature))} ${c(yPx(g.meanWith))}`).join('');
    body.push(element('path', { class: 'mean-with', d: mean, fill: 'none', stroke: WITH_COLOUR, 'stroke-width': 1.5, 'data-mean': String(direction.response) }));
  }
  if (starShown && tStar >= xs.domain[0] && tStar <= xs.domain[1]) {
    const x = xs.map(tStar);
    body.push(
      element(
        'g',
        { class: 'crossover', 'data-temperature': String(tStar) },
        element('line', { x1: x, y1: top, x2: x, y2: top + frameH, stroke: CROSSOVER_COLOUR, 'stroke-width': 1.25 }) +
          textElement(x + 3, top + TICK_FONT + 2, 'T*', { fill: CROSSOVER_COLOUR, 'font-size': TICK_FONT }),
      ),
    );
  }
  body.push(noteBlock(width, top + frameH + BELOW_FRAME, notes).body);
  return svgDocument({ width, height, title, body });
}
