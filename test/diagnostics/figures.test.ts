import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import { networkFigure, spectrumFigure, trajectoryFigure } from '../../src/diagnostics/figures/index.js';
import {
  diverging,
  escapeXml,
  formatCoordinate,
  formatNumber,
  linearScale,
  logScale,
  sequential,
} from '../../src/diagnostics/figures/svgDocument.js';
import { latticeNetwork } from '../../src/physics/generators/lattice.js';

// ------------------------------------------------------------------ a small strict XML well-formedness checker

interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  /** Character data directly inside (entities decoded). */
  text: string;
}

const NAME = /^[A-Za-z_:][-A-Za-z0-9_:.]*/;

function decodeText(raw: string, where: number): string {
  if (/[<>]/.test(raw)) throw new Error(`unescaped < or > in text at ${where}: ${JSON.stringify(raw.slice(0, 40))}`);
  return raw.replace(/&[^;]*;?/g, (ent) => {
    const m = /^&(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);$/.exec(ent);
    if (!m) throw new Error(`bad entity ${JSON.stringify(ent)} at ${where}`);
    const body = m[1];
    if (body.startsWith('#x')) return String.fromCodePoint(parseInt(body.slice(2), 16));
    if (body.startsWith('#')) return String.fromCodePoint(parseInt(body.slice(1), 10));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[body]!;
  });
}

/** Parse a document strictly (balanced tags, quoted unique attributes, escaped text); throws on any violation. */
function parseXml(doc: string): XmlNode {
  let i = 0;
  if (doc.startsWith('<?xml')) {
    const end = doc.indexOf('?>');
    if (end < 0) throw new Error('unterminated XML declaration');
    i = end + 2;
  }
  const stack: XmlNode[] = [];
  let root: XmlNode | undefined;
  while (i < doc.length) {
    const lt = doc.indexOf('<', i);
    const textEnd = lt < 0 ? doc.length : lt;
    const raw = doc.slice(i, textEnd);
    const text = decodeText(raw, i);
    if (stack.length > 0) stack[stack.length - 1].text += text;
    else if (raw.trim() !== '') throw new Error(`text outside the root element at ${i}`);
    if (lt < 0) break;
    i = lt;
    if (doc.startsWith('<!--', i)) {
      const end = doc.indexOf('-->', i + 4);
      if (end < 0) throw new Error('unterminated comment');
      i = end + 3;
      continue;
    }
    if (doc.startsWith('</', i)) {
      const m = NAME.exec(doc.slice(i + 2));
      if (!m) throw new Error(`bad closing tag at ${i}`);
      const after = i + 2 + m[0].length;
      const close = /^\s*>/.exec(doc.slice(after));
      if (!close) throw new Error(`bad closing tag at ${i}`);
      const open = stack.pop();
      if (!open || open.name !== m[0]) throw new Error(`</${m[0]}> does not close <${open?.name}> at ${i}`);
      i = after + close[0].length;
      continue;
    }
    const m = NAME.exec(doc.slice(i + 1));
    if (!m) throw new Error(`bad tag at ${i}: ${JSON.stringify(doc.slice(i, i + 20))}`);
    const node: XmlNode = { name: m[0], attrs: {}, children: [], text: '' };
    i += 1 + m[0].length;
    for (;;) {
      const ws = /^\s*/.exec(doc.slice(i))![0];
      i += ws.length;
      if (doc.startsWith('/>', i) || doc[i] === '>') break;
      if (ws.length === 0) throw new Error(`attributes must be separated by whitespace at ${i}`);
      const an = NAME.exec(doc.slice(i));
      if (!an) throw new Error(`bad attribute at ${i}: ${JSON.stringify(doc.slice(i, i + 20))}`);
      i += an[0].length;
      const eq = /^\s*=\s*/.exec(doc.slice(i));
      if (!eq) throw new Error(`attribute ${an[0]} without value at ${i}`);
      i += eq[0].length;
      const q = doc[i];
      if (q !== '"' && q !== "'") throw new Error(`unquoted attribute ${an[0]} at ${i}`);
      const end = doc.indexOf(q, i + 1);
      if (end < 0) throw new Error(`unterminated attribute ${an[0]}`);
      const value = doc.slice(i + 1, end);
      if (value.includes('<')) throw new Error(`< in attribute ${an[0]}`);
      if (an[0] in node.attrs) throw new Error(`duplicate attribute ${an[0]} at ${i}`);
      node.attrs[an[0]] = value.replace(/&[^;]*;?/g, (ent) => decodeText(ent, i));
      i = end + 1;
    }
    if (stack.length > 0) stack[stack.length - 1].children.push(node);
    else if (root) throw new Error('a second root element');
    else root = node;
    if (doc.startsWith('/>', i)) i += 2;
    else {
      i += 1;
      stack.push(node);
    }
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack[stack.length - 1].name}>`);
  if (!root) throw new Error('no root element');
  return root;
}

function wellFormed(svg: string): XmlNode {
  const root = parseXml(svg);
  expect(root.name).toBe('svg');
  expect(root.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
  expect(root.attrs.viewBox).toBe(`0 0 ${root.attrs.width} ${root.attrs.height}`);
  expect(svg).not.toMatch(/NaN|Infinity|undefined/);
  return root;
}

function all(node: XmlNode, pred: (n: XmlNode) => boolean, out: XmlNode[] = []): XmlNode[] {
  if (pred(node)) out.push(node);
  for (const c of node.children) all(c, pred, out);
  return out;
}
const byClass = (root: XmlNode, cls: string): XmlNode[] => all(root, (n) => (n.attrs.class ?? '').split(' ').includes(cls));
const one = (root: XmlNode, cls: string): XmlNode => {
  const found = byClass(root, cls);
  expect(found).toHaveLength(1);
  return found[0];
};
const count = (g: XmlNode, name: string): number => g.children.filter((c) => c.name === name).length;
const noteOf = (root: XmlNode): string => byClass(root, 'note').map((n) => n.text).join('');

function expectInvalid(fn: () => unknown, field: string): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidInputError);
    expect((e as InvalidInputError).field).toBe(field);
    expect((e as Error).message).toContain(field);
    return;
  }
  throw new Error(`expected an InvalidInputError for ${field}`);
}

// ------------------------------------------------------------------ the checker itself

describe('the XML checker', () => {
  it('rejects malformed documents', () => {
    expect(() => parseXml('<svg><g></svg>')).toThrow();
    expect(() => parseXml('<svg a=1/>')).toThrow();
    expect(() => parseXml('<svg>a & b</svg>')).toThrow();
    expect(() => parseXml('<svg>a > b</svg>')).toThrow();
    expect(() => parseXml('<svg a="1" a="2"/>')).toThrow();
    expect(() => parseXml('<svg/><svg/>')).toThrow();
    expect(parseXml('<?xml version="1.0"?>\n<svg a="&lt;&amp;"><t>x &amp; y</t></svg>').children[0].text).toBe('x & y');
  });
});

// ------------------------------------------------------------------ shared internals

describe('svgDocument internals', () => {
  it('escapes text and drops characters XML cannot carry', () => {
    expect(escapeXml(`<a & "b" 'c'>`)).toBe('&lt;a &amp; &quot;b&quot; &apos;c&apos;&gt;');
    expect(escapeXml('a\u0001b\uD800')).toBe('a\uFFFDb\uFFFD');
    expect(escapeXml('😀')).toBe('😀');
  });

  it('formats numbers compactly and never writes NaN or Infinity', () => {
    expect(formatNumber(0.012345)).toBe('0.01235');
    expect(formatNumber(12345)).toBe('12350');
    expect(formatNumber(1.5e-7)).toBe('1.5e-7');
    expect(formatNumber(2e12)).toBe('2e12');
    expect(formatNumber(-0)).toBe('0');
    expect(formatNumber(NaN)).toBe('n/a');
    expect(formatNumber(Infinity)).toBe('\u221e');
    expect(formatCoordinate(NaN)).toBe('0');
    expect(formatCoordinate(Infinity)).toBe('1000000');
    expect(formatCoordinate(1.005 + 1e-9)).toBe('1.01');
  });

  it('colour maps: diverging is white at 0, blue/red at the ends; sequential is ordered and clamped', () => {
    expect(diverging(0)).toBe('#ffffff');
    const [r1, , b1] = [1, 3, 5].map((k) => parseInt(diverging(-1).slice(k, k + 2), 16));
    expect(b1).toBeGreaterThan(r1);
    const [r2, , b2] = [1, 3, 5].map((k) => parseInt(diverging(1).slice(k, k + 2), 16));
    expect(r2).toBeGreaterThan(b2);
    expect(sequential(2)).toBe(sequential(1));
    expect(sequential(-Infinity)).toBe(sequential(0));
    expect(sequential(NaN)).toMatch(/^#[0-9a-f]{6}$/);
    const lum = (c: string): number => 0.2126 * parseInt(c.slice(1, 3), 16) + 0.7152 * parseInt(c.slice(3, 5), 16) + 0.0722 * parseInt(c.slice(5, 7), 16);
    for (let k = 0; k < 20; k++) expect(lum(sequential((k + 1) / 20))).toBeGreaterThan(lum(sequential(k / 20)));
  });

  it('nice linear ticks cover the data; log ticks are powers of ten', () => {
    const lin = linearScale(0.13, 9.7, [0, 100]);
    expect(lin.domain[0]).toBeLessThanOrEqual(0.13);
    expect(lin.domain[1]).toBeGreaterThanOrEqual(9.7);
    expect(lin.ticks).toEqual([0, 2, 4, 6, 8, 10]);
    expect(linearScale(3, 3, [0, 1]).ticks.length).toBeGreaterThan(1);
    const log = logScale(3e-7, 2e4, [0, 100]);
    for (const t of log.ticks) expect(Math.log10(t)).toBeCloseTo(Math.round(Math.log10(t)), 12);
    expect(log.domain[0]).toBeLessThanOrEqual(3e-7);
    expect(log.domain[1]).toBeGreaterThanOrEqual(2e4);
    const extreme = logScale(5e-324, 1e308, [0, 100]);
    expect(extreme.tickLabels.every((l) => /^1e-?\d+$|^[0-9.]+$/.test(l))).toBe(true);
    expect(Number.isFinite(extreme.map(5e-324))).toBe(true);
  });
});

// ------------------------------------------------------------------ spectrumFigure

describe('spectrumFigure', () => {
  const phys = Array.from({ length: 24 }, (_, i) => 1e-4 * 1.5 ** i);
  const cost = Array.from({ length: 10 }, (_, i) => 10 ** (i - 6));

  it('draws one path and one marker per eigenvalue for each series, log ticks at powers of ten', () => {
    const root = wellFormed(spectrumFigure([{ label: 'physical Hessian', values: phys }, { label: 'cost Hessian', values: cost }], { title: 'spectra' }));
    const series = byClass(root, 'series');
    expect(series).toHaveLength(2);
    expect(count(series[0], 'path')).toBe(1);
    expect(count(series[0], 'circle')).toBe(24);
    expect(count(series[1], 'circle')).toBe(10);
    const ticks = one(root, 'y-ticks').children.map((t) => Number(t.text));
    expect(ticks.length).toBeGreaterThan(2);
    for (const t of ticks) {
      expect(t).toBeGreaterThan(0);
      expect(Math.log10(t)).toBeCloseTo(Math.round(Math.log10(t)), 9);
    }
    const legend = one(root, 'legend');
    expect(legend.children.filter((c) => c.name === 'text').map((c) => c.text)).toEqual(['physical Hessian', 'cost Hessian']);
    expect(one(root, 'title').text).toBe('spectra');
    expect(byClass(root, 'note')).toHaveLength(0);
  });

  it('x ticks are integers (an index)', () => {
    const root = wellFormed(spectrumFigure([{ label: 'a', values: [1, 2, 3] }]));
    for (const t of one(root, 'x-ticks').children) expect(Number.isInteger(Number(t.text))).toBe(true);
  });

  it('empty input: no series, empty series', () => {
    const none = wellFormed(spectrumFigure([]));
    expect(byClass(none, 'series')).toHaveLength(0);
    expect(noteOf(none)).toContain('no data');
    const empty = wellFormed(spectrumFigure([{ label: 'empty', values: [] }]));
    const g = one(empty, 'series');
    expect(g.children).toHaveLength(0);
    expect(noteOf(empty)).toContain('no data');
  });

  it('a single point: one marker, no line', () => {
    const root = wellFormed(spectrumFigure([{ label: 'one', values: [3.5] }]));
    const g = one(root, 'series');
    expect(count(g, 'path')).toBe(0);
    expect(count(g, 'circle')).toBe(1);
  });

  it('all-equal values on linear and log axes', () => {
    for (const logY of [true, false]) {
      const root = wellFormed(spectrumFigure([{ label: 'flat', values: [2, 2, 2, 2] }], { logY }));
      expect(count(one(root, 'series'), 'circle')).toBe(4);
      expect(one(root, 'y-ticks').children.length).toBeGreaterThan(1);
    }
    const zeros = wellFormed(spectrumFigure([{ label: 'zero', values: [0, 0, 0] }], { logY: false }));
    expect(count(one(zeros, 'series'), 'circle')).toBe(3);
  });

  it('NaN, Infinity and non-positive values are skipped, break the line and are counted', () => {
    const svg = spectrumFigure([{ label: 'bad', values: [1, NaN, 2, 3, Infinity, -Infinity, 0, -5, 4, 5] }]);
    const root = wellFormed(svg);
    const g = one(root, 'series');
    expect(count(g, 'circle')).toBe(5); // 1, 2, 3, 4, 5
    const d = g.children.find((c) => c.name === 'path')!.attrs.d;
    expect(d.match(/M/g)).toHaveLength(2); // runs [2, 3] and [4, 5]; 1 is isolated
    const note = noteOf(root);
    expect(note).toContain('3 non-finite values');
    expect(note).toContain('2 non-positive values');
    // on a linear axis the negative values are drawn
    const lin = wellFormed(spectrumFigure([{ label: 'bad', values: [1, NaN, 2, 3, Infinity, -Infinity, 0, -5, 4, 5] }], { logY: false }));
    expect(count(one(lin, 'series'), 'circle')).toBe(7);
    expect(noteOf(lin)).not.toContain('non-positive');
  });

  it('negative values only on a log axis: nothing plotted, a note', () => {
    const root = wellFormed(spectrumFigure([{ label: 'neg', values: [-1, -2] }]));
    expect(one(root, 'series').children).toHaveLength(0);
    expect(noteOf(root)).toContain('2 non-positive values');
    for (const t of one(root, 'y-ticks').children) expect(Math.log10(Number(t.text))).toBeCloseTo(Math.round(Math.log10(Number(t.text))), 12);
  });

  it('labels and titles with <&> characters are escaped', () => {
    const svg = spectrumFigure([{ label: 'H<sub> & "x"', values: [1, 2] }], { title: 'a<b>&c', xLabel: '<i>', yLabel: 'λ & μ' });
    const root = wellFormed(svg);
    expect(svg).not.toContain('H<sub>');
    expect(one(root, 'title').text).toBe('a<b>&c');
    expect(one(root, 'x-label').text).toBe('<i>');
    expect(one(root, 'y-label').text).toBe('λ & μ');
    expect(one(root, 'legend').children.find((c) => c.name === 'text')!.text).toBe('H<sub> & "x"');
  });

  it('long spectra: a line only, no markers', () => {
    const root = wellFormed(spectrumFigure([{ label: 'long', values: Float64Array.from({ length: 500 }, (_, i) => i + 1) }]));
    const g = one(root, 'series');
    expect(count(g, 'path')).toBe(1);
    expect(count(g, 'circle')).toBe(0);
  });

  it('validates its input', () => {
    expectInvalid(() => spectrumFigure({} as never), 'series');
    expectInvalid(() => spectrumFigure([{ label: 'a', values: 3 as never }]), 'series[0].values');
    expectInvalid(() => spectrumFigure([{ label: 1 as never, values: [] }]), 'series[0].label');
    expectInvalid(() => spectrumFigure([], { width: NaN }), 'width');
    expectInvalid(() => spectrumFigure([], { height: 10 }), 'height');
    expectInvalid(() => spectrumFigure([], { logY: 'yes' as never }), 'logY');
  });
});

// ------------------------------------------------------------------ trajectoryFigure

describe('trajectoryFigure', () => {
  const steps = Array.from({ length: 30 }, (_, i) => i * 10);

  it('one line per tracked eigenvalue, x label `step` by default', () => {
    const series = [0, 1, 2].map((k) => ({ label: `λ${k}`, values: steps.map((s) => 10 ** (k - 2) * Math.exp(-s / 200)) }));
    const root = wellFormed(trajectoryFigure(steps, series));
    const gs = byClass(root, 'series');
    expect(gs).toHaveLength(3);
    for (const g of gs) {
      expect(count(g, 'path')).toBe(1);
      expect(count(g, 'circle')).toBe(30);
    }
    expect(one(root, 'x-label').text).toBe('step');
    for (const t of one(root, 'y-ticks').children) expect(Math.log10(Number(t.text))).toBeCloseTo(Math.round(Math.log10(Number(t.text))), 12);
  });

  it('edge cases: empty, single point, all equal, NaN and Infinity in steps and values', () => {
    wellFormed(trajectoryFigure([], []));
    const empty = wellFormed(trajectoryFigure([], [{ label: 'e', values: [] }]));
    expect(noteOf(empty)).toContain('no data');
    const single = wellFormed(trajectoryFigure([5], [{ label: 's', values: [0.1] }]));
    expect(count(one(single, 'series'), 'circle')).toBe(1);
    const flat = wellFormed(trajectoryFigure([1, 1, 1], [{ label: 'f', values: [7, 7, 7] }], { logY: false }));
    expect(count(one(flat, 'series'), 'circle')).toBe(3);
    const bad = wellFormed(trajectoryFigure([0, NaN, 2, 3, Infinity], [{ label: 'b', values: [1, 2, NaN, -1, 5] }]));
    expect(count(one(bad, 'series'), 'circle')).toBe(1);
    expect(noteOf(bad)).toContain('3 non-finite values');
    expect(noteOf(bad)).toContain('1 non-positive value ');
  });

  it('long trajectories: lines without markers', () => {
    const s = Float64Array.from({ length: 1000 }, (_, i) => i);
    const root = wellFormed(trajectoryFigure(s, [{ label: 'x', values: Float64Array.from(s, (v) => 1 + v) }]));
    expect(count(one(root, 'series'), 'circle')).toBe(0);
    expect(count(one(root, 'series'), 'path')).toBe(1);
  });

  it('rejects series of the wrong length, naming the parameter', () => {
    expectInvalid(() => trajectoryFigure([1, 2, 3], [{ label: 'a', values: [1, 2, 3] }, { label: 'b', values: [1, 2] }]), 'series[1].values');
    expectInvalid(() => trajectoryFigure(null as never, []), 'steps');
    expectInvalid(() => trajectoryFigure([1], 'x' as never), 'series');
  });
});

// ------------------------------------------------------------------ networkFigure

describe('networkFigure', () => {
  const net = latticeNetwork({ rows: 4, cols: 5 }); // 20 nodes, 31 edges
  const pos = net.positions!;
  const E = net.edgeA.length;

  it('one line per edge and one circle per node, with labels for a small network', () => {
    const root = wellFormed(networkFigure(pos, net.edgeA, net.edgeB, { title: 'lattice 4x5' }));
    expect(count(one(root, 'edges'), 'line')).toBe(E);
    expect(count(one(root, 'nodes'), 'circle')).toBe(20);
    const labels = byClass(root, 'label');
    expect(labels.map((l) => l.text)).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    expect(byClass(root, 'colorbar')).toHaveLength(0);
  });

  it('equal aspect ratio: unit lattice steps have the same length in x and y', () => {
    const root = wellFormed(networkFigure(pos, net.edgeA, net.edgeB, { width: 900, height: 400 }));
    const lines = one(root, 'edges').children;
    const len = (l: XmlNode): number => Math.hypot(Number(l.attrs.x2) - Number(l.attrs.x1), Number(l.attrs.y2) - Number(l.attrs.y1));
    const lengths = lines.map(len);
    expect(Math.max(...lengths) - Math.min(...lengths)).toBeLessThan(0.05);
    for (const l of lines) {
      for (const k of ['x1', 'x2']) expect(Number(l.attrs[k])).toBeLessThanOrEqual(900);
      for (const k of ['y1', 'y2']) expect(Number(l.attrs[k])).toBeLessThanOrEqual(400);
    }
  });

  it('edge colours follow the values: the largest gets the top colour, the smallest the bottom one', () => {
    const values = Float64Array.from({ length: E }, (_, e) => Math.sin(e) * 3);
    let hi = 0;
    let lo = 0;
    values.forEach((v, e) => {
      if (v > values[hi]) hi = e;
      if (v < values[lo]) lo = e;
    });
    const root = wellFormed(networkFigure(pos, net.edgeA, net.edgeB, { edgeValues: values }));
    const lines = one(root, 'edges').children;
    expect(lines[hi].attrs.stroke).toBe(sequential(1));
    expect(lines[lo].attrs.stroke).toBe(sequential(0));
    expect(byClass(root, 'colorbar')).toHaveLength(1);
    const div = wellFormed(networkFigure(pos, net.edgeA, net.edgeB, { edgeValues: values, edgeScale: 'diverging' }));
    const dl = one(div, 'edges').children;
    const maxAbs = Math.max(...values.map(Math.abs));
    expect(dl[hi].attrs.stroke).toBe(diverging(values[hi] / maxAbs));
    const zero = Float64Array.from(values);
    zero[3] = 0;
    expect(one(wellFormed(networkFigure(pos, net.edgeA, net.edgeB, { edgeValues: zero, edgeScale: 'diverging' })), 'edges').children[3].attrs.stroke).toBe('#ffffff');
  });

  it('NaN and Infinity edge values: drawn (grey / clamped), counted, not in the output', () => {
    const values = Float64Array.from({ length: E }, (_, e) => e);
    values[0] = NaN;
    values[1] = Infinity;
    values[2] = -Infinity;
    const root = wellFormed(networkFigure(pos, net.edgeA, net.edgeB, { edgeValues: values, nodeValues: new Float64Array(20).fill(NaN) }));
    const lines = one(root, 'edges').children;
    expect(lines).toHaveLength(E);
    expect(lines[1].attrs.stroke).toBe(sequential(1));
    expect(lines[2].attrs.stroke).toBe(sequential(0));
    expect(lines[E - 1].attrs.stroke).toBe(sequential(1));
    expect(lines[0].attrs.stroke).toBe(sequential(NaN));
    expect(noteOf(root)).toContain('3 non-finite edge values');
    expect(noteOf(root)).toContain('20 non-finite node values');
  });

  it('all-equal values use the middle of the map', () => {
    const root = wellFormed(networkFigure(pos, net.edgeA, net.edgeB, { edgeValues: new Float64Array(E).fill(2), nodeValues: new Float64Array(20).fill(0), nodeScale: 'diverging' }));
    for (const l of one(root, 'edges').children) expect(l.attrs.stroke).toBe(sequential(0.5));
    for (const c of one(root, 'nodes').children) expect(c.attrs.fill).toBe('#ffffff');
    expect(byClass(root, 'colorbar')).toHaveLength(2);
  });

  it('highlighted edges, regions and roles appear with a legend', () => {
    const regions = Array.from({ length: 20 }, (_, i) => (i % 5 < 2 ? 0 : i % 5 < 4 ? 1 : -1));
    const root = wellFormed(
      networkFigure(pos, net.edgeA, net.edgeB, {
        highlightEdges: [1, 5, 5, 9],
        nodeRegions: regions,
        nodeRoles: { sources: [0, 4], ground: [19], targets: [7, 8, 9] },
      }),
    );
    const hl = one(root, 'highlight');
    expect(count(hl, 'line')).toBe(3);
    const edgeLines = one(root, 'edges').children;
    expect(hl.children[1].attrs.x1).toBe(edgeLines[5].attrs.x1);
    expect(Number(hl.attrs['stroke-width'])).toBeGreaterThan(Number(one(root, 'edges').attrs['stroke-width']));
    expect(byClass(root, 'source')).toHaveLength(2);
    expect(byClass(root, 'ground')).toHaveLength(1);
    expect(byClass(root, 'target')).toHaveLength(3);
    const circles = one(root, 'nodes').children;
    expect(circles[0].attrs.fill).not.toBe(circles[2].attrs.fill);
    expect(circles[4].attrs.fill).toBeUndefined(); // no region: the group's white
    const legendTexts = one(root, 'legend').children.filter((c) => c.name === 'text').map((c) => c.text);
    expect(legendTexts).toEqual(['source', 'ground', 'target', 'region 0', 'region 1', 'highlighted']);
  });

  it('periodic networks: wrap-around edges are dashed', () => {
    const torus = latticeNetwork({ rows: 4, cols: 6, periodic: true });
    const root = wellFormed(networkFigure(torus.positions!, torus.edgeA, torus.edgeB));
    const lines = one(root, 'edges').children;
    const dashed = lines.filter((l) => l.attrs['stroke-dasharray'] !== undefined).length;
    expect(dashed).toBe(4 + 6); // one wrap edge per row and per column
  });

  it('edge cases: no nodes, one node, no edges, coincident nodes, labels with a title <&>', () => {
    const empty = wellFormed(networkFigure(new Float64Array(0), new Int32Array(0), new Int32Array(0)));
    expect(noteOf(empty)).toContain('no nodes');
    const single = wellFormed(networkFigure(Float64Array.of(3, 4), new Int32Array(0), new Int32Array(0), { title: '<&>' }));
    expect(count(one(single, 'nodes'), 'circle')).toBe(1);
    expect(one(single, 'title').text).toBe('<&>');
    const same = wellFormed(networkFigure(Float64Array.of(1, 1, 1, 1), Int32Array.of(0), Int32Array.of(1), { edgeValues: [5] }));
    expect(count(one(same, 'edges'), 'line')).toBe(1);
  });

  it('a 128x128 lattice stays small: batched edges, no labels, coloured nodes drawn', () => {
    const big = latticeNetwork({ rows: 128, cols: 128, periodic: true });
    const E2 = big.edgeA.length;
    const plain = networkFigure(big.positions!, big.edgeA, big.edgeB);
    expect(plain.length).toBeLessThan(2e6);
    const root = wellFormed(plain);
    expect(byClass(root, 'label')).toHaveLength(0);
    expect(byClass(root, 'nodes')).toHaveLength(0);
    expect(noteOf(root)).toContain('node markers omitted');
    const subpaths = one(root, 'edges').children.reduce((s, p) => s + p.attrs.d.split('M').length - 1, 0);
    expect(subpaths).toBe(E2);
    const values = Float64Array.from({ length: E2 }, (_, e) => (e % 97) / 97);
    const amp = Float64Array.from({ length: 128 * 128 }, (_, i) => Math.sin(i / 50));
    const coloured = networkFigure(big.positions!, big.edgeA, big.edgeB, { edgeValues: values, nodeValues: amp, nodeScale: 'diverging', labels: true });
    expect(coloured.length).toBeLessThan(3e6);
    const r2 = wellFormed(coloured);
    expect(byClass(r2, 'label')).toHaveLength(0);
    expect(count(one(r2, 'nodes'), 'circle')).toBe(128 * 128);
    const strokes = new Set(one(r2, 'edges').children.map((p) => p.attrs.stroke));
    expect(strokes.has(sequential(1))).toBe(true);
    expect(strokes.size).toBeLessThanOrEqual(65);
  });

  it('validates its input, naming the parameter', () => {
    expectInvalid(() => networkFigure(Float64Array.of(0, 0, 1), Int32Array.of(0), Int32Array.of(0)), 'positions');
    expectInvalid(() => networkFigure(Float64Array.of(0, NaN), new Int32Array(0), new Int32Array(0)), 'positions[1]');
    expectInvalid(() => networkFigure(pos, net.edgeA, net.edgeB.subarray(1)), 'edgeB');
    expectInvalid(() => networkFigure(pos, Int32Array.of(0, 20), Int32Array.of(1, 2)), 'edgeA[1]');
    expectInvalid(() => networkFigure(pos, net.edgeA, net.edgeB, { edgeValues: new Float64Array(E - 1) }), 'edgeValues');
    expectInvalid(() => networkFigure(pos, net.edgeA, net.edgeB, { nodeValues: new Float64Array(21) }), 'nodeValues');
    expectInvalid(() => networkFigure(pos, net.edgeA, net.edgeB, { nodeRegions: new Array(19).fill(0) }), 'nodeRegions');
    expectInvalid(() => networkFigure(pos, net.edgeA, net.edgeB, { nodeRegions: new Array(20).fill(-2) }), 'nodeRegions[0]');
    expectInvalid(() => networkFigure(pos, net.edgeA, net.edgeB, { highlightEdges: [E] }), 'highlightEdges[0]');
    expectInvalid(() => networkFigure(pos, net.edgeA, net.edgeB, { nodeRoles: { targets: [0, 1.5] } }), 'nodeRoles.targets[1]');
    expectInvalid(() => networkFigure(pos, net.edgeA, net.edgeB, { edgeScale: 'rainbow' as never }), 'edgeScale');
  });
});
