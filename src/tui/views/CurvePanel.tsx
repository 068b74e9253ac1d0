/**
 * The learning-curve panel: the per-step cost and the train and test MSE of the evaluations against the step, on a
 * log y axis, drawn in braille characters (2 x 4 dots per character) sized to the panel, with the latest values as
 * numbers on the last line. Where series cross one character, the later drawn one (test over train over cost) gives
 * it its colour.
 */
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import type { CurveState } from '../state/types.js';

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

/** A plotted grid of braille characters: text per row and the colour of each character (null: empty). */
export interface BraillePlot {
  rows: string[];
  colors: (string | null)[][];
  /** log10 of the y range covered, bottom and top. */
  logLo: number;
  logHi: number;
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
export function braillePlot(series: PlotSeries[], cols: number, rows: number): BraillePlot | null {
  if (cols < 1 || rows < 1) return null;
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (const s of series)
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
  const out: BraillePlot = { rows: [], colors: [], logLo: y0, logHi: y1 };
  for (let r = 0; r < rows; r++) {
    let text = '';
    const rowColors: (string | null)[] = [];
    for (let c = 0; c < cols; c++) {
      const b = bits[r * cols + c];
      text += b ? String.fromCharCode(0x2800 + b) : ' ';
      rowColors.push(b ? colors[r * cols + c] : null);
    }
    out.rows.push(text);
    out.colors.push(rowColors);
  }
  return out;
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
      <Text color={SERIES_COLORS.cost}>⠤ cost</Text> <Text color={SERIES_COLORS.train}>⠤ train MSE</Text>{' '}
      <Text color={SERIES_COLORS.test}>⠤ test MSE</Text>
    </Text>
  );
  const lines: ReactNode[] = [head];
  const plotRows = h - 2;
  if (plotRows >= 2) {
    const labelW = 8;
    const series: PlotSeries[] = [
      { xs: curve.steps, ys: curve.cost, color: SERIES_COLORS.cost },
      { xs: curve.evals.map((e) => e.step), ys: curve.evals.map((e) => e.trainMse), color: SERIES_COLORS.train },
      { xs: curve.evals.map((e) => e.step), ys: curve.evals.map((e) => e.testMse), color: SERIES_COLORS.test },
    ];
    const plot = braillePlot(series, Math.max(1, width - labelW - 1), plotRows);
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
