/**
 * Shared internals of the figures (`clln diagnose --svg DIR`, `clln report RUN --svg DIR`): a standalone SVG
 * document builder, XML escaping, number formatting, linear and log10 axes with "nice" ticks, a legend, colour maps
 * and colour bars, a title block naming the network, task and run, the option checks of the figure functions, and
 * the multi-panel x-y plot behind every plot figure. Sizes are for one journal column (see {@link PX_PER_INCH}).
 * Pure: every function returns a string or a plain value and keeps no state.
 *
 * Non-finite numbers never reach the output:
 * - the plots skip data points with NaN or +-Infinity (and points <= 0 on a log axis) and say how many in a note;
 * - the colour maps return {@link MISSING_COLOUR} for NaN and clamp +-Infinity to the ends of the map;
 * - {@link formatNumber} writes `n/a`, `∞` or `-∞` for non-finite input (callers do not pass any);
 * - {@link formatCoordinate}, the last guard on every coordinate and length, writes NaN as 0 and clamps to
 *   +-{@link COORDINATE_LIMIT}.
 */
import { InvalidInputError, show } from '../../errors.js';

/** The SVG namespace. */
export const SVG_NS = 'http://www.w3.org/2000/svg';
/** Default font family of every figure. */
export const DEFAULT_FONT = 'Helvetica, Arial, sans-serif';
/**
 * The figures are drawn at their printed size for one journal column: the px unit is the CSS px, 1/96 in, so a
 * {@link COLUMN_WIDTH} figure is 3.4 in (86 mm) wide, and 1 px = 0.75 pt: tick labels are 7 pt, axis labels, titles
 * and colour-bar captions 8 pt (journals ask for 6-9 pt at print size).
 */
export const PX_PER_INCH = 96;
/** Width of a single-column figure, px: 3.4 in at {@link PX_PER_INCH}. */
export const COLUMN_WIDTH = 326;
/** Tick labels, legends and notes, px (7 pt). */
export const TICK_FONT = 9.33;
/** Axis labels, colour-bar captions and panel titles, px (8 pt). */
export const LABEL_FONT = 10.67;
/** Figure titles, px (8 pt, bold). */
export const TITLE_FONT = 10.67;
/** Default font size, px (the tick font). */
export const DEFAULT_FONT_SIZE = TICK_FONT;
/**
 * Estimated advance of one character, in em: Helvetica's digits are 0.556 em, lower case 0.5 on average, capitals
 * up to 0.72; 0.6 errs on the wide side, so that labels laid out with it do not touch.
 */
export const CHAR_EM = 0.6;
/** Largest |coordinate| written, px; anything beyond (or infinite) is clamped to it. */
export const COORDINATE_LIMIT = 1e6;
/** Largest |data value| an axis spans; finite values beyond are drawn at +-this bound. */
export const AXIS_LIMIT = 1e300;

// ------------------------------------------------------------------------------------------------ text and numbers

const SPECIAL = /[&<>"']/g;
const ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
// Characters XML 1.0 forbids even when escaped: C0 controls but tab/LF/CR, U+FFFE/U+FFFF and lone surrogates.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Escape a text for XML character data or a quoted attribute value: `& < > " '` become entities, and characters
 * XML 1.0 cannot carry at all (control characters, lone surrogates) become U+FFFD.
 */
export function escapeXml(text: string): string {
  return String(text).replace(FORBIDDEN, '\uFFFD').replace(SPECIAL, (c) => ENTITY[c]);
}

/**
 * A number for a label, compact: `digits` significant digits (default 4), trailing zeros dropped, plain notation
 * for 1e-3 <= |x| < 1e5 (e.g. `0.0125`, `12350`), otherwise `1.5e-7`, `2e12`. Non-finite input gives `n/a`
 * (NaN), `∞` or `-∞`, never `NaN` or `Infinity`.
 */
export function formatNumber(x: number, digits = 4): string {
  if (Number.isNaN(x)) return 'n/a';
  if (!Number.isFinite(x)) return x > 0 ? '\u221e' : '-\u221e';
  if (x === 0) return '0';
  const d = Math.min(Math.max(Math.round(digits), 1), 17);
  const [mantissa, exponentText] = x.toExponential(d - 1).split('e');
  const e = Number(exponentText);
  if (e >= -3 && e < 5) {
    const rounded = Number(`${mantissa}e${e}`);
    return stripZeros(rounded.toFixed(Math.max(0, d - 1 - e)));
  }
  return `${stripZeros(mantissa)}e${e}`;
}

/** Estimated width in px of a text at a font size (px), {@link CHAR_EM} per character. */
export function textWidth(text: string, fontSize: number): number {
  return [...text].length * CHAR_EM * fontSize;
}

/**
 * A text broken at spaces into lines no wider than `maxWidth` px at `fontSize` (estimated); a word wider than that
 * is cut into pieces that fit.
 */
export function wrapText(text: string, maxWidth: number, fontSize: number): string[] {
  const perLine = Math.max(4, Math.floor(maxWidth / (CHAR_EM * fontSize)));
  const lines: string[] = [];
  let line = '';
  for (let word of text.split(/\s+/).filter(Boolean)) {
    while ([...word].length > perLine) {
      if (line) lines.push(line);
      line = '';
      const chars = [...word];
      lines.push(chars.slice(0, perLine).join(''));
      word = chars.slice(perLine).join('');
    }
    const next = line ? `${line} ${word}` : word;
    if ([...next].length > perLine) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * A tick label on an axis (or colour bar) spanning `span`: a value within 1e-12 of the span of zero is zero (the
 * roundoff of a computed end, e.g. a squared drop of 1.9e-34 V^2 on a 0..0.3 V^2 scale, is not a number to print).
 */
export function tickText(t: number, span: number, digits = 4): string {
  return Math.abs(t) <= 1e-12 * Math.abs(span) ? '0' : formatNumber(t, digits);
}

function stripZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/**
 * A coordinate or length in px, rounded to `decimals` (default 2) and written without trailing zeros.
 * NaN is written as 0 and values beyond +-{@link COORDINATE_LIMIT} (or infinite) are clamped: a guard, since the
 * figures only map finite data.
 */
export function formatCoordinate(x: number, decimals = 2): string {
  let v = Number.isNaN(x) ? 0 : Math.min(Math.max(x, -COORDINATE_LIMIT), COORDINATE_LIMIT);
  const f = 10 ** decimals;
  v = Math.round(v * f) / f;
  return v === 0 ? '0' : String(v);
}

// ------------------------------------------------------------------------------------------------ elements

/** An attribute value: a string (escaped), a number (formatted as a coordinate), or undefined (left out). */
export type AttributeValue = string | number | undefined;

/** ` name="value"` pairs for an element; numbers via {@link formatCoordinate}, strings escaped. */
export function attributes(attrs: Record<string, AttributeValue>): string {
  let out = '';
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined) continue;
    out += ` ${name}="${typeof value === 'number' ? formatCoordinate(value) : escapeXml(value)}"`;
  }
  return out;
}

/** An element: `<name .../>` without content, `<name ...>content</name>` with (content is markup, not escaped). */
export function element(name: string, attrs: Record<string, AttributeValue>, content?: string): string {
  return content === undefined || content === '' ? `<${name}${attributes(attrs)}/>` : `<${name}${attributes(attrs)}>${content}</${name}>`;
}

/** A `<text>` element at (x, y) px holding `text` (escaped). */
export function textElement(x: number, y: number, text: string, attrs: Record<string, AttributeValue> = {}): string {
  return `<text${attributes({ x, y, ...attrs })}>${escapeXml(text)}</text>`;
}

/** What {@link svgDocument} builds. */
export interface SvgDocumentSpec {
  /** Width and height in px (also the viewBox). */
  width: number;
  height: number;
  /** Document title (`<title>`, shown as a tooltip by viewers). */
  title?: string;
  /** Markup for `<defs>` (gradients), if any. */
  defs?: string;
  /** The drawing, in order (later items on top). */
  body: readonly string[];
  /** Font family. Default {@link DEFAULT_FONT}. */
  fontFamily?: string;
  /** Font size, px. Default {@link DEFAULT_FONT_SIZE}. */
  fontSize?: number;
}

/**
 * A standalone SVG 1.1 document: XML declaration, `<svg>` with width, height and a matching viewBox, a font, the
 * title, a white background rectangle, then the body.
 */
export function svgDocument(spec: SvgDocumentSpec): string {
  const { width, height } = spec;
  const head =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<svg${attributes({
      xmlns: SVG_NS,
      version: '1.1',
      width,
      height,
      viewBox: `0 0 ${formatCoordinate(width)} ${formatCoordinate(height)}`,
      'font-family': spec.fontFamily ?? DEFAULT_FONT,
      'font-size': spec.fontSize ?? DEFAULT_FONT_SIZE,
    })}>`;
  const parts = [head];
  if (spec.title !== undefined) parts.push(`<title>${escapeXml(spec.title)}</title>`);
  if (spec.defs) parts.push(`<defs>${spec.defs}</defs>`);
  parts.push(element('rect', { class: 'background', x: 0, y: 0, width, height, fill: '#ffffff' }));
  parts.push(...spec.body);
  parts.push('</svg>\n');
  return parts.join('\n');
}

// ------------------------------------------------------------------------------------------------ colours

type Rgb = readonly [number, number, number];

// Dark violet -> indigo -> steel blue -> teal -> green -> yellow; luminance increases monotonically.
const SEQUENTIAL_STOPS: readonly Rgb[] = [
  [45, 12, 82],
  [62, 68, 138],
  [45, 115, 142],
  [32, 160, 132],
  [110, 199, 86],
  [245, 228, 45],
];
// Blue -> light blue -> white (exactly, at the middle stop) -> salmon -> red.
const DIVERGING_STOPS: readonly Rgb[] = [
  [33, 84, 160],
  [125, 168, 216],
  [255, 255, 255],
  [232, 140, 115],
  [170, 30, 45],
];
const CATEGORICAL = ['#1f5fa6', '#e0752d', '#2e9a47', '#c8353b', '#7d5ba6', '#8c5a3c', '#d45fa8', '#6b6b6b', '#a5a82b', '#1fa3b3'];

/** Colour of a missing (NaN) value in every map: light grey. */
export const MISSING_COLOUR = '#bdbdbd';

function hex(v: number): string {
  return Math.round(Math.min(Math.max(v, 0), 255)).toString(16).padStart(2, '0');
}

function interpolate(stops: readonly Rgb[], u: number): string {
  const seg = u * (stops.length - 1);
  const i = Math.min(Math.floor(seg), stops.length - 2);
  const f = seg - i;
  const a = stops[i];
  const b = stops[i + 1];
  return `#${hex(a[0] + f * (b[0] - a[0]))}${hex(a[1] + f * (b[1] - a[1]))}${hex(a[2] + f * (b[2] - a[2]))}`;
}

/**
 * Sequential colour map, dark violet (t = 0) through blue and green to yellow (t = 1), lightness increasing
 * (viridis-like, own stops, linear interpolation in sRGB). t is clamped to [0, 1] (so +-Infinity gives an end
 * colour); NaN gives {@link MISSING_COLOUR}. Returns `#rrggbb`.
 */
export function sequential(t: number): string {
  if (Number.isNaN(t)) return MISSING_COLOUR;
  return interpolate(SEQUENTIAL_STOPS, Math.min(Math.max(t, 0), 1));
}

/**
 * Diverging colour map: blue (t = -1), white (t = 0, exactly `#ffffff`), red (t = +1). t is clamped to [-1, 1];
 * NaN gives {@link MISSING_COLOUR}. Returns `#rrggbb`.
 */
export function diverging(t: number): string {
  if (Number.isNaN(t)) return MISSING_COLOUR;
  return interpolate(DIVERGING_STOPS, (Math.min(Math.max(t, -1), 1) + 1) / 2);
}

/** Categorical colour number i (a palette of 10, repeating), for series and regions. */
export function categorical(i: number): string {
  const n = CATEGORICAL.length;
  return CATEGORICAL[(((Math.trunc(i) || 0) % n) + n) % n];
}

/** How values map to colours: `sequential` on [min, max], `diverging` symmetric about 0 on [-M, M], M = max |v|. */
export type ColourScaleKind = 'sequential' | 'diverging';

/** A value -> colour mapping over the finite values of some data. */
export interface ColourScale {
  kind: ColourScaleKind;
  /** Value range shown by the colour bar: [min, max] (sequential) or [-M, M] (diverging). */
  domain: [number, number];
  /** Number of non-finite values in the data. */
  nonFinite: number;
  /** Map position of a value: [0, 1] (sequential) or [-1, 1] (diverging); NaN stays NaN. */
  position(v: number): number;
  /** Colour of a value (NaN -> {@link MISSING_COLOUR}, +-Infinity -> the end colours). */
  colour(v: number): string;
  /** Colour at a map position. */
  map(t: number): string;
}

/**
 * A colour scale over the finite values of `values`. Sequential: t = (v - min) / (max - min), all-equal values
 * sit in the middle of the map (t = 0.5). Diverging: t = v / max|v|, all zero gives white. Without any finite
 * value the domain is [0, 1] (sequential) or [-1, 1] (diverging).
 */
export function colourScale(values: ArrayLike<number>, kind: ColourScaleKind): ColourScale {
  let lo = Infinity;
  let hi = -Infinity;
  let maxAbs = 0;
  let nonFinite = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      nonFinite++;
      continue;
    }
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    if (Math.abs(v) > maxAbs) maxAbs = Math.abs(v);
  }
  if (kind === 'diverging') {
    const m = maxAbs > 0 ? maxAbs : 1;
    const position = (v: number): number => (maxAbs > 0 ? v / maxAbs : v === 0 ? 0 : Math.sign(v));
    return { kind, domain: [-m, m], nonFinite, position, colour: (v) => diverging(position(v)), map: diverging };
  }
  const empty = lo > hi;
  const domain: [number, number] = empty ? [0, 1] : [lo, hi];
  const span = hi - lo;
  const position = (v: number): number => {
    if (Number.isNaN(v)) return NaN;
    if (!Number.isFinite(v)) return v > 0 ? 1 : 0;
    if (empty || !(span > 0)) return 0.5;
    if (!Number.isFinite(span)) return v / 2 / (hi / 2 - lo / 2) - lo / 2 / (hi / 2 - lo / 2);
    return (v - lo) / span;
  };
  return { kind, domain, nonFinite, position, colour: (v) => sequential(position(v)), map: sequential };
}

// ------------------------------------------------------------------------------------------------ scales and axes

/** A mapping from data values to px along one axis, with its ticks. */
export interface Scale {
  kind: 'linear' | 'log';
  /** Data interval drawn, [lo, hi] (a log axis: powers of ten). */
  domain: [number, number];
  /** Pixel interval, [px at domain[0], px at domain[1]]. */
  range: [number, number];
  /** Major tick values (a log axis: powers of ten). */
  ticks: number[];
  /** Label of each major tick. */
  tickLabels: string[];
  /** Minor tick values, unlabelled (a log axis: 2..9 x 10^k when few decades; a linear axis: none). */
  minorTicks: number[];
  /** Pixel of a data value (finite; > 0 on a log axis). Values outside the domain map outside the range. */
  map(v: number): number;
}

function clean(x: number): number {
  return Number(x.toPrecision(12));
}

function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

function clampAxis(v: number): number {
  return Math.min(Math.max(v, -AXIS_LIMIT), AXIS_LIMIT);
}

/** Options of {@link linearScale}. */
export interface LinearScaleOptions {
  /** Ticks at integers only (step >= 1), e.g. an index axis. Default false. */
  integer?: boolean;
  /** About how many tick intervals. Default 5. */
  targetTicks?: number;
}

/**
 * A linear scale covering [lo, hi] (finite; clamped to +-{@link AXIS_LIMIT}), widened to whole multiples of a
 * nice step (1, 2 or 5 x 10^k) with a tick at each. Equal (or nearly equal) ends are widened by 10 % of |lo|
 * (by 1 when lo = 0; at least 1 with `integer`). Non-finite ends give the interval [0, 1].
 */
export function linearScale(lo: number, hi: number, range: [number, number], options: LinearScaleOptions = {}): Scale {
  const integer = options.integer === true;
  const target = Math.max(1, options.targetTicks ?? 5);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) [lo, hi] = [0, 1];
  lo = clampAxis(lo);
  hi = clampAxis(hi);
  if (lo > hi) [lo, hi] = [hi, lo];
  if (hi - lo <= Math.max(Math.abs(lo), Math.abs(hi)) * 1e-12) {
    let d = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    if (integer) d = Math.max(d, 1);
    lo -= d;
    hi += d;
  }
  let step = niceStep((hi - lo) / target);
  if (integer) step = Math.max(1, Math.round(step));
  const k0 = Math.floor(lo / step);
  const k1 = Math.max(Math.ceil(hi / step), k0 + 1);
  const ticks: number[] = [];
  for (let k = k0; k <= k1; k++) {
    const t = clean(k * step);
    if (ticks.length === 0 || t > ticks[ticks.length - 1]) ticks.push(t);
  }
  const d0 = ticks[0];
  const d1 = ticks[ticks.length - 1];
  const [r0, r1] = range;
  const span = d1 - d0;
  const map = (v: number): number => (span > 0 ? r0 + ((clampAxis(v) - d0) / span) * (r1 - r0) : (r0 + r1) / 2);
  const magnitude = Math.max(Math.abs(d0), Math.abs(d1));
  const digits = Math.min(15, Math.max(4, Math.ceil(Math.log10(magnitude / step)) + 1));
  return { kind: 'linear', domain: [d0, d1], range, ticks, tickLabels: ticks.map((t) => formatNumber(t, digits)), minorTicks: [], map };
}

function exactLog10(v: number): number {
  const l = Math.log10(v);
  const r = Math.round(l);
  return Math.abs(l - r) < 1e-12 ? r : l;
}

/** Label of the power of ten 10^k: plain for -3 <= k <= 4 (`0.001`, `10000`), else `1e-7`, `1e12`. */
export function powerOfTenLabel(k: number): string {
  return k >= -3 && k <= 4 ? formatNumber(10 ** k) : `1e${k}`;
}

/**
 * A log10 scale covering [lo, hi] (both > 0 and finite, else the interval [1, 10]), widened to whole decades, with
 * major ticks at powers of ten: every decade, or every `stride`-th one so that there are at most `maxTicks`
 * intervals. A single decade value (lo = hi = 10^k) gets one decade either side. Minor ticks at 2..9 x 10^k when
 * every decade is labelled and there are at most 6 decades.
 */
export function logScale(lo: number, hi: number, range: [number, number], maxTicks = 8): Scale {
  if (!(lo > 0 && hi > 0 && Number.isFinite(lo) && Number.isFinite(hi))) [lo, hi] = [1, 10];
  if (lo > hi) [lo, hi] = [hi, lo];
  let e0 = Math.floor(exactLog10(lo));
  let e1 = Math.ceil(exactLog10(hi));
  if (e0 === e1) {
    e0 -= 1;
    e1 += 1;
  }
  const stride = Math.max(1, Math.ceil((e1 - e0) / Math.max(1, maxTicks)));
  e0 = Math.floor(e0 / stride) * stride;
  e1 = Math.ceil(e1 / stride) * stride;
  const exponents: number[] = [];
  for (let k = e0; k <= e1; k += stride) exponents.push(k);
  const minorTicks: number[] = [];
  if (stride === 1 && e1 - e0 <= 6) {
    for (let k = e0; k < e1; k++) for (let m = 2; m <= 9; m++) minorTicks.push(clean(m * 10 ** k));
  }
  const [r0, r1] = range;
  const map = (v: number): number => r0 + ((exactLog10(v) - e0) / (e1 - e0)) * (r1 - r0);
  return {
    kind: 'log',
    domain: [10 ** e0, 10 ** e1],
    range,
    ticks: exponents.map((k) => Number(`1e${k}`)),
    tickLabels: exponents.map(powerOfTenLabel),
    minorTicks,
    map,
  };
}

/** The plotting rectangle, px. */
export interface PlotFrame {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Gap between the frame and the tick labels, px (a 4 px tick mark and a little air). */
const TICK_GAP = 7;

/**
 * Which tick labels to print: every `stride`-th, the smallest stride at which no two printed labels overlap (their
 * boxes estimated from the text and font). Ticks keep their marks and grid lines.
 */
function thinLabels(positions: number[], extents: number[]): boolean[] {
  const n = positions.length;
  for (let stride = 1; stride <= Math.max(1, n); stride++) {
    const keep = positions.map((_, i) => i % stride === 0);
    let ok = true;
    let last = -1;
    for (let i = 0; i < n && ok; i++) {
      if (!keep[i]) continue;
      if (last >= 0 && Math.abs(positions[i] - positions[last]) < (extents[i] + extents[last]) / 2 + 3) ok = false;
      last = i;
    }
    if (ok) return keep;
  }
  return positions.map((_, i) => i === 0);
}

/** Width in px that a y axis's tick labels take (the widest, estimated). */
export function tickLabelWidth(scale: Scale): number {
  return scale.tickLabels.reduce((w, l) => Math.max(w, textWidth(l, TICK_FONT)), 0);
}

/** Left margin in px that a y axis needs for its tick labels and its rotated label. */
export function leftMargin(scale: Scale): number {
  return 4 + LABEL_FONT + 4 + tickLabelWidth(scale) + TICK_GAP;
}

/** Height in px below a frame taken by the x tick labels and the x label. */
export const BELOW_FRAME = TICK_GAP + TICK_FONT + 5 + LABEL_FONT + 4;

/**
 * Axes around a plot frame: light grid lines at the major ticks (`<path class="grid">`), the frame
 * (`<rect class="frame">`), outward tick marks (`<path class="ticks">`), tick labels (`<g class="x-ticks">`,
 * `<g class="y-ticks">`, one `<text>` per printed tick: labels that would overlap are thinned to every 2nd, 3rd, ...)
 * and the axis labels (`<text class="x-label">`, `<text class="y-label">`, the latter rotated), in
 * {@link LABEL_FONT}.
 */
export function axes(frame: PlotFrame, x: Scale, y: Scale, labels: { x?: string; y?: string } = {}): string {
  const { left, top, width, height } = frame;
  const right = left + width;
  const bottom = top + height;
  const c = (v: number): string => formatCoordinate(v);
  let grid = '';
  let ticks = '';
  for (const t of x.ticks) {
    const px = x.map(t);
    grid += `M${c(px)} ${c(top)}V${c(bottom)}`;
    ticks += `M${c(px)} ${c(bottom)}v4`;
  }
  for (const t of y.ticks) {
    const py = y.map(t);
    grid += `M${c(left)} ${c(py)}H${c(right)}`;
    ticks += `M${c(left)} ${c(py)}h-4`;
  }
  for (const t of x.minorTicks) ticks += `M${c(x.map(t))} ${c(bottom)}v2.5`;
  for (const t of y.minorTicks) ticks += `M${c(left)} ${c(y.map(t))}h-2.5`;
  const xPos = x.ticks.map((t) => x.map(t));
  const keepX = thinLabels(xPos, x.tickLabels.map((l) => textWidth(l, TICK_FONT)));
  const yPos = y.ticks.map((t) => y.map(t));
  const keepY = thinLabels(yPos, y.tickLabels.map(() => TICK_FONT));
  const xBase = bottom + TICK_GAP + TICK_FONT * 0.8;
  const parts = [
    '<g class="axes">',
    grid ? element('path', { class: 'grid', d: grid, fill: 'none', stroke: '#e6e6e6', 'stroke-width': 0.75 }) : '',
    element('rect', { class: 'frame', x: left, y: top, width, height, fill: 'none', stroke: '#333333', 'stroke-width': 0.75 }),
    ticks ? element('path', { class: 'ticks', d: ticks, fill: 'none', stroke: '#333333', 'stroke-width': 0.75 }) : '',
    element('g', { class: 'x-ticks', 'text-anchor': 'middle', fill: '#333333', 'font-size': TICK_FONT }, x.ticks.map((t, i) => (keepX[i] ? textElement(xPos[i], xBase, x.tickLabels[i]) : '')).join('')),
    element('g', { class: 'y-ticks', 'text-anchor': 'end', fill: '#333333', 'font-size': TICK_FONT }, y.ticks.map((t, i) => (keepY[i] ? textElement(left - TICK_GAP, yPos[i], y.tickLabels[i], { dy: '0.32em' }) : '')).join('')),
  ];
  if (labels.x) parts.push(textElement(left + width / 2, xBase + 5 + LABEL_FONT * 0.8, labels.x, { class: 'x-label', 'text-anchor': 'middle', 'font-size': LABEL_FONT }));
  if (labels.y) {
    const lx = left - TICK_GAP - tickLabelWidth(y) - 4 - LABEL_FONT * 0.2;
    const ly = top + height / 2;
    // a label longer than the frame is tall is set smaller, down to the tick font (7 pt), so that it stays beside it
    const size = Math.max(TICK_FONT, Math.min(LABEL_FONT, (height - 4) / (CHAR_EM * [...labels.y].length)));
    parts.push(textElement(lx, ly, labels.y, { class: 'y-label', 'text-anchor': 'middle', 'font-size': formatCoordinate(size), transform: `rotate(-90 ${c(lx)} ${c(ly)})` }));
  }
  parts.push('</g>');
  return parts.filter(Boolean).join('');
}

// ------------------------------------------------------------------------------------------------ title block

/** What a figure shows: the network, the task and the run (any may be absent), named in its title block. */
export interface FigureContext {
  network?: string;
  task?: string;
  run?: string;
}

/**
 * The title block (`<text class="title">` lines in bold {@link TITLE_FONT}, then `<text class="context">` lines in
 * grey {@link TICK_FONT} naming the network, task and run), wrapped to `width`. Returns the markup and the height
 * it takes, px.
 */
export function titleBlock(width: number, title: string | undefined, context: FigureContext | undefined): { body: string; height: number } {
  let y = 4;
  let body = '';
  if (title) {
    for (const line of wrapText(title, width - 12, TITLE_FONT)) {
      y += TITLE_FONT * 1.25;
      body += textElement(width / 2, y - TITLE_FONT * 0.25, line, { class: 'title', 'text-anchor': 'middle', 'font-size': TITLE_FONT, 'font-weight': 'bold' });
    }
  }
  const parts = context ? ([['network', context.network], ['task', context.task], ['run', context.run]] as const).filter(([, v]) => v) : [];
  if (parts.length > 0) {
    // join the parts greedily with ' · ', one part per line when they do not fit together
    const lines: string[] = [];
    let line = '';
    for (const [k, v] of parts) {
      const part = `${k}: ${v}`;
      const next = line ? `${line} \u00b7 ${part}` : part;
      if (textWidth(next, TICK_FONT) > width - 12 && line) {
        lines.push(line);
        line = part;
      } else line = next;
    }
    lines.push(line);
    for (const l of lines.flatMap((l) => wrapText(l, width - 12, TICK_FONT))) {
      y += TICK_FONT * 1.3;
      body += textElement(width / 2, y - TICK_FONT * 0.3, l, { class: 'context', 'text-anchor': 'middle', 'font-size': TICK_FONT, fill: '#555555' });
    }
  }
  return { body, height: y + (body ? 6 : 0) };
}

/** A note at the bottom of a figure (`<text class="note">` lines), wrapped to `width`; returns markup and height. */
export function noteBlock(width: number, y: number, notes: readonly string[]): { body: string; height: number } {
  if (notes.length === 0) return { body: '', height: 0 };
  const lines = wrapText(notes.join('; '), width - 12, TICK_FONT);
  const body = lines.map((l, i) => textElement(6, y + (i + 1) * TICK_FONT * 1.3 - TICK_FONT * 0.3, l, { class: 'note', fill: '#7a2020', 'font-size': TICK_FONT })).join('');
  return { body, height: lines.length * TICK_FONT * 1.3 + 4 };
}

// ------------------------------------------------------------------------------------------------ legend, markers, colour bar

/** Marker shapes for legends and node roles. */
export type MarkerShape = 'line' | 'circle' | 'square' | 'triangle' | 'diamond' | 'swatch';

/** Path data of a closed marker (square, triangle pointing up, diamond) centred at (x, y), `size` px across. */
export function markerPath(shape: 'square' | 'triangle' | 'diamond', x: number, y: number, size: number): string {
  const h = size / 2;
  const c = (v: number): string => formatCoordinate(v);
  if (shape === 'square') return `M${c(x - h)} ${c(y - h)}H${c(x + h)}V${c(y + h)}H${c(x - h)}Z`;
  if (shape === 'triangle') return `M${c(x)} ${c(y - h * 1.15)}L${c(x + h * 1.1)} ${c(y + h * 0.75)}L${c(x - h * 1.1)} ${c(y + h * 0.75)}Z`;
  return `M${c(x)} ${c(y - h * 1.2)}L${c(x + h * 1.2)} ${c(y)}L${c(x)} ${c(y + h * 1.2)}L${c(x - h * 1.2)} ${c(y)}Z`;
}

/** One legend entry. */
export interface LegendItem {
  label: string;
  colour: string;
  /** Marker drawn before the label. Default `line`. */
  marker?: MarkerShape;
  /** Dashed line marker. Default false. */
  dashed?: boolean;
  /** Closed markers: filled (default true) or outlined in `colour`. */
  filled?: boolean;
}

/** Legend row height, px. */
export const LEGEND_ROW = TICK_FONT * 1.5;
/** Width of a legend entry's marker and the gap after it, px. */
const LEGEND_MARK = 22;

/** Estimated width in px of one legend entry (marker, gap, label). */
function itemWidth(it: LegendItem): number {
  return LEGEND_MARK + textWidth(it.label, TICK_FONT);
}

/** Estimated width in px of a legend laid out in one column (the widest entry). */
export function legendWidth(items: readonly LegendItem[]): number {
  return items.reduce((w, it) => Math.max(w, itemWidth(it)), 0);
}

/** Where {@link legendLayout} puts each entry. */
function flow(items: readonly LegendItem[], maxWidth: number): { x: number; row: number }[] {
  const out: { x: number; row: number }[] = [];
  let x = 0;
  let row = 0;
  for (const it of items) {
    const w = itemWidth(it);
    if (x > 0 && x + w > maxWidth) {
      x = 0;
      row++;
    }
    out.push({ x, row });
    x += w + 12;
  }
  return out;
}

/** Height in px of a legend laid out by {@link legend} within `maxWidth`. */
export function legendHeight(items: readonly LegendItem[], maxWidth: number): number {
  if (items.length === 0) return 0;
  const f = flow(items, maxWidth);
  return (f[f.length - 1].row + 1) * LEGEND_ROW;
}

/**
 * A legend (`<g class="legend">`): entries left to right from (x, y) px (the top-left corner), wrapping to a new
 * row, {@link LEGEND_ROW} apart, when the next would pass `maxWidth` (default: one column); each a 16 px marker,
 * then the label (escaped) in {@link TICK_FONT}.
 */
export function legend(items: readonly LegendItem[], x: number, y: number, maxWidth = 0): string {
  if (items.length === 0) return '';
  const places = flow(items, maxWidth);
  const rows = items.map((it, i) => {
    const mx = x + places[i].x;
    const cy = y + places[i].row * LEGEND_ROW + LEGEND_ROW / 2;
    const shape = it.marker ?? 'line';
    const filled = it.filled !== false;
    let marker: string;
    if (shape === 'line') {
      marker = element('line', { x1: mx, y1: cy, x2: mx + 16, y2: cy, stroke: it.colour, 'stroke-width': 1.5, 'stroke-dasharray': it.dashed ? '4 2' : undefined });
    } else if (shape === 'circle') {
      marker = element('circle', { cx: mx + 8, cy, r: 3, fill: filled ? it.colour : 'none', stroke: it.colour, 'stroke-width': 1.2 });
    } else if (shape === 'swatch') {
      marker = element('rect', { x: mx + 2, y: cy - 5, width: 12, height: 10, fill: it.colour, stroke: '#333333', 'stroke-width': 0.5 });
    } else {
      marker = element('path', { d: markerPath(shape, mx + 8, cy, 8), fill: filled ? it.colour : 'none', stroke: it.colour, 'stroke-width': 1.5 });
    }
    return marker + textElement(mx + LEGEND_MARK, cy, it.label, { dy: '0.32em' });
  });
  return element('g', { class: 'legend', 'font-size': TICK_FONT }, rows.join(''));
}

/** Height in px of a horizontal colour bar drawn by {@link colorbar}: caption, bar, tick labels. */
export const COLORBAR_HEIGHT = LABEL_FONT + 4 + 9 + 4 + TICK_FONT + 6;

/**
 * Ticks of a colour bar over [lo, hi]: nice values (1, 2 or 5 x 10^k apart, about 4 intervals) inside the range,
 * a value within 1e-12 of the span of zero written `0` ({@link tickText}); the ends themselves when fewer than two
 * nice values fall inside.
 */
export function colourTicks(lo: number, hi: number): { value: number; label: string }[] {
  const span = hi - lo;
  if (!(span > 0) || !Number.isFinite(span)) return [{ value: lo, label: formatNumber(lo) }];
  const step = niceStep(span / 4);
  const eps = 1e-9 * span;
  const out: { value: number; label: string }[] = [];
  for (let k = Math.ceil((lo - eps) / step); k * step <= hi + eps; k++) {
    const v = clean(k * step);
    out.push({ value: v, label: tickText(v, span) });
  }
  if (out.length >= 2) return out;
  return [
    { value: lo, label: tickText(lo, span, 3) },
    { value: hi, label: tickText(hi, span, 3) },
  ];
}

/**
 * A horizontal colour bar (`<g class="colorbar">`): the caption (`<text class="caption">`, the quantity and its
 * unit) above, the gradient-filled bar (low values left), tick marks and labels ({@link colourTicks}, thinned so
 * that no two overlap) below. Top-left corner at (x, y) px; {@link COLORBAR_HEIGHT} px tall. Returns the gradient
 * for `<defs>` (id `id`) and the bar.
 */
export function colorbar(id: string, x: number, y: number, width: number, scale: ColourScale, caption: string): { defs: string; body: string } {
  const stops: string[] = [];
  const n = 16;
  for (let i = 0; i <= n; i++) {
    const u = i / n; // 0 at the left
    const t = scale.kind === 'diverging' ? 2 * u - 1 : u;
    stops.push(element('stop', { offset: formatNumber(u, 4), 'stop-color': scale.map(t) }));
  }
  const defs = element('linearGradient', { id, x1: 0, y1: 0, x2: 1, y2: 0 }, stops.join(''));
  const [lo, hi] = scale.domain;
  const barTop = y + LABEL_FONT + 4;
  const barH = 9;
  const allEqual = scale.kind === 'sequential' && lo === hi;
  const ticks = allEqual ? [{ value: lo, label: formatNumber(lo) }] : colourTicks(lo, hi);
  const at = (v: number): number => (allEqual ? x + width / 2 : x + ((v - lo) / (hi - lo)) * width);
  const pos = ticks.map((t) => at(t.value));
  const keep = thinLabels(pos, ticks.map((t) => textWidth(t.label, TICK_FONT)));
  let marks = '';
  let labels = '';
  ticks.forEach((t, i) => {
    marks += `M${formatCoordinate(pos[i])} ${formatCoordinate(barTop + barH)}v3`;
    if (keep[i]) labels += textElement(pos[i], barTop + barH + 3 + TICK_FONT * 0.8, t.label, { 'text-anchor': 'middle' });
  });
  const body = element(
    'g',
    { class: 'colorbar', 'font-size': TICK_FONT },
    textElement(x, y + LABEL_FONT * 0.8, caption, { class: 'caption', 'font-size': LABEL_FONT }) +
      element('rect', { x, y: barTop, width, height: barH, fill: `url(#${id})`, stroke: '#333333', 'stroke-width': 0.5 }) +
      element('path', { d: marks, stroke: '#333333', 'stroke-width': 0.75, fill: 'none' }) +
      labels,
  );
  return { defs, body };
}

// ------------------------------------------------------------------------------------------------ option checks

/** Check an optional figure size in px: a finite number in [min, 20000], or the default. */
export function checkSize(value: unknown, fallback: number, min: number, source: string, field: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > 20000) {
    throw new InvalidInputError({ source, field }, `the figure ${field} must be a number of px in [${min}, 20000], got ${show(value)}`, `set ${field} to e.g. ${fallback}`);
  }
  return value;
}

/** Check that a value is array-like (a finite integer `length`); returns the length. */
export function checkArrayLike(value: unknown, source: string, field: string, meaning: string): number {
  const length = typeof value === 'object' && value !== null ? (value as { length?: unknown }).length : undefined;
  if (typeof length !== 'number' || !Number.isInteger(length) || length < 0) {
    throw new InvalidInputError({ source, field }, `${meaning} must be an array of numbers, got ${show(value)}`, `pass ${field} as an array or a typed array`);
  }
  return length;
}

/** Check an optional text option (a string). */
export function checkText(value: unknown, source: string, field: string): string | undefined {
  if (value !== undefined && typeof value !== 'string') {
    throw new InvalidInputError({ source, field }, `must be a string, got ${show(value)}`, `pass ${field} as text`);
  }
  return value;
}

/** Check an optional boolean option. */
export function checkFlag(value: unknown, fallback: boolean, source: string, field: string): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new InvalidInputError({ source, field }, `must be true or false, got ${show(value)}`, `set ${field} to true or false`);
  }
  return value;
}

// ------------------------------------------------------------------------------------------------ x-y plots

/** One line of an x-y plot: points (x[i], y[i]). */
export interface XYSeries {
  label: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** Colour. Default: categorical colour number (series index). */
  colour?: string;
  /** Draw the line through the points. Default true (false: markers only, a scatter plot). */
  line?: boolean;
}

/** One panel of an x-y figure: its own axes, series and legend. */
export interface XYPanel {
  series: readonly XYSeries[];
  /** Panel title (`<text class="panel-title">`), e.g. `(a) physical Hessian`. */
  title?: string;
  /** log10 y axis: points with y <= 0 are dropped and counted in the note. */
  logY: boolean;
  /** Axis labels, each with its unit in parentheses. */
  xLabel: string;
  yLabel: string;
  /** Integer ticks on the x axis (an index or a step). */
  integerX: boolean;
  /** Every point gets a circle marker when a series has at most this many plotted points. */
  markerLimit: number;
  /** Equal x and y ranges and the identity line y = x (`<path class="identity">`), e.g. predicted against target. */
  identity?: { label: string };
  /** Vertical lines across the frame at these x values (`<g class="vlines">`), e.g. alarms on a time axis. */
  vlines?: { label: string; colour: string; x: readonly number[] };
  /** Draw the legend (above the frame). Default true. */
  legend?: boolean;
}

/** What {@link xyFigure} draws. */
export interface XYFigureSpec {
  panels: readonly XYPanel[];
  /** Title drawn above the plot (none when undefined). */
  title?: string;
  /** Network, task and run named under the title. */
  context?: FigureContext;
  /** Document `<title>` when there is no `title`. */
  name: string;
  width: number;
  height: number;
  /** Remarks added to the note at the bottom, e.g. what was left out. */
  notes?: readonly string[];
}

/** One panel (the single panel of {@link xyFigure}); kept for the figure functions written before the panels. */
export interface XYPlotSpec extends XYPanel {
  title?: string;
  context?: FigureContext;
  notes?: readonly string[];
  name: string;
  width: number;
  height: number;
}

/** Counts from the collection of plottable points. */
interface Collected {
  runs: { x: number; y: number }[][][];
  plotted: number[];
  nonFinite: number;
  nonPositive: number;
}

function collect(series: readonly XYSeries[], logY: boolean): Collected {
  const runs: { x: number; y: number }[][][] = [];
  const plotted: number[] = [];
  let nonFinite = 0;
  let nonPositive = 0;
  for (const s of series) {
    const mine: { x: number; y: number }[][] = [];
    let run: { x: number; y: number }[] = [];
    let count = 0;
    for (let i = 0; i < s.y.length; i++) {
      const x = s.x[i];
      const y = s.y[i];
      let skip = false;
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        nonFinite++;
        skip = true;
      } else if (logY && y <= 0) {
        nonPositive++;
        skip = true;
      }
      if (skip) {
        if (run.length > 0) mine.push(run);
        run = [];
        continue;
      }
      run.push({ x, y });
      count++;
    }
    if (run.length > 0) mine.push(run);
    runs.push(mine);
    plotted.push(count);
  }
  return { runs, plotted, nonFinite, nonPositive };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** A panel's data, ranges and legend before it is laid out. */
interface PanelPlan {
  panel: XYPanel;
  data: Collected;
  total: number;
  bounds: { xlo: number; xhi: number; ylo: number; yhi: number };
  items: LegendItem[];
  scales(xr: [number, number], yr: [number, number]): { xs: Scale; ys: Scale };
}

function planPanel(panel: XYPanel, notes: string[]): PanelPlan {
  const data = collect(panel.series, panel.logY);
  let xlo = Infinity;
  let xhi = -Infinity;
  let ylo = Infinity;
  let yhi = -Infinity;
  for (const runs of data.runs) {
    for (const run of runs) {
      for (const p of run) {
        if (p.x < xlo) xlo = p.x;
        if (p.x > xhi) xhi = p.x;
        if (p.y < ylo) ylo = p.y;
        if (p.y > yhi) yhi = p.y;
      }
    }
  }
  for (const v of panel.vlines?.x ?? []) {
    if (!Number.isFinite(v)) continue;
    if (v < xlo) xlo = v;
    if (v > xhi) xhi = v;
  }
  const total = data.plotted.reduce((a, b) => a + b, 0);
  const where = panel.title ? `${panel.title}: ` : '';
  if (total === 0) notes.push(`${where}no data`);
  if (data.nonFinite > 0) notes.push(`${where}${plural(data.nonFinite, 'non-finite value')} not shown`);
  if (data.nonPositive > 0) notes.push(`${where}${plural(data.nonPositive, 'non-positive value')} not shown on the log axis`);
  if (panel.identity && total > 0) {
    xlo = ylo = Math.min(xlo, ylo);
    xhi = yhi = Math.max(xhi, yhi);
  }
  const items: LegendItem[] =
    panel.legend === false
      ? []
      : panel.series.flatMap((s, i): LegendItem[] => (s.label ? [{ label: s.label, colour: s.colour ?? categorical(i), marker: s.line === false ? 'circle' : 'line' }] : []));
  if (panel.identity && panel.legend !== false) items.push({ label: panel.identity.label, colour: '#777777', marker: 'line', dashed: true });
  if (panel.vlines && panel.vlines.x.length > 0 && panel.legend !== false) items.push({ label: panel.vlines.label, colour: panel.vlines.colour, marker: 'line' });
  const hasX = Number.isFinite(xlo);
  const scales = (xr: [number, number], yr: [number, number]): { xs: Scale; ys: Scale } => {
    const ix = panel.integerX;
    const xs = hasX ? linearScale(xlo, xhi, xr, { integer: ix }) : linearScale(ix ? 1 : 0, ix ? 10 : 1, xr, { integer: ix });
    const ys = panel.logY ? (total > 0 ? logScale(ylo, yhi, yr) : logScale(1, 10, yr)) : total > 0 ? linearScale(ylo, yhi, yr) : linearScale(0, 1, yr);
    if (panel.identity && total > 0 && !panel.logY) {
      // the same interval on both axes, so that y = x is the diagonal
      const lo = Math.min(xs.domain[0], ys.domain[0]);
      const hi = Math.max(xs.domain[1], ys.domain[1]);
      return { xs: linearScale(lo, hi, xr), ys: linearScale(lo, hi, yr) };
    }
    return { xs, ys };
  };
  return { panel, data, total, bounds: { xlo, xhi, ylo, yhi }, items, scales };
}

/**
 * x-y panels stacked vertically as a standalone SVG document: the title block (title; network, task and run),
 * then per panel its title, its legend (above the frame, wrapping) and its axes, the frames aligned on the left;
 * then a note. Each series is a `<g class="series">` in its colour holding one `<path>` through its points (unless
 * `line: false`; a skipped point breaks the line) and `<circle>` markers carrying the exact values they show
 * (`data-x`, `data-y`): one per plotted point when the series has at most `markerLimit` of them (or no line),
 * otherwise only for isolated points, so that every point stays visible. Skipped points (non-finite x or y; y <= 0
 * on a log axis) are counted in the note (`<text class="note">`), which also says `no data` for an empty panel.
 */
export function xyFigure(spec: XYFigureSpec): string {
  const { width, height } = spec;
  const notes: string[] = [];
  const plans = spec.panels.map((p) => planPanel(p, notes));
  notes.push(...(spec.notes ?? []));
  const head = titleBlock(width, spec.title, spec.context);
  const noteLines = notes.length > 0 ? wrapText(notes.join('; '), width - 12, TICK_FONT).length : 0;
  const noteH = noteLines * TICK_FONT * 1.3 + (noteLines > 0 ? 4 : 0);
  // left margin: the widest y tick labels of any panel (the scales' labels do not depend on the pixel range)
  const left = Math.max(...plans.map((p) => leftMargin(p.scales([0, 1], [1, 0]).ys)), 30);
  const right = 10;
  const frameW = Math.max(40, width - left - right);
  const overhead = plans.map((p) => (p.panel.title ? LABEL_FONT * 1.4 : 0) + (p.items.length > 0 ? legendHeight(p.items, width - 12) + 4 : 0) + 6 + BELOW_FRAME);
  const free = height - head.height - noteH - overhead.reduce((a, b) => a + b, 0) - 4;
  const frameH = Math.max(40, free / Math.max(1, plans.length));
  const body: string[] = [head.body];
  const c = (v: number): string => formatCoordinate(v);
  let y = head.height;
  plans.forEach((plan, pi) => {
    const panel = plan.panel;
    if (panel.title) {
      y += LABEL_FONT * 1.4;
      body.push(textElement(6, y - LABEL_FONT * 0.35, panel.title, { class: 'panel-title', 'font-size': LABEL_FONT, 'font-weight': 'bold' }));
    }
    if (plan.items.length > 0) {
      body.push(legend(plan.items, 6, y, width - 12));
      y += legendHeight(plan.items, width - 12) + 4;
    }
    y += 6;
    const frame: PlotFrame = { left, top: y, width: frameW, height: frameH };
    const { xs, ys } = plan.scales([left, left + frameW], [y + frameH, y]);
    body.push(axes(frame, xs, ys, { x: panel.xLabel, y: panel.yLabel }));
    if (panel.identity && plan.total > 0) {
      const [d0, d1] = xs.domain;
      body.push(element('path', { class: 'identity', d: `M${c(xs.map(d0))} ${c(ys.map(d0))}L${c(xs.map(d1))} ${c(ys.map(d1))}`, stroke: '#777777', 'stroke-width': 1, 'stroke-dasharray': '4 2', fill: 'none' }));
    }
    if (panel.vlines && panel.vlines.x.length > 0) {
      const lines = panel.vlines.x.filter(Number.isFinite).map((v) => element('line', { x1: xs.map(v), y1: y, x2: xs.map(v), y2: y + frameH, 'data-x': String(v) }));
      body.push(element('g', { class: 'vlines', stroke: panel.vlines.colour, 'stroke-width': 1 }, lines.join('')));
    }
    plan.data.runs.forEach((runs, si) => {
      const s = panel.series[si];
      const colour = s.colour ?? categorical(si);
      const drawLine = s.line !== false;
      let d = '';
      let circles = '';
      const allMarkers = !drawLine || plan.data.plotted[si] <= panel.markerLimit;
      for (const run of runs) {
        if (drawLine && run.length >= 2) {
          d += `M${c(xs.map(run[0].x))} ${c(ys.map(run[0].y))}L`;
          d += run.slice(1).map((p) => `${c(xs.map(p.x))} ${c(ys.map(p.y))}`).join(' ');
        }
        if (allMarkers || run.length === 1) {
          for (const p of run) circles += element('circle', { cx: xs.map(p.x), cy: ys.map(p.y), r: 2, 'data-x': String(p.x), 'data-y': String(p.y) });
        }
      }
      const path = d ? element('path', { d, fill: 'none', stroke: colour, 'stroke-width': 1.25, 'stroke-linejoin': 'round' }) : '';
      body.push(element('g', { class: 'series', 'data-series': String(si), 'data-panel': String(pi), fill: colour }, path + circles));
    });
    y += frameH + BELOW_FRAME;
  });
  body.push(noteBlock(width, Math.max(y, height - noteH - 2), notes).body);
  return svgDocument({ width, height, title: spec.title ?? spec.name, body });
}

/** A one-panel {@link xyFigure}. */
export function xyPlot(spec: XYPlotSpec): string {
  const { title, context, name, width, height, notes, ...panel } = spec;
  return xyFigure({ panels: [panel], title, context, name, width, height, notes });
}
