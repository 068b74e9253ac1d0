/**
 * Issue 14 point 4: `clln import spice` (parseSpiceNetlist) on every construct it reads, every refusal (exit 2 naming
 * the file, the line, the rule and the fix), bounded work on hostile input, and the round trip export -> import.
 */
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import { parseSpiceNetlist } from '../../src/formats/spice/readNetlist.js';
import { spiceNumber, valueOf } from '../../src/formats/spice/expression.js';
import { writeSpiceNetlist } from '../../src/formats/spice/writeNetlist.js';
import { ngspiceThermalVoltage } from '../../src/formats/spice/ngspiceTemperature.js';
import { networkToJson } from '../../src/formats/networkFile.js';
import { THERMAL_VOLTAGE } from '../../src/physics/nonlinear/EdgeElement.js';
import type { Network } from '../../src/physics/Network.js';

const read = (text: string) => parseSpiceNetlist(text, 'c.cir');

/** The InvalidInputError of importing `text`. */
function refusal(text: string): InvalidInputError {
  try {
    read(text);
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidInputError);
    return e as InvalidInputError;
  }
  throw new Error('expected a refusal');
}

describe('SPICE numbers and expressions', () => {
  it('reads every scale suffix, mil, units after the suffix and exponents, as the correctly rounded decimal', () => {
    const cases: [string, number][] = [
      ['1f', 1e-15], ['2.2p', 2.2e-12], ['3n', 3e-9], ['4.7u', 4.7e-6], ['5m', 5e-3], ['10k', 1e4], ['1.5meg', 1.5e6],
      ['2g', 2e9], ['3t', 3e12], ['1mil', 25.4e-6], ['10kohm', 1e4], ['5v', 5], ['1e-3', 1e-3], ['-2.5e+2', -250],
      ['.5', 0.5], ['1.5e-3u', 1.5e-9], ['1a', 1e-18],
    ];
    for (const [text, v] of cases) expect(spiceNumber(text), text).toBe(v);
    expect(spiceNumber('k10')).toBeUndefined();
    expect(spiceNumber('1.2.3')).toBeUndefined();
  });
  it('evaluates {expressions} with parameters, precedence, power, unary minus and functions', () => {
    const p = new Map([['a', 2], ['b', 3]]);
    expect(valueOf('{a*b}', p)).toBe(6);
    expect(valueOf('{a+b*2}', p)).toBe(8);
    expect(valueOf('{(a+b)*2}', p)).toBe(10);
    expect(valueOf('{-a^2}', p)).toBe(-4);
    expect(valueOf('{2**3**2}', p)).toBe(512);
    expect(valueOf('{1k/a}', p)).toBe(500);
    expect(valueOf('{sqrt(a*8)+max(a,b)}', p)).toBe(7);
    expect(valueOf("'a*b'", p)).toBe(6);
    // {1/k} as a conductance gives k exactly, unrounded
    expect(valueOf('{1/0.0003}', p, true)).toBe(0.0003);
  });
});

describe('clln import spice: constructs', () => {
  it('R, D with .model, V sources, comments, continuations, case and the title line', () => {
    const r = read(
      [
        'My Circuit',
        '* a comment',
        'V1 IN 0 DC 2 ; inline comment',
        'R1 in mid 1K',
        'd1 mid 0',
        '+ DMOD',
        '.MODEL dmod D (IS=1e-12 N=1.5 RS=10 CJO=1p)',
        '.op',
        '.end',
        'R9 after end 1',
      ].join('\n'),
    );
    expect(r.network.name).toBe('My Circuit');
    expect(r.nodeNames).toEqual(['in', 'mid', '0']);
    expect(Array.from(r.network.edgeA)).toEqual([0, 1]);
    expect(Array.from(r.network.edgeB)).toEqual([1, 2]);
    expect(r.network.conductance[0]).toBe(1e-3);
    // the default TEMP = TNOM = 27 C: n scaled so that n V_T is ngspice's at 27 C
    const scale = ngspiceThermalVoltage(27) / THERMAL_VOLTAGE;
    expect(r.network.elements![1]).toEqual({ kind: 'diode', is: 1e-12, n: 1.5 * scale, rs: 10 });
    expect([...r.fixed].sort((x, y) => x[0] - y[0])).toEqual([[0, 2], [2, 0]]);
  });

  it('.temp and .options TEMP/TNOM set the temperature of V_T; gnd is node 0; AC parts and .control blocks are ignored', () => {
    const text = (opts: string) =>
      ['t', opts, 'V1 a gnd DC 1 AC 1 0', '* a comment between continuations', 'R1 a', '+ b', '* another', '+ 1k', 'D1 b gnd dm', '.model dm D (N=2)', '.control', 'op', 'R5 x y 1', '.endc'].join('\n');
    const at = (c: number) => ngspiceThermalVoltage(c) / THERMAL_VOLTAGE;
    const r = read(text('.temp 50\n.options TNOM=50'));
    expect(r.nodeNames).toEqual(['a', 'b', 'gnd']);
    expect(r.network.elements![1]).toEqual({ kind: 'diode', is: 1e-14, n: 2 * at(50) });
    expect(r.fixed.get(0)).toBe(1);
    expect(r.fixed.get(2)).toBe(0);
    expect(r.network.conductance[0]).toBe(1e-3);
    expect(refusal(text('.options tnom=25')).message).toMatch(/line 2: TEMP \(27 C\) differs from TNOM \(25 C\)/);
  });

  it('.param with {expressions}, bare .param expressions, R=, m= and diode area', () => {
    const r = read(['t', '.param r0=1k g=2', '.param r1={r0*g} r2=r1+500', 'V1 a 0 1', 'R1 a b {r1}', 'R2 b 0 r={r2} m=2', 'D1 a c dm 2', 'R3 c 0 1', '.model dm D IS=1e-14'].join('\n'));
    expect(r.network.conductance[0]).toBe(1 / 2000);
    expect(r.network.conductance[1]).toBe(2 / 2500);
    expect(r.network.elements![2]).toMatchObject({ kind: 'diode', is: 2e-14 });
  });

  it('.subckt flattened through X instances, with parameters, internal nodes and nesting', () => {
    const r = read(
      [
        't',
        '.subckt div top bot params: rt=1k',
        'R1 top mid {rt}',
        'R2 mid bot {rt*2}',
        '.ends',
        '.subckt two a b',
        'X1 a m div rt=2k',
        'X2 m b div',
        '.ends',
        'V1 in 0 3',
        'Xtop in 0 two',
      ].join('\n'),
    );
    expect(r.nodeNames).toEqual(['in', 'xtop.x1.mid', 'xtop.m', 'xtop.x2.mid', '0']);
    expect(Array.from(r.network.conductance)).toEqual([1 / 2000, 1 / 4000, 1 / 1000, 1 / 2000]);
    expect([...r.fixed].sort((x, y) => x[0] - y[0])).toEqual([[0, 3], [4, 0]]);
  });

  it('voltage sources stacked on each other fix every node relative to 0; parallel resistors merge', () => {
    const r = read(['t', 'V1 a 0 1', 'V2 b a 0.5', 'R1 a b 100', 'R2 b a 100', 'R3 b c 1k', 'R4 c 0 1k'].join('\n'));
    expect(r.network.conductance[0]).toBe(0.02);
    expect(r.fixed.get(r.nodeNames.indexOf('b'))).toBe(1.5);
    // 0 touches an element: it is a node, imposed at 0 V
    expect(r.fixed.get(r.nodeNames.indexOf('0'))).toBe(0);
  });
});

describe('clln import spice: refusals name the file, the line, the rule and the fix', () => {
  const cases: [string, string, RegExp][] = [
    ['capacitor', 't\nV1 a 0 1\nR1 a 0 1\nC1 a 0 1p', /line 4: unsupported element c1 \(capacitor\).*open circuit/],
    ['inductor', 't\nV1 a 0 1\nR1 a 0 1\nL1 a 0 1u', /line 4: .*inductor/],
    ['foreign MOSFET', 't\nV1 a 0 1\nVg g 0 2\nR1 a b 1\nM1 b g 0 0 nm\n.model nm NMOS (LEVEL=3 KP=1e-3 VTO=1)', /line 6: .*not the one clln export writes/],
    ['waveform source', 't\nV1 a 0 PULSE(0 1 0 1n 1n 1u 2u)\nR1 a 0 1', /line 2: .*pulse waveform.*DC/],
    ['undefined parameter', 't\nV1 a 0 1\nR1 a 0 {rx}', /line 3: parameter "rx" is not defined/],
    ['bare parameter', 't\nV1 a 0 1\nR1 a 0 rx', /line 3: "rx" is not a number.*\{rx\}/],
    ['bad expression', 't\nV1 a 0 1\nR1 a 0 {(1+2}', /line 3: expected \)/],
    ['missing model', 't\nV1 a 0 1\nD1 a 0 dx', /line 3: model dx of diode d1 is not defined/],
    ['breakdown', 't\nV1 a 0 1\nD1 a 0 dz\n.model dz D (IS=1e-14 BV=5)', /line 4: diode model parameter BV is not supported/],
    ['TEMP != TNOM', 't\n.options TEMP=50\nV1 a 0 1\nR1 a 0 1', /TEMP \(50 C\) differs from TNOM \(27 C\)/],
    ['floating source', 't\nV1 a b 1\nR1 a b 1\nV2 c 0 1\nR2 c 0 1', /line 2: voltage source v1 has no path to node 0/],
    ['source loop', 't\nV1 a 0 1\nV2 a 0 2\nR1 a 0 1', /line \d: voltage source v\d closes a loop/],
    ['floating component', 't\nV1 a 0 1\nR1 a 0 1\nR2 x y 1', /line 4: node x \(of r2\) has no DC path to node 0/],
    ['diode parallel to resistor', 't\nV1 a 0 1\nR1 a 0 1\nD1 a 0 dm\n.model dm D', /line 4: d1 is in parallel with r1 \(line 3\)/],
    ['unknown subcircuit', 't\nV1 a 0 1\nX1 a 0 nothere', /line 3: subcircuit nothere of instance x1 is not defined/],
    ['pin count', 't\n.subckt s a b\nR1 a b 1\n.ends\nV1 a 0 1\nX1 a s', /line 6: instance x1 connects 1 nodes, but subcircuit s has 2 pins/],
    ['recursion', 't\n.subckt s a b\nX1 a b s\n.ends\nV1 a 0 1\nX1 a 0 s', /instantiates itself/],
    ['include', 't\n.include other.cir\nV1 a 0 1', /line 2: .include reads another file/],
    ['unknown command', 't\n.foo\nV1 a 0 1', /line 2: unsupported command .foo/],
    ['zero resistor', 't\nV1 a 0 1\nR1 a 0 0', /line 3: resistor r1 must have a finite resistance > 0/],
    ['unclosed subckt', 't\n.subckt s a b\nR1 a b 1', /line 2: .subckt s is not closed/],
    ['lone continuation', 't\n+ R1 a 0 1', /line 2: a \+ continuation line/],
    ['no source', 't\nR1 a b 1', /no node voltage is fixed/],
    ['foreign B source', 't\nV1 a 0 1\nB1 a 0 I=V(a)^2', /line 3: this B source is not one clln export writes/],
  ];
  for (const [what, text, re] of cases) {
    it(what, () => {
      const e = refusal(text);
      expect(e.message).toMatch(/^c\.cir: line \d+: /);
      expect(e.message).toMatch(re);
      expect(e.fix).toBeTruthy();
    });
  }

  it('bounded: a subcircuit that doubles 40 levels deep stops at the nesting limit, a 2^30-instance one at the element limit', () => {
    const lines = ['t', 'V1 a 0 1', 'R1 a 0 1'];
    for (let k = 0; k < 40; k++) lines.push(`.subckt s${k} p q`, `X1 p q s${k + 1}`, `X2 p q s${k + 1}`, '.ends');
    lines.push('.subckt s40 p q', 'R1 p q 1', '.ends', 'X0 a 0 s0');
    expect(refusal(lines.join('\n')).message).toMatch(/nest deeper than 32 levels/);
    const wide = ['t', 'V1 a 0 1'];
    for (let k = 0; k < 30; k++) wide.push(`.subckt w${k} p q`, ...Array.from({ length: 2 }, (_, j) => `X${j} p q w${k + 1}`), '.ends');
    wide.push('.subckt w30 p q', '.ends', 'X0 a 0 w0');
    expect(refusal(wide.join('\n')).message).toMatch(/more than 1200000 element and instance lines/);
  });

  it('bounded: a 1 MB line inside a subcircuit used 2^10 times stops at the flattened-character limit', () => {
    const lines = ['t', 'V1 a 0 1', `.subckt s0 p q`, `R1 p q 1${' '.repeat(1 << 20)}m=1`, '.ends'];
    for (let k = 1; k <= 10; k++) lines.push(`.subckt s${k} p q`, `X1 p q s${k - 1}`, `X2 p q s${k - 1}`, '.ends');
    lines.push('X0 a 0 s10');
    expect(refusal(lines.join('\n')).message).toMatch(/line 4: more than 268435456 characters of element lines/);
  });

  it('bounded: an expression nested 10,000 parentheses deep is refused, not a stack overflow', () => {
    expect(refusal(`t\nV1 a 0 1\nR1 a 0 {${'('.repeat(10000)}1${')'.repeat(10000)}}`).message).toMatch(/nests deeper than 64/);
  });
});

describe('round trip: export -> import equals the network', () => {
  it('linear, diode, transistor and table edges, with the imposed voltages', () => {
    const net: Network = {
      name: 'mixed',
      nodes: 6,
      edgeA: Int32Array.from([0, 1, 2, 3, 1, 4, 2]),
      edgeB: Int32Array.from([1, 2, 3, 4, 4, 5, 5]),
      conductance: Float64Array.from([0.0003, 1, 1, 1, 1, 1, 0.1234567890123]),
      elements: [
        null,
        { kind: 'diode', is: 1.234e-12, n: 1.7, rs: 12.5 },
        { kind: 'transistor', s: 2e-3, vt: 0.7, vg: 2.5, saturation: 'square', cutoff: 1e-7 },
        { kind: 'transistor', s: 1.5e-3, vt: -0.25, vg: 1.25, saturation: 'none', cutoff: 1e-3 },
        { kind: 'table', v: [-1, 0, 0.5, 2], i: [-1e-3, 0, 1e-4, 5e-3] },
        { kind: 'diode', is: 1e-14, n: 1 },
        null,
      ],
    };
    const fixed = new Map([[0, 1.5], [5, 0], [3, -0.25]]);
    const back = read(writeSpiceNetlist(net, fixed));
    expect(back.fixed).toEqual(fixed);
    const a = networkToJson(net);
    const b = networkToJson(back.network);
    expect(b.nodes).toBe(a.nodes);
    expect(b.edges).toEqual(a.edges);
    // the cut-off comes back as leak / s: equal to rounding
    const [t2, t3] = [b.elements![2], b.elements![3]] as { cutoff: number }[];
    expect(t2.cutoff).toBeCloseTo(1e-7, 20);
    expect(Math.abs(t2.cutoff / 1e-7 - 1)).toBeLessThan(1e-15);
    expect(Math.abs(t3.cutoff / 1e-3 - 1)).toBeLessThan(1e-15);
    t2.cutoff = 1e-7;
    t3.cutoff = 1e-3;
    expect(b.elements).toEqual(a.elements);
    expect(b.conductance.filter((_, e) => a.elements![e] === null)).toEqual(a.conductance.filter((_, e) => a.elements![e] === null));
  });

  it('random conductances come back bit for bit ({1/k} is read as k)', () => {
    const E = 2000;
    let s = 7;
    const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647);
    const net: Network = {
      name: 'chain',
      nodes: E + 1,
      edgeA: Int32Array.from({ length: E }, (_, e) => e),
      edgeB: Int32Array.from({ length: E }, (_, e) => e + 1),
      conductance: Float64Array.from({ length: E }, () => 10 ** (-6 + 6 * rnd())),
    };
    const back = read(writeSpiceNetlist(net, new Map([[0, 1], [E, 0]])));
    expect(back.network.conductance).toEqual(net.conductance);
  });
});
