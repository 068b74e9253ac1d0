/**
 * The voltages panel: every node's free-state voltage drawn where the node sits in the network's layout, coloured
 * on the heat scale over the range of the readings, with sources, ground and targets marked by a letter in front
 * (S, G, T). When the clamped state is known and there is room, each node's clamped voltage is shown dim on the line
 * below its free one.
 *
 * The layout is a character grid of cells, each {@link CELL_WIDTH} wide: node positions are mapped onto as many
 * cell columns and rows as the layout has distinct coordinates (a lattice stays a lattice), limited by the panel's
 * size; nodes that fall on an occupied cell move to the nearest free one. Without positions, nodes are laid out by
 * index in a near-square grid. Networks larger than {@link SUMMARY_ABOVE} nodes, or too large for the panel, are
 * summarised instead (min/mean/max, the targets' values).
 */
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import type { VoltagesState } from '../state/types.js';
import { heatColor } from './heatColor.js';

export interface VoltagesPanelProps {
  voltages: VoltagesState;
  width: number;
  /** Lines available; the panel never draws more. */
  height: number;
}

/** Characters per node cell: role letter, five for the value, one space. */
export const CELL_WIDTH = 7;

/** Above this many nodes, the panel shows a summary rather than every node. */
export const SUMMARY_ABOVE = 200;

/** Where each node goes: cell column and row of node i at cell[2i], cell[2i + 1], in a grid of cols x rows. */
export interface NodeGrid {
  cols: number;
  rows: number;
  cell: Int32Array;
}

function distinctCount(v: number[]): number {
  if (v.length === 0) return 0;
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  const tol = (hi - lo) * 1e-6;
  const s = [...v].sort((a, b) => a - b);
  let k = 1;
  for (let i = 1; i < s.length; i++) if (s[i] - s[i - 1] > tol) k++;
  return k;
}

/**
 * Place `n` nodes on a grid of at most `maxCols` x `maxRows` cells (pure): by position when `positions` (x, y
 * interleaved; y grows downwards) is given, else by index. Null when they do not fit.
 */
export function nodeGrid(n: number, positions: Float64Array | null, maxCols: number, maxRows: number): NodeGrid | null {
  if (n <= 0 || maxCols < 1 || maxRows < 1 || n > maxCols * maxRows) return null;
  const cell = new Int32Array(2 * n);
  if (!positions || positions.length < 2 * n) {
    let cols = Math.min(maxCols, Math.max(1, Math.ceil(Math.sqrt(n))));
    if (Math.ceil(n / cols) > maxRows) cols = Math.min(maxCols, Math.ceil(n / maxRows));
    const rows = Math.ceil(n / cols);
    if (rows > maxRows) return null;
    for (let i = 0; i < n; i++) {
      cell[2 * i] = i % cols;
      cell[2 * i + 1] = Math.floor(i / cols);
    }
    return { cols, rows, cell };
  }
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    xs.push(positions[2 * i]);
    ys.push(positions[2 * i + 1]);
  }
  let cols = Math.min(maxCols, distinctCount(xs));
  let rows = Math.min(maxRows, distinctCount(ys), Math.max(1, 2 * Math.ceil(n / cols)));
  while (cols * rows < n) {
    if (rows < maxRows && (rows <= cols || cols >= maxCols)) rows++;
    else if (cols < maxCols) cols++;
    else return null;
  }
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const taken = new Uint8Array(cols * rows);
  for (let i = 0; i < n; i++) {
    const c = cols === 1 || !(x1 > x0) ? 0 : Math.round(((xs[i] - x0) / (x1 - x0)) * (cols - 1));
    const r = rows === 1 || !(y1 > y0) ? 0 : Math.round(((ys[i] - y0) / (y1 - y0)) * (rows - 1));
    let best = r * cols + c;
    if (taken[best]) {
      // nearest free cell, preferring the same row (rows are further apart than columns on screen)
      let bestCost = Infinity;
      for (let k = 0; k < taken.length; k++) {
        if (taken[k]) continue;
        const dc = (k % cols) - c;
        const dr = Math.floor(k / cols) - r;
        const cost = dc * dc + 4 * dr * dr;
        if (cost < bestCost) {
          bestCost = cost;
          best = k;
        }
      }
    }
    taken[best] = 1;
    cell[2 * i] = best % cols;
    cell[2 * i + 1] = Math.floor(best / cols);
  }
  return { cols, rows, cell };
}

/** A voltage in at most five characters (e.g. `0.42`, `-1.25`). */
export function formatVolts(v: number): string {
  if (!Number.isFinite(v)) return '-';
  const s = v.toFixed(2);
  if (s.length <= 5) return s;
  const t = v.toFixed(0);
  return t.length <= 5 ? t : v.toExponential(0);
}

function nodeCount(v: VoltagesState): number {
  if (v.free) return v.free.length;
  if (v.clamped) return v.clamped.length;
  if (v.positions) return Math.floor(v.positions.length / 2);
  return 0;
}

function finiteRange(arrays: (Float64Array | null)[]): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const a of arrays)
    if (a)
      for (const x of a)
        if (Number.isFinite(x)) {
          lo = Math.min(lo, x);
          hi = Math.max(hi, x);
        }
  return lo <= hi ? [lo, hi] : null;
}

type Role = 'S' | 'G' | 'T' | ' ';

function roles(v: VoltagesState, n: number): Role[] {
  const r: Role[] = new Array<Role>(n).fill(' ');
  for (const i of v.targets) if (i < n) r[i] = 'T';
  for (const i of v.ground) if (i < n) r[i] = 'G';
  for (const i of v.sources) if (i < n) r[i] = 'S';
  return r;
}

const ROLE_COLOR: Record<Role, string | undefined> = { S: 'magenta', G: 'gray', T: 'white', ' ': undefined };

interface Layout {
  grid: NodeGrid;
  /** Lines per grid row: 2 when the clamped voltages are shown below the free ones. */
  lines: 1 | 2;
}

/**
 * How to draw the nodes in `height` lines: the layout at its natural size (as many cell rows as it has distinct
 * coordinates), with the clamped voltages below when they fit too; else squeezed into fewer rows; else null
 * (summary).
 */
function layout(v: VoltagesState, width: number, height: number): Layout | null {
  const n = nodeCount(v);
  if (n === 0 || n > SUMMARY_ABOVE) return null;
  const maxCols = Math.floor(width / CELL_WIDTH);
  const body = height - 1;
  const natural = nodeGrid(n, v.positions, maxCols, n);
  if (natural && v.clamped && 2 * natural.rows <= body) return { grid: natural, lines: 2 };
  if (natural && natural.rows <= body) return { grid: natural, lines: 1 };
  const g = nodeGrid(n, v.positions, maxCols, body);
  return g ? { grid: g, lines: 1 } : null;
}

function summaryLines(v: VoltagesState): number {
  return 2 + (v.clamped ? 1 : 0) + (v.targets.length ? 1 : 0);
}

/**
 * Lines the panel would like at `width`: `full`, its header and the whole layout (the clamped voltages included) or
 * the summary; `compact`, without the clamped voltages.
 */
export function voltagesPanelHeight(v: VoltagesState, width: number): { full: number; compact: number } {
  const n = nodeCount(v);
  if (n === 0) return { full: 2, compact: 2 };
  const l = layout(v, width, 1 + 2 * n);
  if (!l) return { full: 1 + summaryLines(v), compact: 1 + summaryLines(v) };
  return { full: 1 + l.grid.rows * l.lines, compact: 1 + l.grid.rows };
}

function stats(a: Float64Array): string {
  let lo = Infinity;
  let hi = -Infinity;
  let sum = 0;
  let k = 0;
  for (const x of a)
    if (Number.isFinite(x)) {
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
      sum += x;
      k++;
    }
  if (k === 0) return 'no readings';
  return `min ${formatVolts(lo)}  mean ${formatVolts(sum / k)}  max ${formatVolts(hi)}`;
}

/** The summary's lines (below the header). */
function summaryRows(v: VoltagesState, n: number, width: number): ReactNode[] {
  const out: ReactNode[] = [];
  out.push(
    <Text key="free" wrap="truncate-end">
      {n} nodes  free {v.free ? stats(v.free) : 'not read yet'}
    </Text>,
  );
  if (v.clamped)
    out.push(
      <Text key="clamped" wrap="truncate-end" dimColor>
        {' '.repeat(String(n).length + 7)}clamped {stats(v.clamped)}
      </Text>,
    );
  if (v.targets.length) {
    const parts: string[] = [];
    let len = 'targets'.length;
    for (const t of v.targets) {
      const f = v.free?.[t];
      const c = v.clamped?.[t];
      const p = `${t}: ${f === undefined ? '-' : formatVolts(f)}${c === undefined ? '' : `/${formatVolts(c)}`}`;
      if (len + 2 + p.length > width) {
        parts.push('…');
        break;
      }
      parts.push(p);
      len += 2 + p.length;
    }
    out.push(
      <Text key="targets" wrap="truncate-end">
        targets {parts.join('  ')}
      </Text>,
    );
  }
  return out;
}

/** The voltages panel. */
export function VoltagesPanel({ voltages: v, width, height }: VoltagesPanelProps): ReactNode {
  const h = Math.max(0, height);
  const n = nodeCount(v);
  const range = finiteRange([v.free, v.clamped]);
  const l = layout(v, width, h);
  const head = (
    <Text key="head" wrap="truncate-end">
      <Text bold color="cyan">
        Voltages
      </Text>
      {v.step !== null ? `  step ${v.step}` : ''}
      {range ? `  ${formatVolts(range[0])}…${formatVolts(range[1])} V` : ''}
      {l?.lines === 2 ? '  free, clamped dim below' : v.clamped && l ? '  (free; no room for clamped)' : ''}
      {n > 0 ? '  S source G ground T target' : ''}
    </Text>
  );
  const lines: ReactNode[] = [head];
  if (n === 0) {
    lines.push(
      <Text key="wait" dimColor wrap="truncate-end">
        no readings yet
      </Text>,
    );
  } else if (!l) {
    lines.push(...summaryRows(v, n, width));
  } else {
    const { grid, lines: per } = l;
    const at = new Int32Array(grid.cols * grid.rows).fill(-1);
    for (let i = 0; i < n; i++) at[grid.cell[2 * i + 1] * grid.cols + grid.cell[2 * i]] = i;
    const role = roles(v, n);
    const [lo, hi] = range ?? [0, 0];
    const cellOf = (i: number, a: Float64Array | null, marker: boolean): ReactNode => {
      const x = a?.[i];
      const value = formatVolts(x ?? NaN).padStart(5);
      return (
        <Text key={i}>
          <Text bold color={marker ? ROLE_COLOR[role[i]] : undefined}>
            {marker ? role[i] : ' '}
          </Text>
          <Text color={x !== undefined && Number.isFinite(x) ? heatColor(x, lo, hi) : undefined} dimColor={!marker}>
            {value}
          </Text>{' '}
        </Text>
      );
    };
    for (let r = 0; r < grid.rows; r++) {
      const row = (a: Float64Array | null, marker: boolean): ReactNode[] => {
        const cells: ReactNode[] = [];
        for (let c = 0; c < grid.cols; c++) {
          const i = at[r * grid.cols + c];
          cells.push(i < 0 ? <Text key={`e${c}`}>{' '.repeat(CELL_WIDTH)}</Text> : cellOf(i, a, marker));
        }
        return cells;
      };
      lines.push(
        <Text key={`f${r}`} wrap="truncate-end">
          {row(v.free, true)}
        </Text>,
      );
      if (per === 2)
        lines.push(
          <Text key={`c${r}`} wrap="truncate-end">
            {row(v.clamped, false)}
          </Text>,
        );
    }
  }
  return (
    <Box flexDirection="column" width={width} height={h} overflow="hidden">
      {lines.slice(0, h)}
    </Box>
  );
}
