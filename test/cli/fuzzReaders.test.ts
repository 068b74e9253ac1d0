/**
 * Issue 11, point 3: a property-based test that drives every file reader through the CLI entry (`main()` in-process)
 * with mutated valid documents and random ones, and asserts what bad input must give: exit 0 or 2 (1 only where the
 * command ran and its run failed, with its report on stdout), never a stack trace, and on exit 2 exactly one
 * paragraph on stderr: one line, printable, bounded. Work is bounded structurally (the readers' limits); the test's
 * own timeout is only a safety net. Seeds are fixed, so a failure reproduces.
 *
 * Readers and the commands that drive them: network (solve), task (train), board model (network board), calibration
 * plan (calibrate on a small twin), calibration record (check), run record (export to CSV and Parquet, diagnose --run,
 * resume).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clln, expectOneParagraph, type CliResult } from './inProcess.js';
import { mutatedDocument, mutatedLines, type Json } from './mutate.js';

const dir = mkdtempSync(join(tmpdir(), 'clln-fuzz-'));
const at = (name: string): string => join(dir, name);
let counter = 0;
/** A fresh file holding `text`. */
const fresh = (text: string, ext = 'json'): string => {
  const path = at(`case-${++counter}.${ext}`);
  writeFileSync(path, text);
  return path;
};
const json = (path: string): Json => JSON.parse(readFileSync(path, 'utf8')) as Json;

/**
 * How many cases each reader gets: enough to meet every class of issue 11 several times, fast enough for CI (a few
 * seconds). For a longer exploration: CLLN_FUZZ_SCALE=20 CLLN_FUZZ_SEED=7 npx vitest run test/cli/fuzzReaders.test.ts
 */
const SCALE = Number(process.env.CLLN_FUZZ_SCALE ?? 1);
const SEED = Number(process.env.CLLN_FUZZ_SEED ?? 0);
const RUNS = { network: 300, task: 250, board: 250, plan: 100, record: 150, run: 250 };

/**
 * What every outcome must look like. `mayFail`: the command runs something after reading (a calibration, a check,
 * a resumed run) that can legitimately fail on a document that read fine; it must then report on stdout.
 */
function expectSane(r: CliResult, args: string[], mayFail = false): void {
  const key = args[0] === 'network' ? 'network board' : args[0];
  const tally = (outcomes[key] ??= {});
  tally[r.code] = (tally[r.code] ?? 0) + 1;
  const what = `clln ${args.join(' ').slice(0, 200)} -> ${r.code}: ${r.stderr.slice(0, 600)}`;
  expect(r.stderr + r.stdout, what).not.toMatch(/^\s+at /m);
  expect(r.stderr, what).not.toMatch(/internal error/);
  if (r.code === 2) {
    expectOneParagraph(r.stderr);
    return;
  }
  if (r.code === 1 && mayFail) {
    // a run that failed says so; an error that ended the command is one paragraph
    if (r.stdout === '') expectOneParagraph(r.stderr);
    return;
  }
  expect(r.code, what).toBe(0);
}

const net = at('net.json');
const task = at('task.json');
const boardNet = at('board-net.json');
const boardTask = at('board-task.json');
const tiny = at('tiny-board.json');
const plan = at('plan.json');
const run = at('run.jsonl');
const record = new URL('../../calibration/examples/penn-gen1-twin-seed0.json', import.meta.url).pathname;
const penn = new URL('../../twins/models/penn-gen1.json', import.meta.url).pathname;

beforeAll(async () => {
  const ok = async (...args: string[]): Promise<void> => {
    const r = await clln(...args);
    expect(r.code, r.stderr).toBe(0);
  };
  await ok('network', 'lattice', '3x3', '--seed', '1', '--out', net);
  await ok('task', 'linear', '--matrix', '0.3,0.2', '--sources', '0,2', '--targets', '4', '--ground', '8', '--count', '4', '--test', '2', '--network', net, '--out', task);
  await ok('network', 'board', 'penn-gen1', '--out', boardNet);
  await ok('task', 'linear', '--matrix', '0.3,0.2;0.1,0.4', '--sources', '0,3', '--targets', '9,10', '--ground', '15', '--count', '4', '--test', '2', '--network', boardNet, '--out', boardTask);
  // a small board, so that a plan that reads fine calibrates in milliseconds
  writeFileSync(tiny, JSON.stringify({
    format: 'clln.board/1', name: 'tiny', firmware: 'fw-1', uid: 'ab01', nodes: 4, edges: [[0, 1], [1, 2], [2, 3], [3, 0], [0, 2]],
    drivable: [0, 1, 2, 3], clampable: [0, 1, 2, 3], adc: { bits: 10, lo: 0, hi: 1, noise: 0.0005 },
    dac: { lo: 0, hi: 1, gainSpread: 0.002, offsetSpread: 0.0005 }, edge: { kind: 'tap', taps: 16, rMin: 100, rMax: 10000, tolerance: 0.05, powerOn: 8 },
    drift: 0, maxSampleRate: 10000,
  }));
  writeFileSync(plan, JSON.stringify({ format: 'clln.calibration-plan/1', board: 'tiny', description: 'fuzz base', samples: 1, settings: { levels: [4, 12], mixed: 1, seed: 1 }, patterns: { kind: 'random', count: 8, seed: 1, drive: [1, 2], clamp: [0, 1], range: [0.1, 0.9] } }));
  await ok('train', boardNet, boardTask, '--board', 'twin', '--steps', '3', '--record', run, '--json');
});

/** Exit codes seen per command: the mutations must reach both the readers' refusals and documents that read fine. */
const outcomes: Record<string, Record<number, number>> = {};

afterAll(() => {
  console.log('fuzz outcomes (command: exit code -> cases):', JSON.stringify(outcomes));
  for (const [command, tally] of Object.entries(outcomes)) {
    expect(tally[2] ?? 0, `${command}: some cases refused`).toBeGreaterThan(0);
    expect((tally[0] ?? 0) + (tally[1] ?? 0), `${command}: some cases read fine`).toBeGreaterThan(0);
  }
});

/** fast-check settings: a fixed seed per reader, so that a failure reproduces. */
const settings = (seed: number, numRuns: number) => ({ seed: seed + SEED, numRuns: Math.round(numRuns * SCALE), endOnFailure: true });

describe('every file reader, fuzzed through the CLI', () => {
  it('network files (clln solve)', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedDocument(json(net)), async (text) => {
        const args = ['solve', fresh(text), '--fix', '0=1', '--fix', '8=0'];
        expectSane(await clln(...args), args);
      }),
      settings(1101, RUNS.network),
    );
  });

  it('task files (clln train)', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedDocument(json(task)), async (text) => {
        const args = ['train', net, fresh(text), '--steps', '3', '--no-record'];
        expectSane(await clln(...args), args);
      }),
      settings(1102, RUNS.task),
    );
  });

  it('board models (clln network board)', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedDocument(json(penn)), async (text) => {
        const args = ['network', 'board', fresh(text)];
        expectSane(await clln(...args), args);
      }),
      settings(1103, RUNS.board),
    );
  });

  it('calibration plans (clln calibrate on a small twin)', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedDocument(json(plan)), async (text) => {
        const args = ['calibrate', '--board', `twin:${tiny}`, '--model', tiny, '--plan', fresh(text), '--out', at(`cal-${counter}.json`), '--json'];
        expectSane(await clln(...args), args, true);
      }),
      settings(1104, RUNS.plan),
    );
  });

  it('calibration records (clln check)', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedDocument(json(record)), async (text) => {
        const args = ['check', '--board', 'twin', '--calibration', fresh(text), '--patterns', '1', '--samples', '1', '--json'];
        expectSane(await clln(...args), args, true);
      }),
      settings(1105, RUNS.record),
    );
  });

  it('run records (clln export, diagnose --run, resume)', async () => {
    const lines = readFileSync(run, 'utf8').split('\n').filter((l) => l.length > 0);
    // an interrupted run (no stop document), so that resume reads it through
    const interrupted = lines.slice(0, -1);
    await fc.assert(
      fc.asyncProperty(mutatedLines(interrupted), fc.constantFrom('export', 'parquet', 'diagnose', 'resume'), async (text, command) => {
        const file = fresh(text, 'jsonl');
        const args =
          command === 'export'
            ? ['export', file, '--csv', at(`out-${counter}.csv`)]
            : command === 'parquet'
              ? ['export', file, '--parquet', at(`out-${counter}.parquet`)]
              : command === 'diagnose'
                ? ['diagnose', '--run', file, '--modes', '2']
                : ['resume', file, '--json'];
        expectSane(await clln(...args), args, command === 'resume');
      }),
      settings(1106, RUNS.run),
    );
  });
});
