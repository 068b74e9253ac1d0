/**
 * Issue 14 point 4 through the CLI entry: `clln export spice` (with --fix, with --task --example, to a file and to
 * standard output), `clln import spice` (--out, --json), exit 2 for bad input with one paragraph on stderr, and a
 * netlist written by hand (subcircuits, parameters, diodes) imported and solved by clln, checked against ngspice run
 * on the same file.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clln, expectOneParagraph } from './inProcess.js';
import { hasNgspice, NGSPICE_MISSING, runNgspice } from '../formats/ngspice.js';

const dir = mkdtempSync(join(tmpdir(), 'clln-spice-cli-'));
const net = join(dir, 'net.json');
writeFileSync(
  net,
  JSON.stringify({
    format: 'clln.network/1',
    name: 'r-d',
    nodes: 3,
    edges: [[0, 1], [1, 2]],
    conductance: [1e-3, 1e-3],
    elements: [null, { kind: 'diode', is: 1e-12, n: 1.8 }],
  }),
);

describe('clln export spice', () => {
  it('--fix to standard output: R, D with its model, V sources to node 0, .op', async () => {
    const r = await clln('export', 'spice', net, '--fix', '0=1', '--fix', '2=0');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^R0 n0 n1 \{1\/0\.001\}$/m);
    expect(r.stdout).toMatch(/^D1 n1 n2 dmod0$/m);
    expect(r.stdout).toMatch(/^\.model dmod0 D \(IS=1e-12 N=1\.8\)$/m);
    expect(r.stdout).toMatch(/^V0 n0 0 DC 1$/m);
    expect(r.stdout).toMatch(/^V2 n2 0 DC 0$/m);
    expect(r.stdout).toMatch(/^\.op$/m);
  });

  it('--task --example imposes the free state of that example; --out writes the file', async () => {
    const task = join(dir, 'task.json');
    writeFileSync(task, JSON.stringify({ format: 'clln.task/1', sources: [0], ground: [2], targets: [1], train: [{ in: [0.5], out: [0.1] }, { in: [0.75], out: [0.2] }] }));
    const out = join(dir, 'ex1.cir');
    const r = await clln('export', 'spice', net, '--task', task, '--example', '1', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text).toMatch(/^V0 n0 0 DC 0\.75$/m);
    expect(text).toMatch(/^V2 n2 0 DC 0$/m);
  });

  it('exit 2: nothing imposed, a floating node, a bad --fix, --example without --task', async () => {
    const split = join(dir, 'split.json');
    writeFileSync(split, JSON.stringify({ format: 'clln.network/1', name: 'two parts', nodes: 4, edges: [[0, 1], [2, 3]], conductance: [1, 1] }));
    for (const args of [
      ['export', 'spice', net],
      ['export', 'spice', split, '--fix', '0=1'],
      ['export', 'spice', net, '--fix', '5=1'],
      ['export', 'spice', net, '--fix', 'x=1'],
      ['export', 'spice', net, '--example', '0'],
    ]) {
      const r = await clln(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expectOneParagraph(r.stderr);
    }
    expect((await clln('export', 'spice', split, '--fix', '0=1')).stderr).toMatch(/node 2 of .*split\.json has no path to any imposed node/);
  });
});

describe('clln import spice', () => {
  const cir = join(dir, 'c.cir');
  writeFileSync(cir, ['divider with a diode', '.param rtop=2k', 'V1 in 0 DC 1', 'R1 in mid {rtop}', 'R2 mid 0 1k', 'D1 mid k dm', 'R3 k 0 100', '.model dm D (IS=1e-12 N=1.8)', '.end'].join('\n'));

  it('--out writes the network; the output gives the --fix options of clln solve', async () => {
    const out = join(dir, 'imported.json');
    const r = await clln('import', 'spice', cir, '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/wrote 4 nodes and 4 edges \(3 resistor, 1 diode\)/);
    expect(r.stdout).toMatch(/--fix 0=1 --fix 2=0/);
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    expect(doc.format).toBe('clln.network/1');
    expect(doc.edges).toEqual([[0, 1], [1, 2], [1, 3], [3, 2]]);
  });

  it('--json: the network document, the fixed list and the SPICE node names', async () => {
    const r = await clln('import', 'spice', cir, '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.fixed).toEqual([[0, 1], [2, 0]]);
    expect(j.nodeNames).toEqual(['in', 'mid', '0', 'k']);
    expect(j.network.nodes).toBe(4);
  });

  it('exit 2 naming the file and the line for an unsupported element', async () => {
    const bad = join(dir, 'bad.cir');
    writeFileSync(bad, 't\nV1 a 0 1\nR1 a 0 1\nC1 a 0 1u\n');
    const r = await clln('import', 'spice', bad, '--json');
    expect(r.code).toBe(2);
    expect(expectOneParagraph(r.stderr)).toMatch(/bad\.cir: line 4: unsupported element c1 \(capacitor\)/);
  });
});

describe.skipIf(!hasNgspice)('a hand-written netlist: ngspice on the file = clln solve on its import', () => {
  if (!hasNgspice) console.warn(NGSPICE_MISSING);
  it('subcircuits, parameters, diodes and stacked sources agree to 1e-6', async () => {
    // TEMP = TNOM = 27 C (ngspice's default): the import scales n so that n V_T is ngspice's
    const lines = [
      'ladder of diode-clamped dividers',
      '.param r0=1k',
      '.subckt stage a b params: r=1k',
      'R1 a m {r}',
      'D1 m k dx',
      'R2 k b {2*r}',
      'R3 m b {r/2}',
      '.ends',
      'V1 in 0 DC 2',
      'V2 ref in DC -0.5',
      'X1 in s1 stage r={r0}',
      'X2 s1 s2 stage r={r0*3}',
      'X3 s2 0 stage',
      'R9 s1 ref 4.7k',
      '.model dx D (IS=2e-12 N=1.3 RS=20)',
      '.options RELTOL=1e-12 VNTOL=1e-15 ABSTOL=1e-18 GMIN=0',
      '.op',
      '.control',
      'set numdgt=17',
      'op',
      'print all',
      '.endc',
      '.end',
    ];
    const file = join(dir, 'ladder.cir');
    writeFileSync(file, lines.join('\n'));
    const imp = await clln('import', 'spice', file, '--json', '--out', join(dir, 'ladder.json'));
    expect(imp.code, imp.stderr).toBe(0);
    const j = JSON.parse(imp.stdout);
    const solved = await clln('solve', join(dir, 'ladder.json'), ...j.fixed.flatMap(([i, v]: [number, number]) => ['--fix', `${i}=${v}`]), '--json');
    expect(solved.code, solved.stderr).toBe(0);
    const ours: number[] = JSON.parse(solved.stdout).voltages;
    const spice = runNgspice(readFileSync(file, 'utf8'));
    const scale = Math.max(...ours.map(Math.abs));
    let rel = 0;
    (j.nodeNames as string[]).forEach((name, i) => {
      const v = name === '0' ? 0 : spice.get(name);
      expect(v, name).toBeDefined();
      rel = Math.max(rel, Math.abs(v! - ours[i]) / scale);
    });
    console.log(`hand-written ladder: max |dV| / max |V| = ${rel.toExponential(2)}`);
    expect(rel).toBeLessThanOrEqual(1e-6);
  });
});

describe('clln import spice, fuzzed: exit 0 or 2 with one paragraph, never a stack trace', () => {
  // a netlist with every construct the reader takes, and the export of a network of every element kind
  const base = [
    'fuzz base',
    '.param r0=1k g={2*r0}',
    '.subckt st a b params: r=1k',
    'R1 a m {r}',
    'D1 m b dx 2',
    '.ends',
    'V1 in 0 DC 1.5 ; source',
    'V2 top in 0.5',
    'X1 in s1 st r={g}',
    'X2 s1 0 st',
    'R2 top s1 4.7k',
    '+ m=2',
    'R3 s1 0 10meg',
    '.model dx D (IS=1e-12 N=1.5 RS=10 CJO=1p)',
    '.options TEMP=27 TNOM=27',
    '.op',
    '.end',
  ];
  const snippets = [
    'C1 a 0 1p', 'L1 a b 1u', 'M1 a b c d m', 'B1 a b I=1', 'X9 a b nosuch', '.include x', '.subckt', '.ends', '.param', '{', '}', '(', ')',
    '=', '+', '*', ';', '1e999', '-1', '0', 'meg', '{1/0}', '{a*}', "'", '.model dz D (BV=1)', 'V9 a a 1', 'R9 q 0 {r0', '\u0000', 'é',
    '{'.repeat(200), '('.repeat(500),
  ];
  const edit = fc.record({
    line: fc.nat({ max: base.length - 1 }),
    kind: fc.constantFrom('insert', 'replace', 'drop', 'duplicate', 'token'),
    text: fc.oneof(fc.constantFrom(...snippets), fc.string({ maxLength: 20 })),
  });
  const mutated = fc.array(edit, { minLength: 1, maxLength: 4 }).map((edits) => {
    const ls = [...base];
    for (const { line, kind, text } of edits) {
      const i = Math.min(line, ls.length - 1);
      if (kind === 'insert') ls.splice(i, 0, text);
      else if (kind === 'replace') ls[i] = text;
      else if (kind === 'drop') ls.splice(i, 1);
      else if (kind === 'duplicate') ls.splice(i, 0, ls[i] ?? '');
      else {
        const t = (ls[i] ?? '').split(' ');
        t[line % Math.max(1, t.length)] = text;
        ls[i] = t.join(' ');
      }
    }
    return ls.join('\n');
  });

  it('mutated netlists', async () => {
    const file = join(dir, 'fuzz.cir');
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(mutated, async (text) => {
        writeFileSync(file, text);
        const r = await clln('import', 'spice', file, '--json');
        seen.set(r.code, (seen.get(r.code) ?? 0) + 1);
        expect([0, 2], r.stderr).toContain(r.code);
        if (r.code === 2) expect(expectOneParagraph(r.stderr)).toMatch(/fuzz\.cir/);
        else JSON.parse(r.stdout);
      }),
      { seed: 1401, numRuns: Number(process.env.CLLN_FUZZ_RUNS ?? 300), endOnFailure: true },
    );
    // the edits reach both outcomes
    expect(seen.get(0) ?? 0).toBeGreaterThan(0);
    expect(seen.get(2) ?? 0).toBeGreaterThan(0);
  }, 120_000);
});
