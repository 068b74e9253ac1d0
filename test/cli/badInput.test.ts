/**
 * Issue 11, point 3: bad input gives exit 2 and one clear paragraph, never a stack trace, an out-of-memory kill or a
 * hang. One test per failure class found by fuzzing (A-E), and the I/O failures (exit 1), each through the CLI entry
 * as a user meets them.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { clln, expectOneParagraph } from './inProcess.js';

const dir = mkdtempSync(join(tmpdir(), 'clln-bad-'));
const at = (name: string): string => join(dir, name);
const net = at('board-net.json');
const task = at('task.json');
const plan = at('plan.json');
const record = at('cal.json');
const run = at('run.jsonl');

/** A value nested `depth` arrays deep. */
const deep = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);
/** `json` (an object's text) with `"key": RAW` added at its end (so that it wins over an earlier `key`). */
const withRaw = (json: string, key: string, raw: string): string => `${json.trimEnd().slice(0, -1)}, ${JSON.stringify(key)}: ${raw}}`;
const lines = (path: string): string[] => readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0);

beforeAll(async () => {
  expect((await clln('network', 'board', 'penn-gen1', '--out', net)).code).toBe(0);
  const t = await clln('task', 'linear', '--matrix', '0.3,0.2;0.1,0.4', '--sources', '0,3', '--targets', '9,10', '--ground', '15', '--count', '8', '--test', '4', '--network', net, '--out', task);
  expect(t.code).toBe(0);
  writeFileSync(plan, JSON.stringify({ format: 'clln.calibration-plan/1', board: 'penn-gen1', samples: 4, settings: { levels: [50, 99], mixed: 1 }, patterns: { kind: 'random', count: 8, seed: 1 } }));
  writeFileSync(record, readFileSync(new URL('../../calibration/examples/penn-gen1-twin-seed0.json', import.meta.url)));
  const r = await clln('train', net, task, '--board', 'twin', '--steps', '4', '--record', run, '--json');
  expect(r.code, r.stderr).toBe(0);
  // an interrupted run: drop the stop document
  writeFileSync(run, lines(run).slice(0, -1).join('\n') + '\n');
});

describe('(A) a value nested 5,000 levels deep', () => {
  const D = deep(5000);
  const base = (name: string): string => (name === 'board model' ? new URL('../../twins/models/penn-gen1.json', import.meta.url).pathname : name);
  const cases: [string, string, string, (file: string) => string[]][] = [
    ['solve', 'network file', net, (f) => ['solve', f, '--fix', '0=1']],
    ['diagnose', 'network file', net, (f) => ['diagnose', f]],
    ['train', 'task file', task, (f) => ['train', net, f, '--steps', '1']],
    ['calibrate', 'calibration plan file', plan, (f) => ['calibrate', '--board', 'twin', '--plan', f, '--out', at('never.json')]],
    ['check', 'calibration record', record, (f) => ['check', '--board', 'twin', '--calibration', f]],
    ['network board', 'board model', 'board model', (f) => ['network', 'board', f]],
  ];
  it.each(cases)('clln %s: in its %s', async (command, what, file0, args) => {
    const file = at(`deep-${command.replace(/ /g, '-')}.json`);
    writeFileSync(file, withRaw(readFileSync(base(file0), 'utf8'), 'format', D));
    const r = await clln(...args(file));
    const line = expectOneParagraph(r.stderr);
    expect(r.code, line).toBe(2);
    expect(line).toContain(`${file}: line `);
    expect(line).toContain(`the ${what} is nested deeper than 64 levels`);
  });

  it('in a run record line (diagnose --run, export, resume)', async () => {
    const [start, ...rest] = lines(run);
    const doc = JSON.parse(start);
    const file = at('deep-run.jsonl');
    const text = JSON.stringify(doc);
    expect(text).toContain('"network":{"format":"clln.network/1"');
    writeFileSync(file, [text.replace('"network":{"format":"clln.network/1"', `"network":{"format":${D}`), ...rest].join('\n') + '\n');
    for (const args of [['diagnose', '--run', file], ['export', file, '--csv', at('x.csv')], ['resume', file]]) {
      const r = await clln(...args);
      const line = expectOneParagraph(r.stderr);
      expect(r.code, line).toBe(2);
      expect(line).toContain(`${file}: line 1: column `);
      expect(line).toContain('nested deeper than 64 levels');
    }
  });
});

describe('(B) a bad value is quoted, at most about 80 characters', () => {
  const huge = 'x'.repeat(100_000);
  it('in a file field', async () => {
    const file = at('huge-format.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(net, 'utf8')), format: huge }));
    const r = await clln('solve', file, '--fix', '0=1');
    const line = expectOneParagraph(r.stderr);
    expect(r.code).toBe(2);
    expect(line).toContain(`${file}: format: must be "clln.network/1", got "xxx`);
    expect(line.length).toBeLessThan(400);
  });

  it('in a torn record line in the middle of a run file', async () => {
    const [start, desc, ...events] = lines(run);
    const file = at('torn-middle.jsonl');
    writeFileSync(file, [start, desc, events[0], `["event", {"uid": "${huge}`, events[1]].join('\n') + '\n');
    const r = await clln('export', file, '--csv', at('y.csv'));
    const line = expectOneParagraph(r.stderr);
    expect(r.code).toBe(2);
    expect(line).toContain(`${file}: line 4: is not a JSON document line`);
    expect(line.length).toBeLessThan(600);
  });

  it('in option values and unknown options', async () => {
    const odd = 'a\nb\u001b[2J';
    for (const args of [['solve', net, '--fix', huge], ['solve', net, `--${huge}`], ['train', net, task, '--plateau', huge], ['network', 'random', huge], [huge], ['solve', net, '--fix', odd], ['diagnose', ''], ['network', 'lattice', '1000x1000'], ['task', 'linear', '--matrix', '1', '--sources', '0', '--targets', '1', '--count', '1e12']]) {
      const r = await clln(...args);
      const line = expectOneParagraph(r.stderr);
      expect(r.code).toBe(2);
      expect(line.length).toBeLessThan(600);
    }
  });
});

describe('(C) a JSON syntax error', () => {
  it('is one line naming the file, the line and the column and what was expected, control bytes escaped', async () => {
    const file = at('syntax.json');
    writeFileSync(file, '{"format": "clln.network/1",\n  "name": x\u0001\u001b[31m\r\n  , ]');
    const r = await clln('solve', file, '--fix', '0=1');
    const line = expectOneParagraph(r.stderr);
    expect(r.code).toBe(2);
    expect(line).toContain(`${file}: line 2, column 11: the network file is not valid JSON: expected a value`);
    expect(line).toContain("found 'x'");
    const ctrl = at('ctrl.json');
    writeFileSync(ctrl, '{"format": "clln.network/1", "name": "a\u0007\u001b[2Jb"}');
    const c = await clln('solve', ctrl, '--fix', '0=1');
    expect(expectOneParagraph(c.stderr)).toContain(`${ctrl}: line 1, column 40: the network file is not valid JSON: a string holds the raw control character U+0007`);
  });
});

describe('(D) resume of a record with an out-of-range setting', () => {
  it('names the record file, the line and the field', async () => {
    // the record interleaves steps and evaluations: edit the last step's event, wherever its line is
    const all = lines(run);
    const at0 = all.map((l) => l.startsWith('["event"') && l.includes('"settings"')).lastIndexOf(true);
    const last = JSON.parse(all[at0]);
    last[1].data.settings[22] = 150; // penn-gen1 has taps 0..99
    const file = at('bad-setting.jsonl');
    writeFileSync(file, [...all.slice(0, at0), JSON.stringify(last), ...all.slice(at0 + 1)].join('\n') + '\n');
    expect(at0 + 1).toBeLessThan(all.length); // an evaluation follows it
    const r = await clln('resume', file);
    const line = expectOneParagraph(r.stderr);
    expect(r.code).toBe(2);
    expect(line).toContain(`${file}: line ${at0 + 1}: data.settings[22]: tap must be an integer in 0..99, got 150`);
    expect(line).not.toContain('board penn-gen1: edges[22]');
  });

  it('diagnose --run names them the same way', async () => {
    const all = lines(run);
    // the first step's event comes after the evaluation descriptor and the evaluation before training
    const first = all.findIndex((l) => l.startsWith('["event"') && l.includes('"settings"'));
    expect(first).toBe(4);
    const ev = JSON.parse(all[first]);
    ev[1].data.settings[5] = 500;
    const file = at('bad-setting-diagnose.jsonl');
    writeFileSync(file, [...all.slice(0, first), JSON.stringify(ev), ...all.slice(first + 1)].join('\n') + '\n');
    const r = await clln('diagnose', '--run', file);
    const line = expectOneParagraph(r.stderr);
    expect(r.code).toBe(2);
    expect(line).toContain(`${file}: line ${first + 1}: data.settings[5]: tap must be in 0..99, got 500`);
  });
});

describe('(E) counts and sizes have limits, enforced before anything is allocated', () => {
  // before the limit: 1e7 ran out of memory after 28 s at 4.6 GB, 1e308 exited 1 with a stack trace
  it.each(['1e308', '1e7'])('a calibration plan with patterns.count %s', async (count) => {
    const file = at(`count-${count}.json`);
    writeFileSync(file, readFileSync(plan, 'utf8').replace('"count":8', `"count":${count}`));
    const r = await clln('calibrate', '--board', 'twin', '--plan', file, '--out', at('never.json'));
    const line = expectOneParagraph(r.stderr);
    expect(r.code).toBe(2);
    expect(line).toContain(`${file}: patterns.count: must be an integer in 1..1000`);
  });

  it('a file larger than the limit is refused from its size', async () => {
    const file = at('big.json');
    const fd = openSync(file, 'w');
    ftruncateSync(fd, 100 * 1024 * 1024); // sparse: 100 MiB of NUL bytes that take no disk space
    closeSync(fd);
    const r = await clln('solve', file, '--fix', '0=1');
    const line = expectOneParagraph(r.stderr);
    expect(r.code).toBe(2);
    expect(line).toContain(`${file}: the network file is 100 MiB; the limit is 64 MiB`);
  });
});

describe('I/O failures', () => {
  it('an unreadable file is exit 1 naming the path and the reason; a missing one or a directory exit 2', async () => {
    // /proc/self/mem opens but fails to read at offset 0 (EIO), even for root
    const io = await clln('solve', '/proc/self/mem', '--fix', '0=1');
    expect(io.code).toBe(1);
    expect(expectOneParagraph(io.stderr)).toBe('clln solve: /proc/self/mem: cannot read the network file: i/o error (EIO)');
    const missing = await clln('solve', at('missing.json'), '--fix', '0=1');
    expect(missing.code).toBe(2);
    expect(expectOneParagraph(missing.stderr)).toContain('cannot read the network file: no such file or directory');
    const d = await clln('export', dir, '--csv', '-');
    expect(d.code).toBe(2);
    expect(expectOneParagraph(d.stderr)).toContain(`${dir}: cannot read the run file: it is a directory`);
  });
});
