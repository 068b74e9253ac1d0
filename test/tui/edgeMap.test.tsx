/**
 * Issue 15 point 6: the edge heat map is drawn on the network's layout (the board models' 4 x 4 lattices), not as a
 * strip in edge order. The truth here is the lattice geometry itself: node i of a 4 x 4 board sits at column i % 4,
 * row floor(i / 4); each edge's digit is its setting's tenth of the range, computed here from the settings.
 */
import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { boardModelNetwork } from '../../src/pipeline/boardModels.js';
import type { EdgesState } from '../../src/tui/state/types.js';
import { edgeMap, type EdgeMap } from '../../src/tui/views/edgeMap.js';
import { edgeMapRuns, EdgesPanel, edgesPanelHeights } from '../../src/tui/views/EdgesPanel.js';

afterEach(() => cleanup());
// eslint-disable-next-line no-control-regex
const ANSI = /\u001B\[[0-9;]*m/g;

const TAPS = 128;
/** Settings spread over the whole range, different per edge. */
const settingsFor = (edges: number): Float64Array => Float64Array.from({ length: edges }, (_, e) => (e * 37) % TAPS);
const tenth = (s: number): string => String(Math.min(9, Math.floor((s / (TAPS - 1)) * 10)));

function board(model: string) {
  const net = boardModelNetwork(model);
  const settings = settingsFor(net.edgeA.length);
  return { net, settings, input: { nodes: net.nodes, positions: net.positions ?? null, edgeA: net.edgeA, edgeB: net.edgeB, settings, range: [0, TAPS - 1] as [number, number] } };
}

const text = (m: EdgeMap): string[] => m.cells.map((r) => r.map((c) => c.ch).join(''));

/** The node labels of the map (characters that belong to no edge), by number: where each label ends. */
function labels(m: EdgeMap): Map<number, [number, number]> {
  const out = new Map<number, [number, number]>();
  m.cells.forEach((row, y) => {
    let s = '';
    row.forEach((c, x) => {
      const isLabel = c.edge < 0 && /\d/.test(c.ch);
      if (isLabel) s += c.ch;
      if (s && (!isLabel || x === row.length - 1)) {
        out.set(Number(s), [isLabel ? x : x - 1, y]);
        s = '';
      }
    });
  });
  return out;
}

describe('edgeMap on the board models (80 columns)', () => {
  for (const model of ['penn-gen1', 'penn-gen2', 'clln-ref16']) {
    it(`${model}: the 16 nodes on their 4 x 4 lattice, every edge's digit between its two nodes`, () => {
      const { net, settings, input } = board(model);
      const m = edgeMap(input, 80, 40)!;
      expect(m).not.toBeNull();
      expect(m.width).toBeLessThanOrEqual(80);
      const lines = text(m);
      // the label of node i ends at (x0 + (i % 4) * dx, y0 + floor(i / 4) * dy): x0, y0 from node 0, dx from node
      // 1, dy from node 4, and all 16 checked
      const spots = labels(m);
      expect([...spots.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, i) => i));
      const find = (i: number): [number, number] => spots.get(i)!;
      const [x0, y0] = find(0);
      const dx = find(1)[0] - x0;
      const dy = find(4)[1] - y0;
      expect(dx).toBeGreaterThanOrEqual(4);
      expect(dy).toBeGreaterThanOrEqual(2);
      for (let i = 0; i < 16; i++) expect(find(i), `node ${i}`).toEqual([x0 + (i % 4) * dx, y0 + Math.floor(i / 4) * dy]);
      // each edge between lattice neighbours (no wrap): its digit lies strictly inside the box between its nodes,
      // on the straight line, and is the setting's tenth
      let checked = 0;
      for (let e = 0; e < net.edgeA.length; e++) {
        const [a, b] = [net.edgeA[e], net.edgeB[e]];
        const [ca, ra, cb, rb] = [a % 4, Math.floor(a / 4), b % 4, Math.floor(b / 4)];
        if (Math.abs(ca - cb) > 1 || Math.abs(ra - rb) > 1) continue;
        const [xa, ya] = [x0 + ca * dx, y0 + ra * dy];
        const [xb, yb] = [x0 + cb * dx, y0 + rb * dy];
        const cells: [number, number][] = [];
        m.cells.forEach((row, y) => row.forEach((c, x) => c.edge === e && cells.push([x, y])));
        const digits = cells.filter(([x, y]) => /\d/.test(lines[y][x]));
        expect(digits, `edge ${a}-${b}`).toHaveLength(1);
        const [x, y] = digits[0];
        expect(lines[y][x], `edge ${a}-${b}`).toBe(tenth(settings[e]));
        expect(x).toBeGreaterThanOrEqual(Math.min(xa, xb) - 1);
        expect(x).toBeLessThanOrEqual(Math.max(xa, xb));
        expect(y).toBeGreaterThanOrEqual(Math.min(ya, yb));
        expect(y).toBeLessThanOrEqual(Math.max(ya, yb));
        if (ya === yb) expect(y).toBe(ya);
        if (ca === cb) expect(x).toBe(xa);
        checked++;
      }
      expect(checked).toBe(model === 'penn-gen2' ? 24 : net.edgeA.length);
    });
  }

  it('penn-gen2: the wrap-around edges of its torus are stubs leaving one border and coming back at the other', () => {
    const { net, settings, input } = board('penn-gen2');
    const m = edgeMap(input, 80, 40)!;
    const lines = text(m);
    expect(m.stubs).toBe(8);
    const e30 = [...net.edgeA].findIndex((a, e) => a === 3 && net.edgeB[e] === 0);
    const e120 = [...net.edgeA].findIndex((a, e) => a === 12 && net.edgeB[e] === 0);
    // node 0's row: `d─ 0` on the left border, `3─d` on the right
    const row0 = lines.find((l) => /\b0──/.test(l))!;
    expect(row0).toMatch(new RegExp(`^${tenth(settings[e30 ])}─ 0`));
    expect(row0).toMatch(new RegExp(` 3─${tenth(settings[e30])}$`));
    // the vertical wrap 12-0: its digit right above node 0 and right below node 12
    const y0 = lines.indexOf(row0);
    const x0 = row0.indexOf(' 0') + 1;
    expect(lines[y0 - 1][x0]).toBe(tenth(settings[e120]));
    const y12 = lines.findIndex((l) => /12──/.test(l));
    expect(lines[y12 + 1][lines[y12].indexOf('12') + 1]).toBe(tenth(settings[e120]));
  });

  it('does not fit: null (the panel shows the strip instead)', () => {
    expect(edgeMap(board('penn-gen1').input, 12, 40)).toBeNull();
    expect(edgeMap(board('penn-gen1').input, 80, 5)).toBeNull();
  });
});

describe('EdgesPanel on the layout', () => {
  const gen1 = (): EdgesState => {
    const { net, settings } = board('penn-gen1');
    return { settings, kind: 'tap', range: [0, TAPS - 1], edgeA: net.edgeA, edgeB: net.edgeB, positions: net.positions ?? null };
  };

  it('draws the lattice at 80 columns with the scale in the header, each edge in its heat colour', () => {
    const e = gen1();
    const h = edgesPanelHeights(e, 80);
    expect(h.full).toBeGreaterThan(h.compact);
    const r = render(<EdgesPanel edges={e} width={80} height={h.full} />);
    const raw = r.lastFrame() ?? '';
    const f = raw.replace(ANSI, '').split('\n');
    expect(f).toHaveLength(h.full);
    expect(f[0]).toMatch(/^Edges {2}33 taps 0…127; digit: tenth of range 0 low…9 high/);
    expect(f[1]).toMatch(/^ 0──\d── 1──\d── 2──\d── 3/);
    expect(f.at(-1)).toMatch(/^12──\d──13──\d──14──\d──15/);
    for (const l of f) expect(l.length).toBeLessThanOrEqual(80);
    // colours: edge 0 (0-1, setting 0) is the scale's low end, blue; edge 1 (0-4, setting 37 of 127: 0.29 of the
    // range, the second of five colours) cyan; the labels bold and uncoloured
    const runs = edgeMapRuns(e, edgeMap({ nodes: 16, positions: e.positions!, edgeA: e.edgeA, edgeB: e.edgeB, settings: e.settings, range: e.range }, 80, h.full - 1)!);
    expect(runs[0].map((r) => [r.text, r.color, r.bold]).slice(0, 4)).toEqual([[' ', undefined, false], ['0', undefined, true], ['──0──', 'blue', false], [' ', undefined, false]]);
    expect(runs[1].find((r) => r.text.includes('│'))?.color).toBe('cyan');
    const compact = render(<EdgesPanel edges={e} width={80} height={h.compact} />).lastFrame()!.replace(ANSI, '').split('\n');
    expect(compact[1]).toMatch(/^ 0──\d── 1/);
    expect(compact).toHaveLength(h.compact);
  });

  it('shows the topology before the settings are read', () => {
    const f = render(<EdgesPanel edges={{ ...gen1(), settings: null }} width={80} height={20} />).lastFrame()!.replace(ANSI, '');
    expect(f).toMatch(/ 0──·── 1/);
  });
});

describe('edgeMap on a spectral layout (a network without positions)', () => {
  it('squeezes the layout into the room there is: every node once, every edge with its digit', async () => {
    const { randomGraphNetwork } = await import('../../src/physics/generators/randomGraph.js');
    const { spectralLayout } = await import('../../src/diagnostics/diagnoseNetwork.js');
    const net = randomGraphNetwork({ nodes: 12, meanDegree: 3, seed: 4 });
    const settings = settingsFor(net.edgeA.length);
    const m = edgeMap({ nodes: 12, positions: spectralLayout(net), edgeA: net.edgeA, edgeB: net.edgeB, settings, range: [0, TAPS - 1] }, 80, 16)!;
    expect(m).not.toBeNull();
    expect(m.width).toBeLessThanOrEqual(80);
    expect(m.height).toBeLessThanOrEqual(16);
    expect([...labels(m).keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    const lines = text(m);
    for (let e = 0; e < net.edgeA.length; e++) {
      const digits: string[] = [];
      m.cells.forEach((row, y) => row.forEach((c, x) => c.edge === e && /\d/.test(lines[y][x]) && digits.push(lines[y][x])));
      // one digit on a line, two on stubs; always the setting's tenth
      expect(digits.length, `edge ${e}`).toBeGreaterThanOrEqual(1);
      for (const d of digits) expect(d).toBe(tenth(settings[e]));
    }
  });
});

describe('the dashboard on an 80-column terminal', () => {
  it('shows penn-gen1\'s edges on its lattice (stacked layout, 80 x 40)', async () => {
    const { initialDashboard } = await import('../../src/tui/state/dashboardReducer.js');
    const { Dashboard } = await import('../../src/tui/views/Dashboard.js');
    const { net, settings } = board('penn-gen1');
    const s0 = initialDashboard({
      port: 'twin',
      title: 'gen1',
      steps: 100,
      edgeKind: 'tap',
      settingRange: [0, TAPS - 1],
      edgeA: net.edgeA,
      edgeB: net.edgeB,
      sources: [0, 3],
      ground: [15],
      targets: [9, 10],
      positions: net.positions ?? null,
    });
    const state = { ...s0, edges: { ...s0.edges, settings } };
    const f = render(<Dashboard state={state} columns={80} rows={40} now={0} />).lastFrame()!.replace(ANSI, '').split('\n');
    expect(f.length).toBeLessThanOrEqual(39);
    for (const l of f) expect(l.length).toBeLessThanOrEqual(80);
    const head = f.findIndex((l) => l.startsWith('Edges'));
    expect(head).toBeGreaterThanOrEqual(0);
    expect(f[head + 1]).toMatch(/^ 0──\d── 1──\d── 2──\d── 3$/);
    expect(f.some((l) => /^12──\d──13──\d──14──\d──15$/.test(l))).toBe(true);
  });
});
