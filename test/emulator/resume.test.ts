/**
 * Issue 13 point 4: kill -9 and `clln resume` against the real firmware in its emulator. The emulator is started
 * here (serveFirmware, its EEPROM in a file, a uid) so that the board outlives the host it serves: `clln train
 * --board serial:<pty> --record FILE` runs as a child process, is killed with SIGKILL three times at different
 * steps (when the record has grown by so many events: conditions, not durations), `clln resume FILE` continues each
 * time, and the record must hold every step exactly once, ending with the settings of an uninterrupted run on a
 * fresh emulator of the same board (the shipped model with adc_noise 0 and one seed: the learning is a deterministic
 * function of the state). A board left mid-step or unopenable by the killed host would fail the resume.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BoardEvent } from '../../src/device/Board.js';
import { openSerialBoard } from '../../src/device/SerialBoard.js';
import { serveFirmware, type ServingFirmware } from '../../src/pipeline/serveFirmware.js';
import { readRun } from '../../src/store/readRun.js';
import { assertFirmwareBuilt, firmwareSkipReason } from '../firmwareBuildSetup.js';
import { emulatorSerialOptions, noiselessModel } from './emulatedBoard.js';

const CLI = resolve(__dirname, '../../dist/src/cli/main.js');
const SEED = 5;

/** Complete `event` lines of a run record so far (a torn last line is not counted). */
function countEvents(path: string): number {
  if (!existsSync(path)) return 0;
  const text = readFileSync(path, 'utf8');
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((l) => l.startsWith('["event"')).length;
}

/** Run `clln ARGS`; with `killAt`, SIGKILL it once the record holds that many events. Resolves with whether it was killed. */
function runAndKill(args: string[], cwd: string, record: string, killAt: number | null): Promise<{ killed: boolean; code: number | null; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-3000)));
    let killed = false;
    const poll =
      killAt === null
        ? null
        : setInterval(() => {
            if (!killed && child.exitCode === null && countEvents(record) >= killAt) killed = child.kill('SIGKILL');
          }, 5);
    child.on('exit', (code) => {
      if (poll) clearInterval(poll);
      done({ killed, code, stderr });
    });
  });
}

const skip = firmwareSkipReason();
describe.skipIf(skip !== undefined || !existsSync(CLI))(`kill -9 and clln resume on the emulated firmware${skip ? ` — skipped: ${skip}` : ''}`, () => {
  let dir = '';
  let net = '';
  let task = '';
  let model = '';
  beforeAll(() => {
    assertFirmwareBuilt();
    dir = mkdtempSync(join(tmpdir(), 'clln-emu-resume-'));
    net = join(dir, 'board.json');
    task = join(dir, 'task.json');
    model = noiselessModel();
    execFileSync(process.execPath, [CLI, 'network', 'board', 'clln-ref16', '--out', net]);
    execFileSync(process.execPath, [CLI, 'task', 'linear', '--matrix', '0.15,0.3;0.2,0.1', '--sources', '0,3', '--targets', '13,14', '--ground', '1', '--count', '8', '--test', '2', '--seed', '1', '--network', net, '--out', task]);
  });

  const serve = (name: string): Promise<ServingFirmware> =>
    serveFirmware({ model, seed: SEED, eeprom: join(dir, `${name}.eeprom`), uid: '5e1f0101', buildDir: process.env.CLLN_BUILD_DIR });

  it.each(['host', 'device'])('--update %s: three kills mid-run, three resumes: every step once, the settings of an uninterrupted run', async (update) => {
    const steps = 40;
    const common = ['--update', update, '--steps', String(steps), '--order', 'sequential', '--seed', '3'];

    const refEmu = await serve(`ref-${update}`);
    let want: number[];
    try {
      const ref = spawnSync(process.execPath, [CLI, 'train', net, task, '--board', `serial:${refEmu.path}`, ...common, '--no-record', '--json'], { cwd: dir, encoding: 'utf8' });
      expect(ref.status, ref.stderr).toBe(0);
      want = (JSON.parse(ref.stdout) as { settings: number[] }).settings;
      expect(want).not.toEqual(new Array(24).fill(128));
    } finally {
      await refEmu.close();
    }

    const emu = await serve(`run-${update}`);
    try {
      const record = join(dir, `run-${update}.jsonl`);
      const killAt = [6, 17, 29];
      const stoppedAt: number[] = [];
      for (const [i, at] of killAt.entries()) {
        const args = i === 0 ? ['train', net, task, '--board', `serial:${emu.path}`, ...common, '--record', record] : ['resume', record];
        const r = await runAndKill(args, dir, record, at);
        expect(r.killed, `attempt ${i} was killed (exit ${r.code}: ${r.stderr})`).toBe(true);
        stoppedAt.push(countEvents(record));
      }
      const last = await runAndKill(['resume', record, '--json'], dir, record, null);
      expect(last.code, last.stderr).toBe(0);
      const s = await emu.stats();
      console.log(`emulated firmware, --update ${update}: killed after ${stoppedAt.join(', ')} recorded steps; ${s.mcu_seconds.toFixed(1)} s of MCU time, no power cycle (${s.power_cycles})`);
      expect(s.power_cycles).toBe(0);
      const rec = readRun(record);
      expect(rec.status).toBe('complete');
      expect(rec.events.map((e) => (e.data as { step: number }).step)).toEqual([...Array(steps).keys()]);
      expect((rec.events[steps - 1]!.data as { settings: number[] }).settings).toEqual(want);
    } finally {
      await emu.close();
    }
  }, 240_000);

  it('a host killed in the middle of an autonomous run: the next host halts the orphaned run and gets a usable board', async () => {
    const emu = await serve('orphan');
    try {
      // the dying host: a separate process (the built library) streaming a long run with a window of 4 frames
      const script = join(dir, 'stream.mjs');
      const lib = pathToFileURL(resolve(__dirname, '../../dist/src/device/SerialBoard.js')).href;
      writeFileSync(
        script,
        `import { openSerialBoard } from ${JSON.stringify(lib)};
const board = await openSerialBoard(process.argv[2], { baseTimeoutMs: 3000, retries: 6 });
board.runSchedule({ steps: 100000, sources: [0, 3], targets: [13], examples: [{ in: [4, 0], out: [1] }], eta: 0.5 }, 4)
  .subscribe({ next: (f) => process.stdout.write('frame ' + f.step + '\\n'), error: (e) => { console.error(String(e)); process.exit(1); } });
`,
      );
      const child = spawn(process.execPath, [script, emu.path], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const exited = new Promise<void>((res) => child.on('exit', () => res()));
      await new Promise<void>((res, rej) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          // killed once 5 frames have arrived: the board is mid-run with credits outstanding
          if ((out.match(/^frame /gm) ?? []).length >= 5) res();
        });
        void exited.then(() => rej(new Error(`the streaming host ended before 5 frames: ${err}`)));
      });
      child.kill('SIGKILL');
      await exited;
      // the next host: opening must succeed, notice the foreign run and halt it
      const events: BoardEvent[] = [];
      const board = await openSerialBoard(emu.path, emulatorSerialOptions(115200));
      try {
        board.events.subscribe((e) => events.push(e));
        const st = await board.stat();
        // without the halt the run would still be 'running', waiting for credits the dead host never grants
        expect(st.run).toBe('halted');
        expect(st.runStep).toBeGreaterThanOrEqual(5);
        const stepsThen = st.steps;
        // usable: edges read back, a source is driven, and the device runs no further steps
        expect(await board.readEdges()).toHaveLength(24);
        await board.setSources(new Map([[0, 2]]));
        expect(Math.abs((await board.measure())[0]! - 2)).toBeLessThan(0.02);
        expect((await board.stat()).steps).toBe(stepsThen);
      } finally {
        await board.close();
      }
    } finally {
      await emu.close();
    }
  }, 120_000);
});
