/**
 * Issue 14, point 1: nonlinear elements in clln.network/1 (`elements`, one per edge, null = linear resistor). Valid
 * documents, one invalid document per rule (each an InvalidInputError naming the file, the field, the rule and a fix),
 * and backward compatibility (files without `elements` read as before; the linear-only commands refuse elements).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { networkToJson, parseNetwork, readNetworkFile, writeNetworkFile } from '../../src/formats/networkFile.js';
import { latticeNetwork } from '../../src/physics/generators/lattice.js';
import type { Network } from '../../src/physics/Network.js';
import { expectInvalid } from './expectInvalid.js';

const SRC = 'nl.json';

/** A valid chain 0-1-2-3-4 with one element of each kind and a null. */
function doc(): Record<string, unknown> {
  return {
    format: 'clln.network/1',
    name: 'chain',
    nodes: 5,
    edges: [[0, 1], [1, 2], [2, 3], [3, 4], [4, 0]],
    conductance: [1e-3, 2e-3, 1e-3, 1e-3, 5e-4],
    elements: [
      null,
      { kind: 'resistor', k: 2e-3 },
      { kind: 'diode', is: 1e-12, n: 1.8, rs: 10 },
      { kind: 'transistor', s: 8.5e-4, vt: 0.62, vg: 2.5, saturation: 'square', cutoff: 1e-7 },
      { kind: 'table', v: [-1, 0, 0.5, 1], i: [-1e-3, 0, 1e-4, 2e-3] },
    ],
  };
}

/** doc() with elements[e] replaced. */
function withElement(e: number, el: unknown): Record<string, unknown> {
  const d = doc();
  (d.elements as unknown[])[e] = el;
  return d;
}

const parse = (d: unknown): Network => parseNetwork(d, SRC);

describe('elements: valid documents', () => {
  it('reads one element of each kind, in the order of the edges', () => {
    const net = parse(doc());
    expect(net.elements).toEqual((doc().elements as unknown[]).map((x) => x));
    expect(net.elements![0]).toBeNull();
    expect(net.elements![2]).toEqual({ kind: 'diode', is: 1e-12, n: 1.8, rs: 10 });
  });

  it('optional parameters may be left out (diode rs, transistor saturation and cutoff)', () => {
    const net = parse(
      withElement(3, { kind: 'transistor', s: 1e-3, vt: 0.5, vg: 2 }),
    );
    expect(net.elements![3]).toEqual({ kind: 'transistor', s: 1e-3, vt: 0.5, vg: 2 });
    expect(parse(withElement(2, { kind: 'diode', is: 1e-14, n: 1 })).elements![2]).toEqual({ kind: 'diode', is: 1e-14, n: 1 });
  });

  it('writes and reads back the same document', () => {
    const net = parse(doc());
    const path = join(mkdtempSync(join(tmpdir(), 'clln-nl-')), 'net.json');
    writeNetworkFile(path, net);
    const back = JSON.parse(readFileSync(path, 'utf8'));
    expect(back.elements).toEqual(doc().elements);
    expect(networkToJson(readNetworkFile(path, { nonlinear: true }))).toEqual(back);
  });
});

describe('elements: each rule, with the file, the field and a fix', () => {
  const cases: [string, unknown, string, string][] = [
    ['not an array', { ...doc(), elements: { kind: 'diode' } }, 'elements', 'must be an array'],
    ['one per edge', { ...doc(), elements: [null, null] }, 'elements', 'one element (or null) per edge'],
    ['an entry neither null nor an object', withElement(0, 3), 'elements[0]', 'must be'],
    ['an unknown kind', withElement(1, { kind: 'capacitor', c: 1 }), 'elements[1].kind', 'must be one of "resistor", "diode", "transistor", "table"'],
    ['no kind', withElement(1, { k: 1 }), 'elements[1].kind', 'required field "kind" is missing'],
    ['resistor: k <= 0', withElement(1, { kind: 'resistor', k: 0 }), 'elements[1].k', 'positive (> 0 S)'],
    ['resistor: k missing', withElement(1, { kind: 'resistor' }), 'elements[1].k', 'required field "k" is missing'],
    ['resistor: k differs from the conductance', withElement(1, { kind: 'resistor', k: 3e-3 }), 'elements[1].k', "must equal the edge's conductance[1]"],
    ['diode: is <= 0', withElement(2, { kind: 'diode', is: 0, n: 1.8 }), 'elements[2].is', 'a saturation current in amperes, > 0'],
    ['diode: is > 1 A', withElement(2, { kind: 'diode', is: 2, n: 1.8 }), 'elements[2].is', 'at most 1'],
    ['diode: n below 0.5', withElement(2, { kind: 'diode', is: 1e-12, n: 0.1 }), 'elements[2].n', 'between 0.5 and 10'],
    ['diode: n missing', withElement(2, { kind: 'diode', is: 1e-12 }), 'elements[2].n', 'required field "n"'],
    ['diode: rs < 0', withElement(2, { kind: 'diode', is: 1e-12, n: 1.8, rs: -1 }), 'elements[2].rs', 'a resistance in ohm, >= 0'],
    ['diode: a misspelt field', withElement(2, { kind: 'diode', is: 1e-12, n: 1.8, Rs: 1 }), 'elements[2].Rs', 'did you mean "rs"?'],
    ['transistor: s <= 0', withElement(3, { kind: 'transistor', s: -1, vt: 0.6, vg: 2 }), 'elements[3].s', 'a factor in S/V, > 0'],
    ['transistor: vg missing', withElement(3, { kind: 'transistor', s: 1e-3, vt: 0.6 }), 'elements[3].vg', 'required field "vg"'],
    ['transistor: vg not a number', withElement(3, { kind: 'transistor', s: 1e-3, vt: 0.6, vg: '2' }), 'elements[3].vg', 'a gate voltage in volts'],
    ['transistor: vt out of range', withElement(3, { kind: 'transistor', s: 1e-3, vt: 500, vg: 2 }), 'elements[3].vt', '-100 .. 100'],
    ['transistor: unknown saturation model', withElement(3, { kind: 'transistor', s: 1e-3, vt: 0.6, vg: 2, saturation: 'cubic' }), 'elements[3].saturation', 'must be one of "none", "square"'],
    ['transistor: cutoff above 1', withElement(3, { kind: 'transistor', s: 1e-3, vt: 0.6, vg: 2, cutoff: 2 }), 'elements[3].cutoff', 'between 0 and 1'],
    ['table: one point', withElement(4, { kind: 'table', v: [0], i: [0] }), 'elements[4].v', 'at least 2 entries'],
    ['table: lengths differ', withElement(4, { kind: 'table', v: [0, 1, 2], i: [0, 1] }), 'elements[4].i', 'one current per voltage'],
    ['table: voltages not increasing', withElement(4, { kind: 'table', v: [0, 1, 1], i: [0, 1, 2] }), 'elements[4].v[2]', 'voltages must be strictly increasing'],
    ['table: currents not increasing', withElement(4, { kind: 'table', v: [0, 1, 2], i: [0, 1, 1] }), 'elements[4].i[2]', 'currents must be strictly increasing'],
    ['table: a current not a number', withElement(4, { kind: 'table', v: [0, 1], i: [0, null] }), 'elements[4].i[1]', 'a finite number of amperes'],
  ];
  for (const [what, d, field, text] of cases) {
    it(what, () => {
      const e = expectInvalid(() => parse(d), field, text);
      expect(e.message).toContain(SRC);
    });
  }
});

describe('backward compatibility', () => {
  it('a file without elements reads as before: no elements field, the same JSON back', () => {
    const net = latticeNetwork({ rows: 3, cols: 4, diagonals: true, seed: 5 });
    const json = networkToJson(net);
    expect('elements' in json).toBe(false);
    const back = parse(json);
    expect(back.elements).toBeUndefined();
    expect(networkToJson(back)).toEqual(json);
  });

  it('a file whose elements are all null is the same linear network, accepted by every command', () => {
    const d = { ...doc(), elements: [null, null, null, null, null] };
    const path = join(mkdtempSync(join(tmpdir(), 'clln-nl-')), 'net.json');
    writeFileSync(path, JSON.stringify(d));
    const net = readNetworkFile(path);
    expect(Array.from(net.conductance)).toEqual(doc().conductance as number[]);
  });

  it('the commands that handle linear networks only refuse elements with exit-2 input errors', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'clln-nl-')), 'net.json');
    writeFileSync(path, JSON.stringify(doc()));
    expectInvalid(() => readNetworkFile(path, { command: 'clln train' }), 'elements[1]', 'clln train handles linear resistor networks only', 'clln solve');
    expect(readNetworkFile(path, { nonlinear: true }).elements).toHaveLength(5);
  });
});
