/**
 * `npm run bench -- soak [STEPS]` (not in the default run: it takes minutes to hours): issue 11's fault soak, as a
 * user runs it. `clln train --board pty --twin-ideal` on penn-gen1, once clean and once under
 * `garble=0.01,drop=0.001,reset-every=2000,unplug-every=5000`, in both update modes, each run recorded. The faulty
 * run must end with the clean run's settings bit for bit (the baseline is the clean run, in the same bench run), and
 * its record must hold every step once. Prints steps per second of each, the slowdown the faults cost, the steps
 * redone after link trouble, and the verdict. Default 20,000 steps. Results in bench/results/soak.json.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRun } from '../src/store/readRun.js';
import { table } from './timing.js';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = resolve(here, '../src/cli/main.js');
export const SOAK_FAULTS = 'garble=0.01,drop=0.001,reset-every=2000,unplug-every=5000';

export interface SoakRun {
  update: 'host' | 'device';
  faults: string;
  steps: number;
  seconds: number;
  stepsPerSecond: number;
  redone: number;
  settings: number[];
  /** Every step recorded exactly once, in order, and the last recorded settings are the board's. */
  recordOk: boolean;
}

export interface SoakResult {
  steps: number;
  runs: SoakRun[];
  /** Per update mode: the faulty run's settings equal the clean run's, bit for bit. */
  identical: Record<string, boolean>;
}

function clln(args: string[], cwd: string): Promise<string> {
  return new Promise((ok, fail) => {
    const p = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    p.stderr.setEncoding('utf8').on('data', (s: string) => (err = (err + s).slice(-4000)));
    p.on('exit', (code) => (code === 0 ? ok(out) : fail(new Error(`clln ${args[0]} exited ${code}: ${err}`))));
  });
}

export async function runSoakBench(steps = 20_000, log: (s: string) => void = () => {}): Promise<SoakResult> {
  const dir = mkdtempSync(join(tmpdir(), 'clln-soak-'));
  try {
    const net = join(dir, 'board.json');
    const task = join(dir, 'task.json');
    await clln(['network', 'board', 'penn-gen1', '--out', net], dir);
    await clln(['task', 'linear', '--matrix', '0.15,0.3;0.2,0.1', '--sources', '0,3', '--targets', '9,10', '--ground', '15', '--count', '40', '--test', '10', '--seed', '1', '--network', net, '--out', task], dir);
    const runs: SoakRun[] = [];
    for (const update of ['host', 'device'] as const) {
      for (const faults of ['', SOAK_FAULTS]) {
        log(`soak: --update ${update}, ${faults || 'no faults'}, ${steps} steps ...`);
        const record = join(dir, `${update}-${faults ? 'faulty' : 'clean'}.jsonl`);
        const args = ['train', net, task, '--board', 'pty', '--twin-ideal', '--twin-baud', '1000000', '--update', update, '--steps', String(steps), '--order', 'sequential', '--seed', '3', '--record', record, '--json'];
        if (faults) args.push('--twin-faults', faults);
        const t0 = performance.now();
        const out = JSON.parse(await clln(args, dir)) as { steps: number; settings: number[]; redone_steps: number };
        const seconds = (performance.now() - t0) / 1000;
        const rec = readRun(record);
        const recordOk =
          rec.events.length === steps &&
          rec.events.every((e, i) => (e.data as { step: number }).step === i) &&
          JSON.stringify((rec.events[steps - 1].data as { settings: number[] }).settings) === JSON.stringify(out.settings);
        runs.push({ update, faults, steps: out.steps, seconds, stepsPerSecond: out.steps / seconds, redone: out.redone_steps, settings: out.settings, recordOk });
      }
    }
    const identical: Record<string, boolean> = {};
    for (const update of ['host', 'device']) {
      const [clean, faulty] = runs.filter((r) => r.update === update);
      identical[update] = JSON.stringify(clean.settings) === JSON.stringify(faulty.settings);
    }
    return { steps, runs, identical };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function printSoak(r: SoakResult): string {
  const rows = r.runs.map((x) => {
    const clean = r.runs.find((c) => c.update === x.update && c.faults === '')!;
    return [
      `--update ${x.update}`,
      x.faults ? 'faults' : 'clean',
      String(x.steps),
      x.seconds.toFixed(0),
      x.stepsPerSecond.toFixed(1),
      x.faults ? `${(clean.stepsPerSecond / x.stepsPerSecond).toFixed(2)}x` : '1 (baseline)',
      String(x.redone),
      x.recordOk ? 'yes' : 'NO',
      x.faults ? (r.identical[x.update] ? 'bit-identical' : 'DIFFERENT') : '—',
    ];
  });
  return (
    table(['run', 'link', 'steps', 's', 'steps/s', 'slowdown', 'redone', 'record ok', 'settings vs clean'], rows) +
    `\n\nfaults: ${SOAK_FAULTS} (pty twin at 1 Mbaud, ideal, penn-gen1). Target: bit-identical in both modes, every step recorded once.\n`
  );
}
