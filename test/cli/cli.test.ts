import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { TerminalSession } from '../e2e/TerminalSession.js';

// The built CLI, as a user runs it (`npm test` builds before running vitest).
const CLI = resolve(__dirname, '../../dist/src/cli/main.js');
const dir = mkdtempSync(join(tmpdir(), 'clln-cli-'));

function clln(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const net = join(dir, 'net.json');
const task = join(dir, 'task.json');

beforeAll(() => {
  execFileSync(process.execPath, [CLI, 'network', 'lattice', '4x4', '--diagonals', '--seed', '1', '--out', net]);
  execFileSync(process.execPath, [
    CLI, 'task', 'linear', '--matrix', '0.15,0.3;0.2,0.1', '--sources', '0,3', '--targets', '9,10', '--ground', '15',
    '--count', '40', '--test', '20', '--seed', '1', '--network', net, '--out', task,
  ]);
});

describe('clln network / task generators', () => {
  it('write valid files', () => {
    const n = JSON.parse(readFileSync(net, 'utf8'));
    expect(n.format).toBe('clln.network/1');
    expect(n.nodes).toBe(16);
    expect(n.edges).toHaveLength(42);
    const t = JSON.parse(readFileSync(task, 'utf8'));
    expect(t.format).toBe('clln.task/1');
    expect(t.train).toHaveLength(40);
    expect(t.test).toHaveLength(20);
  });

  it('print to stdout without --out', () => {
    const r = clln('network', 'lattice', '3x5', '--periodic');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).nodes).toBe(15);
  });
});

describe('clln solve', () => {
  it('--json prints voltages per node and currents per edge, nothing else', () => {
    const r = clln('solve', net, '--fix', '0=1', '--fix', '15=0', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.voltages).toHaveLength(16);
    expect(out.currents).toHaveLength(42);
    expect(out.voltages[0]).toBe(1);
    expect(out.voltages[15]).toBe(0);
    for (const v of out.voltages) expect(v).toBeGreaterThanOrEqual(-1e-12);
  });

  it('prints a table without --json', () => {
    const r = clln('solve', net, '--fix', '0=1', '--fix', '15=0');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/node\s+voltage/);
  });

  const bad: [string[], RegExp][] = [
    [['--fix', '0=1'], /no path/],
    [['--fix', '99=1'], /node 99 does not exist/],
    [['--fix', '0=abc'], /NODE=VOLTS/],
    [[], /no node voltage is imposed/],
    [['--fix', '0=1', '--bogus'], /bogus/],
  ];
  for (const [args, msg] of bad) {
    it(`exits 2 with a clear message for ${args.join(' ') || 'no --fix'}`, () => {
      // a single fixed node on a connected lattice is fine, so use a disconnected network for the "no path" case
      const file = msg.source === 'no path' ? disconnected() : net;
      const r = clln('solve', file, ...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stdout).toBe('');
    });
  }
});

function disconnected(): string {
  const f = join(dir, 'disconnected.json');
  writeFileSync(f, JSON.stringify({ format: 'clln.network/1', name: 'two parts', nodes: 4, edges: [[0, 1], [2, 3]], conductance: [1, 1] }));
  return f;
}

describe('clln train', () => {
  it('--json prints one object with steps, conductance, train_mse, test_mse', () => {
    const r = clln('train', net, task, '--steps', '2000', '--order', 'sequential', '--json', '--save-network', join(dir, 'trained.json'));
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out).sort()).toEqual(['conductance', 'evaluations', 'steps', 'test_mse', 'train_mse']);
    expect(out.steps).toBe(2000);
    // without --eval-every: the evaluation before the first step and the finish's, the last being the result's
    expect(out.evaluations.map((e: { step: number }) => e.step)).toEqual([0, 2000]);
    expect(out.evaluations[1]).toEqual({ step: 2000, train_mse: out.train_mse, test_mse: out.test_mse });
    expect(out.evaluations[0].train_mse).toBeGreaterThan(out.train_mse);
    expect(out.conductance).toHaveLength(42);
    const trained = JSON.parse(readFileSync(join(dir, 'trained.json'), 'utf8'));
    expect(trained.conductance).toEqual(out.conductance);
  });

  it('is reproducible from the same inputs and seed', () => {
    const a = clln('train', net, task, '--steps', '300', '--seed', '4', '--json');
    const b = clln('train', net, task, '--steps', '300', '--seed', '4', '--json');
    expect(a.stdout).toBe(b.stdout);
  });

  it('draws a progress bar on a terminal (a real pty, from node-pty) and ends with the summary', async () => {
    const t = new TerminalSession(process.execPath, [CLI, 'train', net, task, '--steps', '3000'], { cwd: dir });
    expect(await t.exited).toBe(0);
    expect(t.output).toMatch(/\rtrain cl \[[#-]+\] \d+\/3000/);
    expect(t.output).toContain('3000/3000');
    expect(t.output).toMatch(/test\s+MSE .* -> .*lower/);
  });

  it('prints a summary without --json', () => {
    const r = clln('train', net, task, '--steps', '500', '--rule', 'ep');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/test\s+MSE .* -> /);
  });

  const bad: [string[], RegExp][] = [
    [['--eta', '0'], /eta must be a number in \(0, 1\]/],
    [['--rule', 'sgd'], /rule must be one of cl, ep, cep, tap/],
    [['--steps=-3'], /--steps.*integer >= 0/],
    [['--steps', '-3'], /--steps=-XYZ/],
    [['--rule', 'tap'], /tap table/],
  ];
  for (const [args, msg] of bad) {
    it(`exits 2 for ${args.join(' ')}`, () => {
      const r = clln('train', net, task, ...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(msg);
    });
  }

  it('exits 2 naming the file and field for a bad task file', () => {
    const f = join(dir, 'badtask.json');
    const t = JSON.parse(readFileSync(task, 'utf8'));
    t.train[3].in = [1];
    writeFileSync(f, JSON.stringify(t));
    const r = clln('train', net, f);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('badtask.json');
    expect(r.stderr).toContain('train[3].in');
  });

  it('exits 2 for a missing file', () => {
    const r = clln('train', join(dir, 'nope.json'), task);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nope\.json/);
  });
});

describe('clln', () => {
  it('exits 2 for an unknown command', () => {
    const r = clln('frobnicate');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command/);
  });
  it('prints help', () => {
    expect(clln('help', 'train').stdout).toMatch(/--rule/);
  });
});

describe('clln --version', () => {
  it('prints the version of package.json (one source of truth), and run records carry the same', async () => {
    const pkg = JSON.parse(readFileSync(resolve(__dirname, '../../package.json'), 'utf8')) as { version: string };
    const r = clln('--version');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
    const { SOFTWARE_VERSION } = await import('../../src/pipeline/runRecord.js');
    expect(SOFTWARE_VERSION).toBe(pkg.version);
  });
});
