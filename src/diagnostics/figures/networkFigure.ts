/**
 * A resistor network drawn at its node positions as a standalone SVG figure (`clln diagnose --svg DIR`): edges
 * and nodes optionally coloured by values (a mode's squared drops, conductances, f_e; a mode's amplitude), regions,
 * highlighted boundary edges, and the source, ground and target nodes. Pure.
 */
import { InvalidInputError, show } from '../../errors.js';
import {
  categorical,
  checkArrayLike,
  checkFlag,
  checkSize,
  checkText,
  colorbar,
  colourScale,
  COLORBAR_HEIGHT,
  COLUMN_WIDTH,
  element,
  formatCoordinate,
  legend,
  legendHeight,
  markerPath,
  noteBlock,
  svgDocument,
  textElement,
  TICK_FONT,
  titleBlock,
  wrapText,
  type FigureContext,
  type ColourScale,
  type ColourScaleKind,
  type LegendItem,
} from './svgDocument.js';

/** Options of {@link networkFigure}. */
export interface NetworkFigureOptions {
  /** Title above the drawing. Default: none (the document title is `network`). */
  title?: string;
  /** The network, task and run the figure shows, named under the title. */
  context?: FigureContext;
  /** Caption of the edge colour bar: the quantity and its unit, e.g. `conductance k (S)`. Default `edge value`. */
  edgeLabel?: string;
  /** Caption of the node colour bar: the quantity and its unit. Default `node value`. */
  nodeLabel?: string;
  /** Legend entry of the highlighted edges, e.g. `region boundary`. Default `highlighted`. */
  highlightLabel?: string;
  /** What the colours mean, in words (`<text class="explanation">` lines below the legend), e.g. a definition. */
  explanation?: string;
  /** A value per edge (length E) colouring it, e.g. a mode's squared drops, a conductance (S), f_e. NaN: grey. */
  edgeValues?: ArrayLike<number>;
  /** Colour map of the edge values: `sequential` on [min, max] (default) or `diverging`, symmetric about 0. */
  edgeScale?: 'sequential' | 'diverging';
  /** A value per node (length N) colouring it, e.g. a mode's amplitude. NaN: grey. */
  nodeValues?: ArrayLike<number>;
  /** Colour map of the node values (as `edgeScale`). Default `sequential`. */
  nodeScale?: 'sequential' | 'diverging';
  /**
   * Region index per node (length N; integers, -1 = none): categorical fill colour, or the ring colour when
   * `nodeValues` fill the node. Regions 0..11 appear in the legend when there are at most 12 of them.
   */
  nodeRegions?: ArrayLike<number>;
  /** Edge indices drawn again on top, thick and dark (e.g. region boundaries); duplicates drawn once. */
  highlightEdges?: ArrayLike<number>;
  /** Node indices marked with outlined shapes (sources: triangle, ground: square, targets: diamond) and a legend. */
  nodeRoles?: { sources?: ArrayLike<number>; ground?: ArrayLike<number>; targets?: ArrayLike<number> };
  /**
   * A displacement field: a vector per node (length 2N, x and y interleaved, in the positions' unit; a 3D field
   * projected on x, y), drawn as an arrow from each node. One factor scales every arrow, so that the longest is
   * `arrowLength` x the median edge length; its direction is the displacement's (y grows downwards, as the positions).
   * Nodes whose displacement is 0 (or below 1e-12 of the largest) get no arrow; non-finite ones neither (counted in
   * the note).
   */
  nodeArrows?: ArrayLike<number>;
  /** Legend entry of the arrows, e.g. `free-state displacement (length)`. Default `displacement`. */
  arrowLabel?: string;
  /** Length of the longest arrow, in median edge lengths (0.05..10). Default 0.8. */
  arrowLength?: number;
  /** Node numbers next to the nodes. Default true when N <= 64; never drawn above {@link NODE_MARKER_LIMIT} nodes. */
  labels?: boolean;
  /** Colour bars for the edge and node values. Default true when `edgeValues` or `nodeValues` is given. */
  colorbar?: boolean;
  /** Figure width in px, 200..20000. Default {@link COLUMN_WIDTH} (one journal column). */
  width?: number;
  /** Figure height in px, 200..20000. Default: what the drawing needs at the network's aspect ratio. */
  height?: number;
}

/** Above this many nodes, uncoloured node circles and labels are omitted (coloured nodes are still drawn). */
export const NODE_MARKER_LIMIT = 2000;
/** Above this many edges, edges are drawn as one `<path>` per colour (values quantised to 64 levels), not one `<line>` each. */
export const EDGE_ELEMENT_LIMIT = 4000;
/** An edge longer than this many times the median edge length is a wrap-around edge and drawn dashed. */
export const WRAP_FACTOR = 2.5;
/** Labels are on by default up to this many nodes. */
export const LABEL_LIMIT = 64;

const EDGE_GREY = '#8c8c8c';
const HIGHLIGHT = '#111111';
const ARROW = '#1a4fa0';
const ROLE_STYLE = {
  sources: { label: 'source', shape: 'triangle', colour: '#d62f2f' },
  ground: { label: 'ground', shape: 'square', colour: '#222222' },
  targets: { label: 'target', shape: 'diamond', colour: '#1f8a3b' },
} as const;

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi);
}

function checkIndices(values: unknown, limit: number, source: string, field: string, meaning: string): ArrayLike<number> {
  const n = checkArrayLike(values, source, field, meaning);
  const a = values as ArrayLike<number>;
  for (let i = 0; i < n; i++) {
    const v = a[i];
    if (!Number.isInteger(v) || v < 0 || v >= limit) {
      throw new InvalidInputError({ source, field: `${field}[${i}]` }, `${meaning} must be integers in [0, ${limit - 1}], got ${show(v)}`, `use indices below ${limit}`);
    }
  }
  return a;
}

function checkLength(values: unknown, expected: number, source: string, field: string, meaning: string, per: string): ArrayLike<number> {
  const n = checkArrayLike(values, source, field, meaning);
  if (n !== expected) {
    throw new InvalidInputError({ source, field }, `${meaning} must have one value per ${per} (${expected}), got ${n}`, `pass ${expected} values`);
  }
  return values as ArrayLike<number>;
}

function checkScale(value: unknown, source: string, field: string): ColourScaleKind {
  if (value === undefined) return 'sequential';
  if (value !== 'sequential' && value !== 'diverging') {
    throw new InvalidInputError({ source, field }, `must be 'sequential' or 'diverging', got ${show(value)}`, `set ${field} to 'sequential' or 'diverging'`);
  }
  return value;
}

/** The median of the finite values (0 when there is none). */
function median(values: Float64Array): number {
  const s = Float64Array.from(values.filter(Number.isFinite)).sort();
  if (s.length === 0) return 0;
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Draw a network. `positions` are the node positions (x, y) interleaved (length 2N, any unit), `edgeA`/`edgeB`
 * the edge endpoints (length E). Returns the SVG document text.
 *
 * Layout: the positions are fitted into the drawing area (figure minus title, colour bars, legend and note) with a
 * 12 px margin and equal scales on both axes, centred; y grows downwards, as on screen (a lattice's row 0 is at
 * the top). Node radius, edge width and label size follow the median edge length in px.
 *
 * Elements, in drawing order (each in its own group, so they can be counted):
 * - `<g class="edges">`: with E <= {@link EDGE_ELEMENT_LIMIT}, one `<line>` per edge in edge order (its `stroke`
 *   the value's colour when `edgeValues` are given, else grey from the group); above, one `<path>` per distinct
 *   colour and dash style, values quantised to 64 colour levels. An edge longer than {@link WRAP_FACTOR} x the
 *   median edge length (a periodic network's wrap-around edge) is dashed (`stroke-dasharray`).
 * - `<g class="highlight">`: one thick dark `<line>` per distinct highlighted edge, in the order given.
 * - `<g class="nodes">`: one `<circle>` per node, in node order; fill from `nodeValues`, else the region colour,
 *   else white. Above {@link NODE_MARKER_LIMIT} nodes only when `nodeValues` or `nodeRegions` are given
 *   (otherwise omitted, and said so in the note).
 * - `<g class="arrows">`: with `nodeArrows`, one `<path class="arrow" data-node="i">` per node with a nonzero
 *   displacement: `M x0 y0 L x1 y1` (the shaft, from the node along the scaled displacement) then the head's two strokes.
 * - `<g class="roles">`: one outlined `<path>` per role entry (class `source`, `ground` or `target`).
 * - `<g class="labels">`: one `<text class="label">` per node with its number.
 * - colour bars (`<g class="colorbar">`), the legend (`<g class="legend">`) and a note (`<text class="note">`)
 *   counting non-finite values (drawn grey) and omitted markers.
 *
 * Non-finite values: NaN edge/node values are drawn grey (`#bdbdbd`), +-Infinity at the ends of the
 * map; neither widens the colour range.
 *
 * @throws InvalidInputError naming the parameter when: positions are not an even-length array of finite numbers;
 *   edgeA and edgeB differ in length or hold node indices outside [0, N); edgeValues (length E), nodeValues or
 *   nodeRegions (length N) have the wrong length; a region is not an integer >= -1; a highlighted edge or a role
 *   node is out of range; an option has the wrong type.
 */
export function networkFigure(positions: Float64Array, edgeA: Int32Array, edgeB: Int32Array, opts: NetworkFigureOptions = {}): string {
  const source = 'networkFigure';
  // ---- validation
  const len2 = checkArrayLike(positions, source, 'positions', 'the node positions');
  if (len2 % 2 !== 0) {
    throw new InvalidInputError({ source, field: 'positions' }, `must hold x, y per node (an even length), got length ${len2}`, 'interleave the coordinates: x0, y0, x1, y1, ...');
  }
  const N = len2 / 2;
  for (let i = 0; i < len2; i++) {
    if (!Number.isFinite(positions[i])) {
      throw new InvalidInputError({ source, field: `positions[${i}]` }, `node positions must be finite numbers, got ${show(positions[i])}`, 'give every node a finite position');
    }
  }
  const E = checkArrayLike(edgeA, source, 'edgeA', 'the first edge endpoints');
  checkLength(edgeB, E, source, 'edgeB', 'the second edge endpoints', 'edge of edgeA');
  checkIndices(edgeA, N, source, 'edgeA', 'edge endpoints');
  checkIndices(edgeB, N, source, 'edgeB', 'edge endpoints');
  const edgeValues = opts.edgeValues === undefined ? undefined : checkLength(opts.edgeValues, E, source, 'edgeValues', 'the edge values', 'edge');
  const nodeValues = opts.nodeValues === undefined ? undefined : checkLength(opts.nodeValues, N, source, 'nodeValues', 'the node values', 'node');
  const regions = opts.nodeRegions === undefined ? undefined : checkLength(opts.nodeRegions, N, source, 'nodeRegions', 'the node regions', 'node');
  if (regions) {
    for (let i = 0; i < N; i++) {
      if (!Number.isInteger(regions[i]) || regions[i] < -1) {
        throw new InvalidInputError({ source, field: `nodeRegions[${i}]` }, `a region must be an integer >= 0, or -1 for none, got ${show(regions[i])}`, 'number the regions 0, 1, ...');
      }
    }
  }
  const arrows = opts.nodeArrows === undefined ? undefined : checkLength(opts.nodeArrows, 2 * N, source, 'nodeArrows', 'the node displacements (x, y interleaved)', 'node coordinate (2N)');
  const arrowLength = opts.arrowLength ?? 0.8;
  if (!(typeof arrowLength === 'number' && arrowLength >= 0.05 && arrowLength <= 10)) {
    throw new InvalidInputError({ source, field: 'arrowLength' }, `must be a number in [0.05, 10] (median edge lengths), got ${show(opts.arrowLength)}`, 'use e.g. 0.8');
  }
  const highlight = opts.highlightEdges === undefined ? [] : [...new Set(Array.from(checkIndices(opts.highlightEdges, E, source, 'highlightEdges', 'highlighted edges')))];
  const roles = opts.nodeRoles ?? {};
  if (typeof roles !== 'object' || roles === null) {
    throw new InvalidInputError({ source, field: 'nodeRoles' }, `must be { sources, ground, targets }, got ${show(roles)}`, 'pass node index arrays');
  }
  const roleNodes = (['sources', 'ground', 'targets'] as const).map((role) => {
    const v = roles[role];
    return { role, nodes: v === undefined ? [] : Array.from(checkIndices(v, N, source, `nodeRoles.${role}`, `${role} nodes`)) };
  });
  const edgeKind = checkScale(opts.edgeScale, source, 'edgeScale');
  const nodeKind = checkScale(opts.nodeScale, source, 'nodeScale');
  const title = checkText(opts.title, source, 'title');
  const width = checkSize(opts.width, COLUMN_WIDTH, 200, source, 'width');
  const fixedHeight = opts.height === undefined ? undefined : checkSize(opts.height, 400, 200, source, 'height');
  const edgeLabel = checkText(opts.edgeLabel, source, 'edgeLabel') ?? 'edge value';
  const nodeLabel = checkText(opts.nodeLabel, source, 'nodeLabel') ?? 'node value';
  const highlightLabel = checkText(opts.highlightLabel, source, 'highlightLabel') ?? 'highlighted';
  const arrowLabel = checkText(opts.arrowLabel, source, 'arrowLabel') ?? 'displacement';
  const explanation = wrapText(checkText(opts.explanation, source, 'explanation') ?? '', width - 12, TICK_FONT);
  const wantLabels = checkFlag(opts.labels, N <= LABEL_LIMIT, source, 'labels');
  const wantBars = checkFlag(opts.colorbar, edgeValues !== undefined || nodeValues !== undefined, source, 'colorbar');

  // ---- what is drawn
  const large = N > NODE_MARKER_LIMIT;
  const colouredNodes = nodeValues !== undefined || regions !== undefined;
  const drawNodes = N > 0 && (!large || colouredNodes);
  const drawLabels = wantLabels && !large && N > 0;
  const edgeColours: ColourScale | undefined = edgeValues ? colourScale(edgeValues, edgeKind) : undefined;
  const nodeColours: ColourScale | undefined = nodeValues ? colourScale(nodeValues, nodeKind) : undefined;
  const bars = wantBars ? [edgeColours && { scale: edgeColours, caption: edgeLabel, id: 'clln-edge-colours' }, nodeColours && { scale: nodeColours, caption: nodeLabel, id: 'clln-node-colours' }].filter((b) => b !== undefined) : [];

  const notes: string[] = [];
  if (N === 0) notes.push('no nodes');
  if (edgeColours && edgeColours.nonFinite > 0) notes.push(`${edgeColours.nonFinite} non-finite edge value${edgeColours.nonFinite === 1 ? '' : 's'} (grey, or an end colour if infinite)`);
  if (nodeColours && nodeColours.nonFinite > 0) notes.push(`${nodeColours.nonFinite} non-finite node value${nodeColours.nonFinite === 1 ? '' : 's'} (grey, or an end colour if infinite)`);
  if (large && !colouredNodes) notes.push(`${N} nodes: node markers omitted`);
  if (large && wantLabels && opts.labels === true) notes.push(`${N} nodes: labels omitted`);

  const items: LegendItem[] = [];
  for (const { role, nodes } of roleNodes) {
    if (nodes.length > 0) items.push({ label: ROLE_STYLE[role].label, colour: ROLE_STYLE[role].colour, marker: ROLE_STYLE[role].shape, filled: false });
  }
  if (regions) {
    const distinct = [...new Set(Array.from(regions))].filter((r) => r >= 0).sort((a, b) => a - b);
    if (distinct.length <= 12) for (const r of distinct) items.push({ label: `region ${r}`, colour: categorical(r), marker: 'swatch' });
  }
  if (highlight.length > 0) items.push({ label: highlightLabel, colour: HIGHLIGHT, marker: 'line' });
  let longest = 0;
  let badArrows = 0;
  if (arrows) {
    for (let i = 0; i < N; i++) {
      const l = Math.hypot(arrows[2 * i], arrows[2 * i + 1]);
      if (Number.isFinite(l)) longest = Math.max(longest, l);
      else badArrows++;
    }
    items.push({ label: arrowLabel, colour: ARROW, marker: 'line' });
    if (badArrows > 0) notes.push(`${badArrows} non-finite displacement${badArrows === 1 ? '' : 's'} (no arrow)`);
    if (longest > 0) notes.push(`arrows to scale: the longest, |u| = ${formatCoordinate(longest, 4)}, drawn ${arrowLength} median edge lengths long`);
    else notes.push('every displacement is 0 (no arrows)');
  }

  // ---- layout: title block; the drawing over the whole width; colour bars, legend and note below it
  const head = titleBlock(width, title, opts.context);
  const top = head.height;
  const barsH = bars.length * (COLORBAR_HEIGHT + 4);
  const legendH = items.length > 0 ? legendHeight(items, width - 12) + 6 : 0;
  const noteLines = notes.length > 0 ? wrapText(notes.join('; '), width - 12, TICK_FONT).length : 0;
  const noteH = noteLines > 0 ? noteLines * TICK_FONT * 1.3 + 4 : 0;
  const explanationH = explanation.length * TICK_FONT * 1.3 + (explanation.length > 0 ? 4 : 0);
  const below = barsH + legendH + explanationH + noteH + 6;
  // room for the node numbers, drawn up and to the right of the nodes
  const pad = drawLabels ? 22 : 12;
  let xmin = Infinity;
  let xmax = -Infinity;
  let ymin = Infinity;
  let ymax = -Infinity;
  for (let i = 0; i < N; i++) {
    const x = positions[2 * i];
    const y = positions[2 * i + 1];
    if (x < xmin) xmin = x;
    if (x > xmax) xmax = x;
    if (y < ymin) ymin = y;
    if (y > ymax) ymax = y;
  }
  const dx = xmax - xmin;
  const dy = ymax - ymin;
  const areaW = width - 12;
  // without a given height, the drawing is as tall as the network's aspect ratio needs at the full width (at most
  // 1.2 widths: a tall network is then narrower)
  const naturalH = dx > 0 ? Math.min(((areaW - 2 * pad) * dy) / dx + 2 * pad, 1.2 * width) : Math.min(areaW, 1.2 * width);
  const areaH = fixedHeight !== undefined ? Math.max(40, fixedHeight - top - below) : Math.max(60, naturalH);
  const height = fixedHeight ?? top + areaH + below;
  const area = { left: 6, top, width: areaW, height: areaH };
  let s = Math.min(dx > 0 ? (area.width - 2 * pad) / dx : Infinity, dy > 0 ? (area.height - 2 * pad) / dy : Infinity);
  if (!Number.isFinite(s) || !(s > 0)) s = 1;
  const cx = area.left + area.width / 2;
  const cy = area.top + area.height / 2;
  const mx = N > 0 ? xmin / 2 + xmax / 2 : 0;
  const my = N > 0 ? ymin / 2 + ymax / 2 : 0;
  const px = new Float64Array(N);
  const py = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    px[i] = cx + s * (positions[2 * i] - mx);
    py[i] = cy + s * (positions[2 * i + 1] - my);
  }

  const lengths = new Float64Array(E);
  for (let e = 0; e < E; e++) lengths[e] = Math.hypot(px[edgeB[e]] - px[edgeA[e]], py[edgeB[e]] - py[edgeA[e]]);
  const med = median(lengths);
  const wrap = (e: number): boolean => med > 0 && lengths[e] > WRAP_FACTOR * med;
  const typical = med > 0 ? med : Math.min(area.width, area.height) / Math.max(2, Math.sqrt(Math.max(N, 1)));
  const edgeW = edgeValues ? clamp(0.3 * typical, 0.5, 4) : clamp(0.08 * typical, 0.3, 1.5);
  const highlightW = clamp(2.5 * edgeW, 2, 7);
  const radius = clamp(0.2 * typical, large ? 0.5 : 1.5, 9);
  const dash = `${formatCoordinate(Math.max(4, 3 * edgeW))} ${formatCoordinate(Math.max(3, 2 * edgeW))}`;
  const decimals = large || E > EDGE_ELEMENT_LIMIT ? 1 : 2;
  const c = (v: number): string => formatCoordinate(v, decimals);

  const body: string[] = [];
  const defs: string[] = [];
  body.push(head.body);

  // ---- edges
  const edgeGroup = { class: 'edges', fill: 'none', stroke: edgeColours ? undefined : EDGE_GREY, 'stroke-width': edgeW, 'stroke-linecap': 'round' };
  if (E <= EDGE_ELEMENT_LIMIT) {
    let lines = '';
    for (let e = 0; e < E; e++) {
      const a = edgeA[e];
      const b = edgeB[e];
      lines += element('line', {
        x1: c(px[a]),
        y1: c(py[a]),
        x2: c(px[b]),
        y2: c(py[b]),
        stroke: edgeColours?.colour(edgeValues![e]),
        'stroke-dasharray': wrap(e) ? dash : undefined,
      });
    }
    body.push(element('g', edgeGroup, lines));
  } else {
    const buckets = new Map<string, string[]>();
    const levels = 64;
    for (let e = 0; e < E; e++) {
      let colour = EDGE_GREY;
      if (edgeColours) {
        const t = edgeColours.position(edgeValues![e]);
        colour = Number.isNaN(t) ? edgeColours.map(NaN) : edgeColours.map(Math.round(t * levels) / levels);
      }
      const key = `${colour}|${wrap(e) ? 'd' : 's'}`;
      let list = buckets.get(key);
      if (!list) buckets.set(key, (list = []));
      const a = edgeA[e];
      const b = edgeB[e];
      const x1 = c(px[a]);
      const y1 = c(py[a]);
      list.push(`M${x1} ${y1}l${c(Number(c(px[b])) - Number(x1))} ${c(Number(c(py[b])) - Number(y1))}`);
    }
    let paths = '';
    for (const [key, list] of buckets) {
      const [colour, style] = key.split('|');
      paths += element('path', { d: list.join(''), stroke: edgeColours ? colour : undefined, 'stroke-dasharray': style === 'd' ? dash : undefined });
    }
    body.push(element('g', edgeGroup, paths));
  }

  // ---- highlighted edges
  if (highlight.length > 0) {
    const lines = highlight.map((e) =>
      element('line', { x1: c(px[edgeA[e]]), y1: c(py[edgeA[e]]), x2: c(px[edgeB[e]]), y2: c(py[edgeB[e]]), 'stroke-dasharray': wrap(e) ? dash : undefined }),
    );
    body.push(element('g', { class: 'highlight', fill: 'none', stroke: HIGHLIGHT, 'stroke-width': highlightW, 'stroke-linecap': 'round' }, lines.join('')));
  }

  // ---- nodes
  if (drawNodes) {
    let circles = '';
    const r = c(radius);
    for (let i = 0; i < N; i++) {
      const region = regions ? regions[i] : -1;
      let fill: string | undefined;
      let stroke: string | undefined;
      if (nodeColours) {
        fill = nodeColours.colour(nodeValues![i]);
        if (region >= 0) stroke = categorical(region);
      } else if (region >= 0) {
        fill = categorical(region);
      }
      circles += element('circle', { cx: c(px[i]), cy: c(py[i]), r, fill, stroke });
    }
    const ringed = nodeColours !== undefined && regions !== undefined;
    body.push(
      element(
        'g',
        { class: 'nodes', fill: '#ffffff', stroke: large ? 'none' : '#333333', 'stroke-width': large ? undefined : ringed ? Math.max(1.5, radius * 0.35) : clamp(radius * 0.15, 0.4, 1) },
        circles,
      ),
    );
  }

  // ---- arrows: shaft from the node along u, then a two-stroke head at the tip; one path per arrow
  if (arrows && longest > 0) {
    const scale = (arrowLength * typical) / longest; // px per position unit of displacement
    const head = clamp(0.25 * arrowLength * typical, 2, 8);
    let paths = '';
    for (let i = 0; i < N; i++) {
      const ux = arrows[2 * i];
      const uy = arrows[2 * i + 1];
      const l = Math.hypot(ux, uy);
      if (!Number.isFinite(l) || !(l > 1e-12 * longest)) continue;
      const x1 = px[i] + scale * ux;
      const y1 = py[i] + scale * uy;
      const h = Math.min(head, 0.45 * scale * l);
      const dx1 = ux / l;
      const dy1 = uy / l;
      // the head's strokes at +-25 degrees from the reversed shaft
      const ca = Math.cos(0.4363);
      const sa = Math.sin(0.4363);
      const hx1 = x1 - h * (ca * dx1 - sa * dy1);
      const hy1 = y1 - h * (sa * dx1 + ca * dy1);
      const hx2 = x1 - h * (ca * dx1 + sa * dy1);
      const hy2 = y1 - h * (-sa * dx1 + ca * dy1);
      paths += element('path', { class: 'arrow', 'data-node': i, d: `M${c(px[i])} ${c(py[i])}L${c(x1)} ${c(y1)}M${c(hx1)} ${c(hy1)}L${c(x1)} ${c(y1)}L${c(hx2)} ${c(hy2)}` });
    }
    body.push(element('g', { class: 'arrows', fill: 'none', stroke: ARROW, 'stroke-width': clamp(0.06 * typical, 0.6, 1.6), 'stroke-linecap': 'round', 'stroke-linejoin': 'round' }, paths));
  }

  // ---- roles
  const roleSize = Math.max(2.6 * radius, 9);
  const marks: string[] = [];
  for (const { role, nodes } of roleNodes) {
    const style = ROLE_STYLE[role];
    for (const i of nodes) marks.push(element('path', { class: style.label, d: markerPath(style.shape, px[i], py[i], roleSize), stroke: style.colour }));
  }
  if (marks.length > 0) body.push(element('g', { class: 'roles', fill: 'none', 'stroke-width': 1.8 }, marks.join('')));

  // ---- labels
  if (drawLabels) {
    const size = clamp(0.3 * typical, 6.5, TICK_FONT);
    const off = radius * 0.75 + 1;
    let texts = '';
    for (let i = 0; i < N; i++) texts += textElement(px[i] + off, py[i] - off, String(i), { class: 'label' });
    body.push(element('g', { class: 'labels', 'font-size': size, fill: '#222222', stroke: '#ffffff', 'stroke-width': 2.5, 'paint-order': 'stroke', 'stroke-linejoin': 'round' }, texts));
  }

  // ---- colour bars, legend, note (below the drawing)
  let y = area.top + area.height + 6;
  bars.forEach((bar) => {
    const cb = colorbar(bar.id, 16, y, width - 40, bar.scale, bar.caption);
    defs.push(cb.defs);
    body.push(cb.body);
    y += COLORBAR_HEIGHT + 4;
  });
  if (items.length > 0) {
    body.push(legend(items, 6, y, width - 12));
    y += legendH;
  }
  explanation.forEach((line, i) => body.push(textElement(6, y + (i + 1) * TICK_FONT * 1.3 - TICK_FONT * 0.3, line, { class: 'explanation', 'font-size': TICK_FONT, fill: '#333333' })));
  y += explanationH;
  body.push(noteBlock(width, y, notes).body);

  return svgDocument({ width, height, title: title ?? 'network', defs: defs.join(''), body });
}
