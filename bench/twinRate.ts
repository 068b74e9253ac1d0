/**
 * The in-process twin's training rate (issue 18, point 3): `clln train NET TASK --board twin` on penn-gen1 with the
 * live Laplacian check and the run record on must run >= 30,000 steps/s.
 *
 * Measured two ways, on the non-ideal twin (ADC noise, drift, tolerances: what `--board twin` is) with the defaults
 * of `clln train` (host-stepped, 16 samples per measurement, shuffled order):
 * - in this process, through `openBoardRun` exactly as the CLI assembles the run, in four configurations run in
 *   alternation (so that all see the same machine load): neither check nor record, check only, record only, and
 *   both (the target's configuration). steps/s = steps / the time from the first step's end to the last's (the
 *   evaluations before and after are not steps); medians over the rounds;
 * - the built CLI itself, `node dist/src/cli/main.js train NET TASK --board twin --steps S --record R --json`, wall time
 *   of the whole process (start-up, evaluations and the record's stop included) and the run's own steps/s.
 *
 * The machine's load average (os.loadavg) is printed beside every figure: on a shared 2-core machine the figures
 * are only as steady as the load.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { networkToJson } from '../src/formats/networkFile.js';
import { linearTask } from '../src/physics/generators/linearTask.js';
import { taskToJson } from '../src/formats/taskFile.js';
import { openBoardRun } from '../src/pipeline/openBoardRun.js';
import { loadBoardModel } from '../twins/BoardModel.js';
import { boardNetwork } from '../twins/boardNetwork.js';
import { table } from './timing.js';

/** The target, steps per second. */
export const TWIN_RATE_TARGET = 30_000;

export interface TwinRateConfig {
  name: string;
  check: boolean;
  record: boolean;
  /** Median steps/s over the rounds, and each round's. */
  stepsPerSecond: number;
  rounds: number[];
  /** Median steps per second of the process's CPU time. */
  stepsPerCpuSecond: number;
}

export interface TwinRateResults {
  target: number;
  steps: number;
  configs: TwinRateConfig[];
  /** The built CLI, one run: wall seconds of the process and steps/s over the whole process; null when not built. */
  cli: { steps: number; wallSeconds: number; stepsPerSecond: number } | null;
  loadavg: { start: number[]; end: number[] };
}

const here = dirname(fileURLToPath(import.meta.url));

function files() {
  const network = boardNetwork(loadBoardModel('penn-gen1'));
  // as test/cli's runs: clln task linear --matrix '0.3,0.2;0.1,0.4' --sources 0,3 --targets 9,10 --ground 15 --count 8 --test 4
  const task = linearTask({ matrix: [[0.3, 0.2], [0.1, 0.4]], sources: [0, 3], targets: [9, 10], ground: [15], count: 8, test: 4, seed: 0, nodes: 16 });
  return { network, networkSource: 'penn-gen1.json', task, taskSource: 'task.json' };
}

/**
 * One run of `steps` steps on a fresh in-process twin: steps/s between the first and the last step's end, and steps
 * per second of this process's CPU time over the same stretch (on a shared machine the wall figure is what the other
 * jobs leave; the CPU figure is closer to what the run alone would do).
 */
async function oneRun(steps: number, check: boolean, record: boolean, dir: string, k: number): Promise<{ wall: number; cpu: number }> {
  const run = await openBoardRun({ board: 'twin', files: files(), plan: { steps }, record: record ? join(dir, `run-${k}.jsonl`) : null });
  try {
    // without the check: a checker that checks nothing (the record's alarm false, residual_max null), so that the
    // record keeps its layout; the engine's deps are read when run() starts
    if (!check) (run.engine as unknown as { deps: { checker?: unknown } }).deps.checker = record ? { check: () => ({ alarm: false }) } : undefined;
    let t0 = 0;
    let t1 = 0;
    let c0: NodeJS.CpuUsage | undefined;
    let cpu = 0;
    run.engine.steps$.subscribe((s) => {
      if (s.step === 0) {
        t0 = performance.now();
        c0 = process.cpuUsage();
      } else if (s.step === steps - 1) {
        t1 = performance.now();
        const c = process.cpuUsage(c0);
        cpu = (c.user + c.system) / 1e6;
      }
    });
    await run.run();
    return { wall: (steps - 1) / ((t1 - t0) / 1000), cpu: (steps - 1) / cpu };
  } finally {
    await run.close();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Run the bench; `log` gets progress lines. */
export async function runTwinRateBench(log: (s: string) => void = () => undefined, opts: { steps?: number; rounds?: number; cli?: boolean } = {}): Promise<TwinRateResults> {
  const steps = opts.steps ?? 20_000;
  const rounds = opts.rounds ?? 5;
  const start = loadavg();
  const dir = mkdtempSync(join(tmpdir(), 'clln-twinrate-'));
  const kinds = [
    { name: 'no check, no record', check: false, record: false },
    { name: 'check only', check: true, record: false },
    { name: 'record only', check: false, record: true },
    { name: 'check and record (target)', check: true, record: true },
  ];
  const got = kinds.map(() => [] as number[]);
  const gotCpu = kinds.map(() => [] as number[]);
  let k = 0;
  try {
    log('bench: twin rate, warm-up ...');
    for (const c of kinds) await oneRun(Math.min(steps, 2000), c.check, c.record, dir, k++);
    for (let r = 0; r < rounds; r++) {
      log(`bench: twin rate, round ${r + 1} of ${rounds} ...`);
      // rotate the order, so that no configuration always runs first
      for (let i = 0; i < kinds.length; i++) {
        const j = (i + r) % kinds.length;
        const r1 = await oneRun(steps, kinds[j].check, kinds[j].record, dir, k++);
        got[j].push(r1.wall);
        gotCpu[j].push(r1.cpu);
      }
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir);
    }
    let cli: TwinRateResults['cli'] = null;
    const main = resolve(here, '../src/cli/main.js');
    if (opts.cli !== false) {
      log('bench: twin rate, the CLI ...');
      const f = files();
      const net = join(dir, 'net.json');
      const task = join(dir, 'task.json');
      writeFileSync(net, JSON.stringify(networkToJson(f.network)));
      writeFileSync(task, JSON.stringify(taskToJson(f.task)));
      const cliSteps = TWIN_RATE_TARGET;
      const t0 = performance.now();
      execFileSync(process.execPath, [main, 'train', net, task, '--board', 'twin', '--steps', String(cliSteps), '--record', join(dir, 'cli.jsonl'), '--json'], { encoding: 'utf8' });
      const wall = (performance.now() - t0) / 1000;
      cli = { steps: cliSteps, wallSeconds: wall, stepsPerSecond: cliSteps / wall };
    }
    return {
      target: TWIN_RATE_TARGET,
      steps,
      configs: kinds.map((c, i) => ({ ...c, stepsPerSecond: median(got[i]), rounds: got[i], stepsPerCpuSecond: median(gotCpu[i]) })),
      cli,
      loadavg: { start, end: loadavg() },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The results as a table with the target beside the measured rate. */
export function printTwinRate(r: TwinRateResults): string {
  const rows = r.configs.map((c) => [c.name, c.stepsPerSecond.toFixed(0), (1e6 / c.stepsPerSecond).toFixed(1), c.stepsPerCpuSecond.toFixed(0), c.rounds.map((x) => x.toFixed(0)).join(' ')]);
  const both = r.configs[r.configs.length - 1];
  const load = `load average ${r.loadavg.start[0].toFixed(2)} -> ${r.loadavg.end[0].toFixed(2)} on ${cpus().length} CPUs`;
  let s =
    table(['penn-gen1, in-process twin, host-stepped', 'steps/s', 'us/step', 'steps/CPU s', 'rounds (steps/s)'], rows) +
    `\n\n${r.steps} steps per run, median of ${both.rounds.length} rounds. Target >= ${r.target} steps/s with check and record: ` +
    `${both.stepsPerSecond.toFixed(0)} steps/s (${both.stepsPerCpuSecond.toFixed(0)} per CPU second), ${both.stepsPerSecond >= r.target ? 'met' : 'NOT met'} (${load}).\n`;
  if (r.cli) {
    s += `CLI: clln train --board twin --steps ${r.cli.steps} --record: ${r.cli.wallSeconds.toFixed(2)} s wall for the whole process, ${r.cli.stepsPerSecond.toFixed(0)} steps/s including start-up and evaluations.\n`;
  }
  return s;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const steps = process.argv[2] ? Number(process.argv[2]) : undefined;
  const rounds = process.argv[3] ? Number(process.argv[3]) : undefined;
  const r = await runTwinRateBench((s) => process.stderr.write(s + '\n'), { steps, rounds, cli: process.argv[4] !== '--no-cli' });
  process.stdout.write(printTwinRate(r));
}
