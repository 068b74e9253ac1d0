/**
 * kill -9 of the recording process at random moments (chosen by the number of events it reported): every event the child reported as appended (append had
 * returned) must be in the file, at most the one in progress may be torn, and resume continues with the next step.
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/physics/Rng.js';
import { readRun } from '../../src/store/readRun.js';
import { RunWriter } from '../../src/store/RunWriter.js';
import { DIST, tempDir } from './helpers.js';

const dir = tempDir('clln-store-crash-');
const child = join(dir, 'child.mjs');

// The recording process: appends steps as fast as it can (yielding now and then so the fsync timer runs) and
// prints each seq_num once append has returned. Lines are 1.5 to 10 kB so that a kill can land inside a write.
writeFileSync(
  child,
  `import { writeSync } from 'node:fs';
import { RunWriter } from ${JSON.stringify(pathToFileURL(join(DIST, 'src/store/RunWriter.js')).href)};
const [path, mode] = process.argv.slice(2);
const keys = { step: { dtype: 'integer', shape: [], source: 'host' }, vf: { dtype: 'array', shape: [16], source: 'board:ADC' },
  settings: { dtype: 'array', shape: [42], source: 'board' }, cost: { dtype: 'number', shape: [], source: 'host' }, pad: { dtype: 'string', shape: [], source: 'test' } };
let w;
if (mode === 'create') {
  w = RunWriter.create(path, { uid: 'crash-run', time: Date.now() / 1000, plan_name: 'crash_test' }, { data_keys: keys });
} else {
  const r = RunWriter.resume(path);
  w = r.writer;
  writeSync(1, 'resumed ' + r.record.events.length + '\\n');
}
writeSync(1, 'ready\\n');
for (;;) {
  const step = w.lastSeq; // 0-based step = seq_num - 1
  const seq = w.append({ step, vf: Array.from({ length: 16 }, () => Math.random()), settings: Array.from({ length: 42 }, (_, k) => (step + k) % 64),
    cost: 1 / (step + 1), pad: 'x'.repeat(Math.floor(Math.random() * 8000)) });
  writeSync(1, seq + '\\n');
  if (seq % 20 === 0) await new Promise((r) => setImmediate(r));
}
`,
);

interface Round {
  reported: number;
  resumedWith?: number;
  exit: string;
}

/**
 * Run the child and kill -9 it once it has reported `killAt` appended events: a moment chosen by what it did, not
 * by elapsed time (a loaded machine may append nothing for a while). It keeps appending while the signal travels,
 * so the kill still lands anywhere, inside a write or between two.
 */
function runAndKill(path: string, mode: 'create' | 'resume', killAt: number): Promise<Round> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, path, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let sent = false;
    p.stdout.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      const last = /(\d+)\n$/.exec(out);
      if (!sent && last && Number(last[1]) >= killAt) {
        sent = true;
        p.kill('SIGKILL');
      }
    });
    p.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    p.on('error', reject);
    p.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`child exited ${code}/${signal} instead of being killed: ${err}`));
      // only complete lines count: a number printed in part was not reported
      const lines = out.slice(0, out.lastIndexOf('\n') + 1).split('\n').filter(Boolean);
      const resumed = lines.find((l) => l.startsWith('resumed '));
      const seqs = lines.filter((l) => /^\d+$/.test(l)).map(Number);
      resolve({ reported: seqs.length ? seqs[seqs.length - 1] : 0, resumedWith: resumed ? Number(resumed.slice(8)) : undefined, exit: String(signal) });
    });
  });
}

describe('crash safety (kill -9)', () => {
  it('every reported event survives 5 kills at random moments; resume continues from the last recorded step', async () => {
    if (!existsSync(join(DIST, 'src/store/RunWriter.js'))) throw new Error('dist is missing: build first (npx tsc -p tsconfig.json)');
    const path = join(dir, 'crash.jsonl');
    let recorded = 0;
    let reportedTotal = 0;
    let tornSeen = 0;
    const rng = new Rng(11);
    for (let round = 0; round < 5; round++) {
      const killAt = recorded + 1 + rng.int(200);
      const r = await runAndKill(path, round === 0 ? 'create' : 'resume', killAt);
      const ctx = `round ${round}, kill once ${killAt} were reported, reported ${r.reported}`;
      if (round > 0) expect(r.resumedWith, ctx).toBe(recorded); // resume saw exactly what was on file
      const run = readRun(path);
      const n = run.events.length;
      // every event whose append returned is there; at most the one in progress beyond it
      expect(n, ctx).toBeGreaterThanOrEqual(r.reported);
      expect(n, ctx).toBeLessThanOrEqual(Math.max(r.reported, recorded) + 1);
      if (run.torn) tornSeen++;
      run.events.forEach((e, i) => expect(e.data.step).toBe(i)); // no step skipped or repeated across resumes
      expect(run.status).toBe('interrupted');
      reportedTotal += r.reported - recorded;
      recorded = n;
    }
    expect(reportedTotal).toBeGreaterThan(0);
    const { writer, record } = RunWriter.resume(path);
    expect(record.events).toHaveLength(recorded);
    expect(writer.append({ step: recorded, vf: [], settings: [], cost: 0, pad: '' })).toBe(recorded + 1);
    await writer.stop('success', 'finished after 5 crashes');
    const final = readRun(path);
    expect(final.status).toBe('complete');
    expect(final.torn).toBe(false);
    expect(final.events.map((e) => e.seq_num)).toEqual(Array.from({ length: recorded + 1 }, (_, i) => i + 1));
    console.log(`crash test: ${recorded} events over 5 kills, ${tornSeen} kill(s) left a torn line`);
  });
});
