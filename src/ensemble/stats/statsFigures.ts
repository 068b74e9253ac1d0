/**
 * The figures of `clln ensemble stats --svg DIR`: histograms of the final MSEs, of the Laplacian's extreme
 * eigenvalues and of the alignment (with its null model's expected counts), and the ensemble-averaged boundary
 * frequency drawn on the network. Built from the figure kit (src/diagnostics/figures/svgDocument.ts): one journal
 * column wide, axis labels with units, the ensemble, its member generator and its task named in the title block.
 * Pure: each function returns an SVG document.
 */
import {
  axes,
  BELOW_FRAME,
  categorical,
  COLUMN_WIDTH,
  element,
  formatCoordinate,
  formatNumber,
  LABEL_FONT,
  leftMargin,
  legend,
  legendHeight,
  linearScale,
  logScale,
  noteBlock,
  svgDocument,
  textElement,
  TICK_FONT,
  textWidth,
  titleBlock,
  wrapText,
  type FigureContext,
  type LegendItem,
} from '../../diagnostics/figures/svgDocument.js';
import { networkFigure } from '../../diagnostics/figures/networkFigure.js';
import type { EnsembleStatistics, QuantitySummary } from './ensembleStatistics.js';
import { alignmentNull } from './alignmentNull.js';
import type { EnsembleNames, SharedTopology } from './types.js';

/** One histogram panel: the summary's bins, its median and quartiles, and optionally expected counts to compare. */
export interface HistogramPanel {
  title: string;
  summary: QuantitySummary;
  /** x-axis label with its unit. Default `quantity (unit)` of the summary. */
  xLabel?: string;
  /** Expected counts per bin under models (each a dashed step line), e.g. the alignment's null brackets. */
  expected?: { label: string; counts: number[] }[];
}

const BAR_FILL = '#9ebcda';
const MEDIAN = '#1f1f1f';
const QUARTILE = '#555555';
const MODELS = [categorical(1), categorical(2)];

/**
 * Histogram panels stacked vertically (`<g class="bars">` of `<rect data-count>` per bin in each panel, the median and
 * quartiles as vertical lines `<g class="quantiles">`, the mean and its 95 % interval in the panel title), y axis
 * `members (count)`, x axis `quantity (unit)` on the histogram's own scale (log10 for quantities over decades).
 */
export function histogramFigure(panels: readonly HistogramPanel[], o: { title: string; context: FigureContext; notes?: string[]; height?: number }): string {
  const width = COLUMN_WIDTH;
  const height = o.height ?? 60 + 200 * panels.length;
  const notes = [...(o.notes ?? [])];
  for (const p of panels) {
    const s = p.summary;
    if (s.n === 0) notes.push(`${p.title}: no data`);
    if (s.nonFinite > 0) notes.push(`${p.title}: ${s.nonFinite} non-finite value${s.nonFinite === 1 ? '' : 's'} left out`);
  }
  const head = titleBlock(width, o.title, o.context);
  const noteLines = notes.length ? wrapText(notes.join('; '), width - 12, TICK_FONT).length : 0;
  const noteH = noteLines * TICK_FONT * 1.3 + (noteLines ? 4 : 0);
  const items = (p: HistogramPanel): LegendItem[] => {
    const out: LegendItem[] = [
      { label: 'members', colour: BAR_FILL, marker: 'swatch' },
      { label: 'median', colour: MEDIAN, marker: 'line' },
      { label: 'quartiles', colour: QUARTILE, marker: 'line', dashed: true },
    ];
    (p.expected ?? []).forEach((x, i) => out.push({ label: x.label, colour: MODELS[i % MODELS.length], marker: 'line', dashed: true }));
    return out;
  };
  const maxCount = (p: HistogramPanel): number => Math.max(1, ...p.summary.histogram.counts, ...(p.expected ?? []).flatMap((x) => x.counts));
  const yScaleOf = (p: HistogramPanel, range: [number, number]) => linearScale(0, maxCount(p), range, { integer: true });
  const left = Math.max(30, ...panels.map((p) => leftMargin(yScaleOf(p, [1, 0]))));
  // right margin: half the widest last x tick label (centred on the frame's right edge), at least 12 px
  const xScaleOf = (p: HistogramPanel, range: [number, number]) => {
    const e = p.summary.histogram.edges;
    return p.summary.histogram.scale === 'log' ? logScale(e[0], e[e.length - 1], range) : linearScale(e[0], e[e.length - 1], range);
  };
  const right = Math.max(12, ...panels.map((p) => {
    const labels = xScaleOf(p, [0, 1]).tickLabels;
    return textWidth(labels[labels.length - 1] ?? '', TICK_FONT) / 2 + 4;
  }));
  const frameW = width - left - right;
  // the panel's numbers under its title: n, the mean and its interval, median and quartiles, wrapped to the width
  const statLines = (p: HistogramPanel): string[] => {
    const s = p.summary;
    const u = s.unit === 'dimensionless' ? '' : ` ${s.unit}`;
    const f = (x: number): string => formatNumber(x, 3);
    const text = s.n > 0 ? `n = ${s.n}; mean ${f(s.mean.mean)}${u}, 95 % CI [${f(s.mean.ci[0])}, ${f(s.mean.ci[1])}]; median ${f(s.median)}${u}, quartiles ${f(s.q1)} and ${f(s.q3)}` : 'n = 0';
    return wrapText(text, width - 12, TICK_FONT);
  };
  const overhead = panels.map((p) => LABEL_FONT * 1.4 + statLines(p).length * TICK_FONT * 1.3 + 4 + legendHeight(items(p), width - 12) + 10 + BELOW_FRAME);
  const frameH = Math.max(50, (height - head.height - noteH - overhead.reduce((a, b) => a + b, 0) - 4) / Math.max(1, panels.length));
  const body: string[] = [head.body];
  const c = (v: number): string => formatCoordinate(v);
  let y = head.height;
  panels.forEach((p, pi) => {
    const s = p.summary;
    const h = s.histogram;
    y += LABEL_FONT * 1.4;
    body.push(textElement(6, y - LABEL_FONT * 0.35, p.title, { class: 'panel-title', 'font-size': LABEL_FONT, 'font-weight': 'bold' }));
    for (const line of statLines(p)) {
      y += TICK_FONT * 1.3;
      body.push(textElement(6, y - TICK_FONT * 0.3, line, { class: 'panel-stat', 'font-size': TICK_FONT, fill: '#333333' }));
    }
    y += 4;
    const its = items(p);
    body.push(legend(its, 6, y, width - 12));
    y += legendHeight(its, width - 12) + 10;
    const xr: [number, number] = [left, left + frameW];
    const yr: [number, number] = [y + frameH, y];
    const xs = xScaleOf(p, xr);
    const ys = yScaleOf(p, yr);
    body.push(axes({ left, top: y, width: frameW, height: frameH }, xs, ys, { x: p.xLabel ?? `${s.quantity} (${s.unit})`, y: 'members (count)' }));
    let bars = '';
    h.counts.forEach((n, i) => {
      const x0 = xs.map(h.edges[i]);
      const x1 = xs.map(h.edges[i + 1]);
      if (n > 0) bars += element('rect', { x: x0, y: ys.map(n), width: Math.max(0.5, x1 - x0), height: ys.map(0) - ys.map(n), 'data-count': String(n), 'data-from': String(h.edges[i]), 'data-to': String(h.edges[i + 1]) });
    });
    body.push(element('g', { class: 'bars', 'data-panel': String(pi), fill: BAR_FILL, stroke: '#4a6f96', 'stroke-width': 0.5 }, bars));
    (p.expected ?? []).forEach((x, k) => {
      let d = '';
      x.counts.forEach((n, i) => {
        d += `${i === 0 ? 'M' : 'L'}${c(xs.map(h.edges[i]))} ${c(ys.map(n))}H${c(xs.map(h.edges[i + 1]))}`;
      });
      body.push(element('path', { class: 'expected', d, fill: 'none', stroke: MODELS[k % MODELS.length], 'stroke-width': 1.25, 'stroke-dasharray': k === 0 ? '4 2' : '1.5 2' }));
    });
    if (s.n > 0) {
      const v = (x: number, colour: string, dash: string | undefined, name: string): string =>
        element('line', { class: name, x1: xs.map(x), y1: y, x2: xs.map(x), y2: y + frameH, stroke: colour, 'stroke-width': 1.25, 'stroke-dasharray': dash, 'data-x': String(x) });
      body.push(element('g', { class: 'quantiles' }, v(s.q1, QUARTILE, '3 2', 'q1') + v(s.median, MEDIAN, undefined, 'median') + v(s.q3, QUARTILE, '3 2', 'q3')));
    }
    y += frameH + BELOW_FRAME;
  });
  body.push(noteBlock(width, Math.max(y, height - noteH - 2), notes).body);
  return svgDocument({ width, height, title: o.title, body });
}

/** Expected member counts per bin of `summary`'s histogram under the alignment null in d dimensions over K modes. */
export function nullCounts(summary: QuantitySummary, d: number, K = 1): number[] {
  const model = alignmentNull(d, K);
  const e = summary.histogram.edges;
  return summary.histogram.counts.map((_, i) => summary.n * (model.cdf(e[i + 1]) - model.cdf(e[i])));
}

/** The figures of an ensemble's statistics: file name and SVG. */
export function statsFigures(st: EnsembleStatistics, names: EnsembleNames, topology: SharedTopology | null): { name: string; svg: string }[] {
  const context: FigureContext = { network: names.network, task: names.task, run: `ensemble ${names.ensemble} (${st.members} members${st.failed.count ? ` finished, ${st.failed.count} failed` : ''})` };
  const out: { name: string; svg: string }[] = [];
  out.push({
    name: 'mse',
    svg: histogramFigure(
      [
        { title: '(a) final train MSE', summary: st.trainMse },
        { title: '(b) final test MSE', summary: st.testMse },
      ],
      { title: 'Final mean squared error over the ensemble', context, notes: [`success (${st.units.errorName === 'MSE' ? 'test MSE' : st.units.errorName} <= ${formatNumber(st.threshold.value)} ${st.threshold.unit}): ${st.success.k}/${st.success.n}`] },
    ),
  });
  out.push({
    name: 'eigenvalues',
    svg: histogramFigure(
      [
        { title: `(a) lowest non-zero ${st.units.hessian} eigenvalue`, summary: st.lambdaLow },
        { title: `(b) highest ${st.units.hessian} eigenvalue`, summary: st.lambdaHigh },
      ],
      { title: 'Physical Hessian eigenvalues over the ensemble', context },
    ),
  });
  const a = st.alignment;
  if (a) {
    const one = a.dimensions.length === 1 ? a.dimensions[0] : null;
    const K = a.null.kModes.modes;
    const expected =
      one === null
        ? undefined
        : [
            { label: `chance, one mode (d = ${one})`, counts: nullCounts(a.summary, one) },
            ...(K > 1 ? [{ label: `chance, max of ${K} independent modes`, counts: nullCounts(a.summary, one, K) }] : []),
          ];
    out.push({
      name: 'alignment',
      svg: histogramFigure(
        [{ title: K > 1 ? `stiff cost mode vs ${K} softest physical modes` : 'stiff cost mode vs softest physical mode', summary: a.summary, xLabel: 'alignment |cos| (dimensionless)', expected }],
        {
          title: 'Stiff-mode/soft-mode alignment against chance',
          context,
          height: 330,
          notes: [
            `${a.aboveP95.k}/${a.aboveP95.n} members above the ${K > 1 ? `${K}-mode ` : ''}null's 95th percentile (at most 5 % by chance; binomial p = ${formatNumber(a.aboveP95.pValue, 2)})`,
            ...(one === null ? [`members span d = ${a.dimensions[0]}..${a.dimensions[a.dimensions.length - 1]} edges: no single null curve drawn`] : []),
          ],
        },
      ),
    });
  }
  const b = st.boundary;
  if (b && topology) {
    out.push({
      name: 'boundary-frequency',
      svg: networkFigure(topology.positions, topology.edgeA, topology.edgeB, {
        title: 'Ensemble-averaged boundary frequency f_e',
        context,
        edgeValues: b.mean,
        edgeLabel: 'mean boundary frequency f_e (dimensionless)',
        nodeRoles: topology.roles,
        explanation: `The mean over ${b.members} members of each edge's f_e (the sum over mode counts N_m of n_e(N_m) / sqrt(N_m), n_e = 1 on a region boundary of the lowest N_m localised soft modes); per-edge 95 % bootstrap intervals (${b.resamples} resamples) are in --json.`,
      }),
    });
  }
  return out;
}
