/**
 * Issue 11 point 4, second bullet: a voltage the board cannot impose is refused before anything is sent, in both
 * update modes alike. Before, a host-stepped run limited an out-of-range clamp target to the DAC range without a
 * word (`CLAMP 9:5.0` for a 10 V target) while a device-stepped run refused it at its first STEP.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import { InProcessTwinBoard } from '../../src/device/InProcessTwinBoard.js';
import { referenceTask } from '../../src/physics/generators/linearTask.js';
import type { Task } from '../../src/physics/Task.js';
import { TrainingEngine } from '../../src/pipeline/TrainingEngine.js';

function withExample(task: Task, set: 'train' | 'test', k: number, key: 'in' | 'out', i: number, v: number): Task {
  const copy: Task = { ...task, train: task.train.map((e) => ({ in: Float64Array.from(e.in), out: Float64Array.from(e.out) })), test: task.test.map((e) => ({ in: Float64Array.from(e.in), out: Float64Array.from(e.out) })) };
  copy[set][k][key][i] = v;
  return copy;
}

describe('a task the board cannot impose is refused before anything is sent', () => {
  const task = referenceTask({ count: 6, test: 3 });
  for (const update of ['host', 'device'] as const) {
    for (const [set, k, key, i, v, what] of [
      ['train', 2, 'out', 1, 10, /train\[2\]\.out\[1\].*target voltage 10 V is outside the DAC range of board penn-gen1, 0\.\.5 V/],
      ['test', 1, 'out', 0, -0.2, /test\[1\]\.out\[0\].*target voltage -0\.2 V is outside/],
      ['train', 0, 'in', 1, 5.5, /train\[0\]\.in\[1\].*source voltage 5\.5 V is outside/],
    ] as const) {
      it(`--update ${update}: ${set}[${k}].${key}[${i}] = ${v} V`, async () => {
        const board = InProcessTwinBoard.create({ ideal: true });
        const calls: string[] = [];
        for (const m of ['setSources', 'setClamps', 'measure', 'readEdges', 'writeEdges', 'deviceStep'] as const) {
          const orig = board[m].bind(board) as (...a: unknown[]) => unknown;
          (board as unknown as Record<string, unknown>)[m] = (...a: unknown[]) => {
            calls.push(m);
            return orig(...a);
          };
        }
        const engine = new TrainingEngine(board, { task: withExample(task, set, k, key, i, v), update, steps: 5 }, { taskSource: 'task.json' });
        const err = await engine.run().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(InvalidInputError);
        expect((err as Error).message).toMatch(/^task\.json: /);
        expect((err as Error).message).toMatch(what);
        expect(calls).toEqual([]);
        expect(board.core.stats.measurements).toBe(0);
        await board.close();
      });
    }
  }

  it('voltages at the rails are accepted', async () => {
    const t = withExample(withExample(task, 'train', 0, 'out', 0, 5), 'train', 1, 'in', 0, 0);
    const r = await new TrainingEngine(InProcessTwinBoard.create({ ideal: true }), { task: t, update: 'host', steps: 3 }).run();
    expect(r.stepsDone).toBe(3);
  });
});

describe('clln train --board: the same refusal, exit 2, naming the task file', () => {
  const CLI = resolve(__dirname, '../../dist/src/cli/main.js');
  it.each(['host', 'device'])('--update %s', (update) => {
    const dir = mkdtempSync(join(tmpdir(), 'clln-range-'));
    const net = join(dir, 'net.json');
    execFileSync(process.execPath, [CLI, 'network', 'board', 'penn-gen1', '--out', net]);
    const task = join(dir, 'task.json');
    writeFileSync(task, JSON.stringify({ format: 'clln.task/1', sources: [0, 3], ground: [15], targets: [9, 10], train: [{ in: [1, 2], out: [0.5, 10] }] }));
    const r = spawnSync(process.execPath, [CLI, 'train', net, task, '--board', 'twin', '--update', update, '--steps', '3', '--no-record'], { encoding: 'utf8', cwd: dir });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${task}: train[0].out[1]: target voltage 10 V is outside the DAC range of board penn-gen1, 0..5 V`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('clln train --board: the report does not claim checks it did not make', () => {
  const CLI = resolve(__dirname, '../../dist/src/cli/main.js');
  it('device-stepped: no per-step consistency verdict (the board reports only the targets); host-stepped: the alarm count', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clln-report-'));
    const net = join(dir, 'net.json');
    execFileSync(process.execPath, [CLI, 'network', 'board', 'penn-gen1', '--out', net]);
    const task = join(dir, 'task.json');
    writeFileSync(task, JSON.stringify({ format: 'clln.task/1', sources: [0, 3], ground: [15], targets: [9, 10], train: [{ in: [1, 2], out: [0.5, 1] }] }));
    const run = (update: string, json: boolean) =>
      spawnSync(process.execPath, [CLI, 'train', net, task, '--board', 'twin', '--update', update, '--steps', '3', '--no-record', ...(json ? ['--json'] : [])], { encoding: 'utf8', cwd: dir });
    expect(JSON.parse(run('device', true).stdout).alarms).toBeNull();
    expect(run('device', false).stdout).toMatch(/consistency not checked per step \(device-stepped/);
    expect(JSON.parse(run('host', true).stdout).alarms).toBe(0);
    expect(run('host', false).stdout).toMatch(/consistency with the Laplacian: 0 alarm\(s\)/);
  });
});
