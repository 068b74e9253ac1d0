/**
 * The edge heat map drawn on the network's layout, as a character grid (pure; EdgesPanel colours and prints it).
 *
 * Nodes are placed on a lattice of cell columns and rows by their positions (nodeGrid: a lattice stays a lattice),
 * `dx` characters and `dy` lines apart, and labelled with their index. Each edge is a line of box-drawing characters
 * between its two nodes (─ │ ╱ ╲, ┼ and ╳ where two cross) with one digit in its middle: the setting's place in its
 * range in tenths, 0 (low) to 9 (high), so that the map reads without colour; the panel colours the whole edge on
 * the heat scale too. An edge whose straight line would run over another node is drawn as two short stubs instead:
 * pointing outwards when its nodes sit on opposite borders of a lattice row or column (the wrap-around edges of a
 * periodic lattice such as penn-gen2: a stub leaves one border and comes back at the other), else pointing at each
 * other. The spacing is the widest of {@link SPACINGS} that fits the width and height given; a layout that does not
 * fit at its natural size (one cell column per distinct x, one row per distinct y) is squeezed into the cells there
 * are room for.
 */
import { heatFraction } from './heatColor.js';
import { nodeGrid } from './VoltagesPanel.js';

/** One character of the map: the character, and the edge it belongs to (-1: none, e.g. a node label or blank). */
export interface MapCell {
  ch: string;
  edge: number;
}

export interface EdgeMap {
  /** rows x columns of cells. */
  cells: MapCell[][];
  width: number;
  height: number;
  /** Edges drawn as stubs (their line would cross a node): wrap-around or long edges. */
  stubs: number;
}

/** Characters between node columns and lines between node rows, widest first (dx counts the node label too). */
export const SPACINGS: readonly { gap: number; dy: number }[] = [
  { gap: 5, dy: 4 },
  { gap: 5, dy: 2 },
  { gap: 3, dy: 2 },
];

/** The digit of a setting `s` in [lo, hi]: its tenth of the range, 0..9 (NaN: `?`). */
export function settingDigit(s: number, lo: number, hi: number): string {
  if (!Number.isFinite(s)) return '?';
  return String(Math.min(9, Math.floor(heatFraction(s, lo, hi) * 10)));
}

export interface EdgeMapInput {
  nodes: number;
  /** x, y interleaved (y down), or null: nodes by index in a near-square grid. */
  positions: Float64Array | null;
  edgeA: Int32Array;
  edgeB: Int32Array;
  /** Settings per edge, or null (drawn as `·`). */
  settings: Float64Array | null;
  range: [number, number];
}

interface Geometry {
  cols: number;
  rows: number;
  cell: Int32Array;
  /** Per edge: 'line', or stubs 'out' / 'in'. */
  kind: ('line' | 'out' | 'in')[];
  hWrap: boolean;
  vWrap: boolean;
}

/** Grid placement and the way each edge is drawn; null when the nodes do not fit a grid of maxCols x maxRows. */
function geometry(m: EdgeMapInput, maxCols: number, maxRows: number): Geometry | null {
  const g = nodeGrid(m.nodes, m.positions, maxCols, maxRows);
  if (!g) return null;
  const at = new Int32Array(g.cols * g.rows).fill(-1);
  for (let i = 0; i < m.nodes; i++) at[g.cell[2 * i + 1] * g.cols + g.cell[2 * i]] = i;
  const kind: Geometry['kind'] = [];
  let hWrap = false;
  let vWrap = false;
  for (let e = 0; e < m.edgeA.length; e++) {
    const a = m.edgeA[e];
    const b = m.edgeB[e];
    const [ca, ra, cb, rb] = [g.cell[2 * a], g.cell[2 * a + 1], g.cell[2 * b], g.cell[2 * b + 1]];
    // does the segment pass over another node's cell (collinear and strictly between, in grid units)?
    let blocked = false;
    const steps = Math.max(Math.abs(cb - ca), Math.abs(rb - ra));
    for (let k = 1; k < steps && !blocked; k++) {
      const c = ca + ((cb - ca) * k) / steps;
      const r = ra + ((rb - ra) * k) / steps;
      if (Number.isInteger(c) && Number.isInteger(r) && at[r * g.cols + c] >= 0) blocked = true;
    }
    if (!blocked) kind.push('line');
    else if (ra === rb && Math.min(ca, cb) === 0 && Math.max(ca, cb) === g.cols - 1) {
      kind.push('out');
      hWrap = true;
    } else if (ca === cb && Math.min(ra, rb) === 0 && Math.max(ra, rb) === g.rows - 1) {
      kind.push('out');
      vWrap = true;
    } else kind.push('in');
  }
  return { cols: g.cols, rows: g.rows, cell: g.cell, kind, hWrap, vWrap };
}

/** The size of the map at a spacing. */
function sizeAt(geo: Geometry, label: number, sp: { gap: number; dy: number }): { width: number; height: number; mx: number; my: number } {
  const mx = geo.hWrap ? 2 : 0;
  const my = geo.vWrap ? 1 : 0;
  return { width: 2 * mx + (geo.cols - 1) * (label + sp.gap) + label, height: 2 * my + (geo.rows - 1) * sp.dy + 1, mx, my };
}

function lineChar(dx: number, dy: number): string {
  // characters are about twice as tall as wide: compare the slope in those units
  const ax = Math.abs(dx);
  const ay = Math.abs(2 * dy);
  if (ay <= ax * 0.4) return '─';
  if (ax <= ay * 0.4) return '│';
  return (dx > 0) === (dy > 0) ? '╲' : '╱';
}

function crossing(old: string, ch: string): string {
  if ((old === '─' && ch === '│') || (old === '│' && ch === '─')) return '┼';
  if ((old === '╱' && ch === '╲') || (old === '╲' && ch === '╱')) return '╳';
  return ch;
}

const DIGITS = /[0-9?·]/;

/** The map in at most `width` x `height` characters, or null when it does not fit (pure). */
export function edgeMap(m: EdgeMapInput, width: number, height: number): EdgeMap | null {
  if (m.nodes < 1 || width < 1 || height < 1) return null;
  const label = String(Math.max(0, m.nodes - 1)).length;
  // the layout at its natural size (one cell per distinct coordinate) first: a lattice stays a lattice. Only when
  // that does not fit (e.g. a spectral layout, whose coordinates are all distinct), the grid the space allows, at the
  // tightest spacing: nodes move to the nearest free cell, and edges over other nodes become stubs
  let geo: Geometry | null = null;
  let chosen: { gap: number; dy: number } | null = null;
  const tight = SPACINGS[SPACINGS.length - 1];
  const squeezed = { cols: Math.floor((width - label) / (label + tight.gap)) + 1, rows: Math.floor((height - 1) / tight.dy) + 1 };
  for (const [maxCols, maxRows] of [
    [m.nodes, m.nodes],
    [squeezed.cols, squeezed.rows],
  ]) {
    const natural = geo === null;
    const g = geometry(m, maxCols, maxRows);
    // squeezed only from a sparse natural grid (at least 2 cells per node, e.g. a spectral layout); a lattice (one
    // node per cell) or nodes laid out by index would only be scrambled
    if (!natural && (!geo || geo.cols * geo.rows < 2 * m.nodes)) break;
    geo = g;
    if (!geo) continue;
    for (const sp of SPACINGS) {
      const s = sizeAt(geo, label, sp);
      if (s.width <= width && s.height <= height) {
        chosen = sp;
        break;
      }
    }
    if (chosen) break;
  }
  if (!geo || !chosen) return null;
  const { width: W, height: H, mx, my } = sizeAt(geo, label, chosen);
  const dx = label + chosen.gap;
  const cells: MapCell[][] = Array.from({ length: H }, () => Array.from({ length: W }, () => ({ ch: ' ', edge: -1 })));
  const nodeX = (i: number): number => mx + geo.cell[2 * i] * dx;
  const nodeY = (i: number): number => my + geo.cell[2 * i + 1] * chosen.dy;
  // the label cells, which no edge draws over
  const isLabel = new Uint8Array(W * H);
  for (let i = 0; i < m.nodes; i++) for (let k = 0; k < label; k++) isLabel[nodeY(i) * W + nodeX(i) + k] = 1;
  const put = (x: number, y: number, ch: string, e: number): void => {
    if (x < 0 || y < 0 || x >= W || y >= H || isLabel[y * W + x]) return;
    const c = cells[y][x];
    if (DIGITS.test(c.ch) && !DIGITS.test(ch)) return; // a digit is never drawn over by another edge's line
    cells[y][x] = { ch: c.edge >= 0 && c.edge !== e && !DIGITS.test(ch) ? crossing(c.ch, ch) : ch, edge: e };
  };
  /** Put the digit at the first free (non-digit) point of `pts` from index `k` outwards. */
  const putDigit = (pts: [number, number][], k: number, d: string, e: number): void => {
    for (let off = 0; off < pts.length; off++) {
      for (const j of off === 0 ? [k] : [k + off, k - off]) {
        if (j < 0 || j >= pts.length) continue;
        const [x, y] = pts[j];
        if (!DIGITS.test(cells[y][x].ch)) {
          cells[y][x] = { ch: d, edge: e };
          return;
        }
      }
    }
  };
  let stubs = 0;
  const [lo, hi] = m.range;
  for (let e = 0; e < m.edgeA.length; e++) {
    const a = m.edgeA[e];
    const b = m.edgeB[e];
    const d = m.settings ? settingDigit(m.settings[e], lo, hi) : '·';
    const kind = geo.kind[e];
    // anchors: the last character of each label
    const [x0, y0, x1, y1] = [nodeX(a) + label - 1, nodeY(a), nodeX(b) + label - 1, nodeY(b)];
    if (kind === 'out') {
      stubs++;
      for (const [n, other] of [
        [a, b],
        [b, a],
      ]) {
        const horizontal = geo.cell[2 * n + 1] === geo.cell[2 * other + 1];
        if (horizontal) {
          const left = geo.cell[2 * n] < geo.cell[2 * other];
          const x = left ? nodeX(n) - 1 : nodeX(n) + label;
          put(x, nodeY(n), '─', e);
          put(left ? x - 1 : x + 1, nodeY(n), d, e);
        } else {
          const up = geo.cell[2 * n + 1] < geo.cell[2 * other + 1];
          put(nodeX(n) + label - 1, up ? nodeY(n) - 1 : nodeY(n) + 1, d, e);
        }
      }
      continue;
    }
    // the straight line from anchor to anchor, one point per column or per line (whichever is more), labels left out
    const n = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0));
    const steep = Math.abs(2 * (y1 - y0)) > Math.abs(x1 - x0) * 0.4 && y1 !== y0;
    const count = steep ? Math.abs(y1 - y0) : n;
    const pts: [number, number][] = [];
    for (let k = 1; k < count; k++) {
      const x = Math.round(x0 + ((x1 - x0) * k) / count);
      const y = Math.round(y0 + ((y1 - y0) * k) / count);
      if (!isLabel[y * W + x]) pts.push([x, y]);
    }
    if (pts.length === 0) continue;
    const ch = lineChar(x1 - x0, y1 - y0);
    if (kind === 'in') {
      stubs++;
      const ends = pts.length <= 4 ? pts : [pts[0], pts[1], pts[pts.length - 2], pts[pts.length - 1]];
      for (const [x, y] of ends) put(x, y, ch, e);
      if (pts.length > 4) {
        putDigit(pts, 1, d, e);
        putDigit(pts, pts.length - 2, d, e);
      } else putDigit(pts, Math.floor((pts.length - 1) / 2), d, e);
      continue;
    }
    for (const [x, y] of pts) put(x, y, ch, e);
    putDigit(pts, Math.floor((pts.length - 1) / 2), d, e);
  }
  for (let i = 0; i < m.nodes; i++) {
    const s = String(i).padStart(label);
    for (let k = 0; k < label; k++) cells[nodeY(i)][nodeX(i) + k] = { ch: s[k], edge: -1 };
  }
  return { cells, width: W, height: H, stubs };
}
