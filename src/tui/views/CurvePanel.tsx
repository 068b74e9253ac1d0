/**
 * The learning-curve panel: the per-step cost and the train and test MSE of the evaluations against the step, on a
 * log y axis (V²) and a step axis with labelled ticks, sized to the panel, with the latest values as numbers on the
 * last line.
 *
 * The per-example cost is noisy and fills the plot, so it is the background: grey braille dots (2 x 4 per
 * character). The MSE curves are drawn over it, last, as whole characters of their own — `o` train, `x` test, `*`
 * where both fall in one character — one per column, interpolated between evaluations, so that they are never
 * hidden in the cost's dots and read without colour.
 */
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import type { CurveState } from '../state/types.js';
import { formatSig } from '../../formatNumber.js';

export interface CurvePanelProps {
  curve: CurveState;
  width: number;
  /** Lines available; the panel never draws more. The plot takes all but the header and the values line. */
  height: number;
}

/** A series to plot: points (x, y) with y > 0 (others are gaps). */
export interface PlotSeries {
  xs: readonly number[];
  ys: readonly number[];
  color: string;
}

/** A series drawn over the braille dots as whole characters, one per column (see the file comment). */
export interface PlotMarks {
  xs: readonly number[];
  ys: readonly number[];
  ch: string;
  color: string;
}

/** A plotted grid of braille characters: text per row and the colour of each character (null: empty). */
export interface BraillePlot {
  rows: string[];
  colors: (string | null)[][];
  /** log10 of the y range covered, bottom and top. */
  logLo: number;
  logHi: number;
  /** x (step) range covered, left and right edges of the plot. */
  x0: number;
  x1: number;
  /** The character column of x (0 .. cols - 1). */
  column(x: number): number;
}

const SERIES_COLORS = { cost: 'gray', train: 'green', test: 'yellow' } as const;

/** Bit of the braille dot at (dx in 0..1, dy in 0..3) of a character. */
const DOT = [
  [0x01, 0x02, 0x04, 0x40],
  [0x08, 0x10, 0x20, 0x80],
];

/** A number in short scientific notation, e.g. `3.41e-4`. */
export function formatSci(v: number, digits = 2): string {
  if (!Number.isFinite(v)) return '-';
  return v.toExponential(digits).replace('e+', 'e');
}

/**
 * Plot `series` (log y) into `cols` x `rows` braille characters (pure). x spans the series' steps, y their positive
 * values; consecutive points are joined by lines. Null when there is nothing to plot.
 */
export function braillePlot(series: PlotSeries[], cols: number, rows: number, marks: PlotMarks[] = []): BraillePlot | null {
  if (cols < 1 || rows < 1) return null;
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (const s of [...series, ...marks])
    for (let i = 0; i < s.xs.length; i++) {
      const y = s.ys[i];
      if (!(y > 0) || !Number.isFinite(y)) continue;
      x0 = Math.min(x0, s.xs[i]);
      x1 = Math.max(x1, s.xs[i]);
      y0 = Math.min(y0, Math.log10(y));
      y1 = Math.max(y1, Math.log10(y));
    }
  if (!(x0 <= x1)) return null;
  if (y1 - y0 < 1e-9) {
    y0 -= 0.5;
    y1 += 0.5;
  }
  const pw = cols * 2;
  const ph = rows * 4;
  const bits = new Uint8Array(cols * rows);
  const colors: (string | null)[] = new Array<string | null>(cols * rows).fill(null);
  const px = (x: number): number => (x1 > x0 ? Math.round(((x - x0) / (x1 - x0)) * (pw - 1)) : Math.floor(pw / 2));
  const py = (y: number): number => Math.round(((y1 - Math.log10(y)) / (y1 - y0)) * (ph - 1));
  const dot = (x: number, y: number, color: string): void => {
    const c = x >> 1;
    const r = y >> 2;
    bits[r * cols + c] |= DOT[x & 1][y & 3];
    colors[r * cols + c] = color;
  };
  const line = (ax: number, ay: number, bx: number, by: number, color: string): void => {
    const n = Math.max(Math.abs(bx - ax), Math.abs(by - ay));
    for (let k = 0; k <= n; k++) {
      const t = n === 0 ? 0 : k / n;
      dot(Math.round(ax + (bx - ax) * t), Math.round(ay + (by - ay) * t), color);
    }
  };
  for (const s of series) {
    let prev: [number, number] | null = null;
    for (let i = 0; i < s.xs.length; i++) {
      const y = s.ys[i];
      if (!(y > 0) || !Number.isFinite(y)) {
        prev = null;
        continue;
      }
      const p: [number, number] = [px(s.xs[i]), py(y)];
      if (prev) line(prev[0], prev[1], p[0], p[1], s.color);
      else dot(p[0], p[1], s.color);
      prev = p;
    }
  }
  // the marks: per column, the series' value there (interpolated in log y between its points; none outside them)
  const glyph: (string | null)[] = new Array<string | null>(cols * rows).fill(null);
  const glyphColor: (string | null)[] = new Array<string | null>(cols * rows).fill(null);
  const column = (x: number): number => px(x) >> 1;
  for (const m of marks) {
    const pts: [number, number][] = [];
    for (let i = 0; i < m.xs.length; i++) if (m.ys[i] > 0 && Number.isFinite(m.ys[i])) pts.push([m.xs[i], Math.log10(m.ys[i])]);
    const mark = (c: number, logY: number): void => {
      const r = Math.min(rows - 1, Math.max(0, Math.round(((y1 - logY) / (y1 - y0)) * (ph - 1)) >> 2));
      const k = r * cols + c;
      glyph[k] = glyph[k] !== null && glyph[k] !== m.ch ? BOTH : m.ch;
      glyphColor[k] = glyph[k] === BOTH ? null : m.color;
    };
    if (pts.length === 1) mark(column(pts[0][0]), pts[0][1]);
    for (let i = 1; i < pts.length; i++) {
      const [xa, la] = pts[i - 1];
      const [xb, lb] = pts[i];
      const ca = column(xa);
      const cb = column(xb);
      for (let c = ca; c <= cb; c++) {
        if (c === cb && i < pts.length - 1) continue; // the next segment draws its start
        const t = cb > ca ? (c - ca) / (cb - ca) : 1;
        mark(c, la + (lb - la) * t);
      }
    }
  }
  const out: BraillePlot = { rows: [], colors: [], logLo: y0, logHi: y1, x0, x1, column };
  for (let r = 0; r < rows; r++) {
    let text = '';
    const rowColors: (string | null)[] = [];
    for (let c = 0; c < cols; c++) {
      const k = r * cols + c;
      const b = bits[k];
      if (glyph[k] !== null) {
        text += glyph[k];
        rowColors.push(glyphColor[k]);
      } else {
        text += b ? String.fromCharCode(0x2800 + b) : ' ';
        rowColors.push(b ? colors[k] : null);
      }
    }
    out.rows.push(text);
    out.colors.push(rowColors);
  }
  return out;
}

/** Character where the train and test marks fall in one character. */
export const BOTH = '*';

/** A step count for a tick label: plain up to 9999, then `12k`, `1.5M` or the exponent form. */
export function formatStep(x: number): string {
  if (Math.abs(x) < 1e4) return String(Math.round(x));
  if (Math.abs(x) < 1e6 && x % 1000 === 0) return `${x / 1000}k`;
  return formatSig(x, 3);
}

/** Tick values for [x0, x1]: multiples of 1, 2 or 5 x 10^k (at least 1: steps are whole), at most `max` of them. */
export function stepTicks(x0: number, x1: number, max: number): number[] {
  if (!(x1 > x0)) return [x0];
  const raw = (x1 - x0) / Math.max(1, max);
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p);
  const out: number[] = [];
  for (let t = Math.ceil(x0 / step) * step; t <= x1 + 1e-9; t += step) out.push(t);
  return out;
}

/**
 * The step axis under a plot of `cols` characters (pure): the axis line, with `┬` at each tick, and the tick labels
 * centred under their ticks (those that would overlap the previous one or run out of the plot are left out), then
 * `step` at the end where there is room. Each line is `cols` + 1 characters (the corner included).
 */
export function stepAxis(plot: Pick<BraillePlot, 'x0' | 'x1' | 'column'>, cols: number): { axis: string; labels: string } {
  const axis = ['└', ...'─'.repeat(cols)];
  const labels = new Array<string>(cols + 1).fill(' ');
  let free = 0;
  for (const t of stepTicks(plot.x0, plot.x1, Math.max(1, Math.floor(cols / 8)))) {
    const c = 1 + plot.column(t);
    if (c < 1 || c > cols) continue;
    axis[c] = '┬';
    const text = formatStep(t);
    const start = Math.max(0, Math.min(cols + 1 - text.length, c - Math.floor((text.length - 1) / 2)));
    if (start < free) continue;
    for (let k = 0; k < text.length; k++) labels[start + k] = text[k];
    free = start + text.length + 1;
  }
  const name = ' step';
  let line = labels.join('');
  if (line.trimEnd().length + name.length <= cols + 1) line = line.trimEnd().padEnd(cols + 1 - name.length) + name;
  return { axis: axis.join(''), labels: line };
}

function PlotRow({ text, colors }: { text: string; colors: (string | null)[] }): ReactNode {
  const runs: ReactNode[] = [];
  let k = 0;
  while (k < text.length) {
    let j = k;
    while (j < text.length && colors[j] === colors[k]) j++;
    runs.push(
      <Text key={k} color={colors[k] ?? undefined}>
        {text.slice(k, j)}
      </Text>,
    );
    k = j;
  }
  return <>{runs}</>;
}

function latest(curve: CurveState): ReactNode {
  const cost = curve.cost.length ? curve.cost[curve.cost.length - 1] : NaN;
  const ev = curve.evals.length ? curve.evals[curve.evals.length - 1] : null;
  const step = curve.steps.length ? curve.steps[curve.steps.length - 1] : null;
  return (
    <Text key="latest" wrap="truncate-end">
      <Text color={SERIES_COLORS.cost}>cost</Text> {formatSci(cost)}
      {'  '}
      <Text color={SERIES_COLORS.train}>train</Text> {ev ? formatSci(ev.trainMse) : '-'}
      {'  '}
      <Text color={SERIES_COLORS.test}>test</Text> {ev ? formatSci(ev.testMse) : '-'}
      {step !== null ? `  step ${step}` : ''}
      {ev ? `  (eval at ${ev.step})` : ''}
    </Text>
  );
}

/** The learning-curve panel. */
export function CurvePanel({ curve, width, height }: CurvePanelProps): ReactNode {
  const h = Math.max(0, height);
  const head = (
    <Text key="head" wrap="truncate-end">
      <Text bold color="cyan">
        Learning curve
      </Text>{' '}
      (V², log y){'  '}
      <Text color={SERIES_COLORS.cost}>⠤ cost per example</Text> <Text color={SERIES_COLORS.train}>o train MSE</Text>{' '}
      <Text color={SERIES_COLORS.test}>x test MSE</Text>
    </Text>
  );
  const lines: ReactNode[] = [head];
  // the step axis takes two lines, when the plot keeps at least two
  const withAxis = h - 4 >= 2;
  const plotRows = withAxis ? h - 4 : h - 2;
  if (plotRows >= 2) {
    const labelW = 8;
    const series: PlotSeries[] = [{ xs: curve.steps, ys: curve.cost, color: SERIES_COLORS.cost }];
    const evalSteps = curve.evals.map((e) => e.step);
    const marks: PlotMarks[] = [
      { xs: evalSteps, ys: curve.evals.map((e) => e.trainMse), ch: 'o', color: SERIES_COLORS.train },
      { xs: evalSteps, ys: curve.evals.map((e) => e.testMse), ch: 'x', color: SERIES_COLORS.test },
    ];
    const cols = Math.max(1, width - labelW - 1);
    const plot = braillePlot(series, cols, plotRows, marks);
    if (!plot) {
      lines.push(
        <Text key="empty" dimColor wrap="truncate-end">
          no steps yet
        </Text>,
      );
    } else {
      for (let r = 0; r < plotRows; r++) {
        const label =
          r === 0 ? formatSci(10 ** plot.logHi, 1) : r === plotRows - 1 ? formatSci(10 ** plot.logLo, 1) : '';
        lines.push(
          <Text key={`p${r}`} wrap="truncate-end">
            <Text dimColor>
              {label.padStart(labelW)}
              {label ? '┤' : '│'}
            </Text>
            <PlotRow text={plot.rows[r]} colors={plot.colors[r]} />
          </Text>,
        );
      }
      if (withAxis) {
        const ax = stepAxis(plot, cols);
        lines.push(
          <Text key="axis" dimColor wrap="truncate-end">
            {' '.repeat(labelW)}
            {ax.axis}
          </Text>,
          <Text key="ticks" dimColor wrap="truncate-end">
            {' '.repeat(labelW)}
            {ax.labels}
          </Text>,
        );
      }
    }
  }
  lines.push(latest(curve));
  // the latest values matter more than the header when there are only two lines or fewer
  const shown = h >= lines.length ? lines : h >= 2 ? [head, latest(curve)].slice(0, h) : [latest(curve)].slice(0, h);
  return (
    <Box flexDirection="column" width={width} height={h} overflow="hidden">
      {shown}
    </Box>
  );
}
