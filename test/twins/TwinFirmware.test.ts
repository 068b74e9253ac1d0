import { describe, expect, it } from 'vitest';
import { parseFields, parseIdentity, parseList, parseReply, parseTopology, type Reply } from '../../firmware-protocol/codec.js';
import { Rng } from '../../src/physics/Rng.js';
import { loadBoardModel } from '../../twins/BoardModel.js';
import { TwinBoardCore } from '../../twins/TwinBoardCore.js';
import { TwinFirmware } from '../../twins/TwinFirmware.js';

const gen1 = loadBoardModel('penn-gen1');
const gen2 = loadBoardModel('penn-gen2');

function fresh(model = gen1): TwinFirmware {
  return new TwinFirmware(new TwinBoardCore(model, { ideal: true }));
}

let seq = 0;
/** Send one command with a new SEQ; returns the parsed reply (exactly one). */
function cmd(fw: TwinFirmware, text: string): Reply & { raw: string } {
  seq = seq >= 65535 ? 1 : seq + 1;
  const out = fw.receive(`${seq} ${text}`);
  expect(out.length).toBeGreaterThanOrEqual(1);
  const r = parseReply(out[0]);
  expect(r).not.toBeNull();
  if (r!.kind !== 'event') expect(r!.seq).toBe(seq);
  return { ...r!, raw: out[0] };
}

function ok(fw: TwinFirmware, text: string): string[] {
  const r = cmd(fw, text);
  if (r.kind !== 'ok') throw new Error(`expected OK for ${text}, got ${r.raw}`);
  return r.payload;
}

function errCode(fw: TwinFirmware, text: string): number {
  const r = cmd(fw, text);
  if (r.kind !== 'err') throw new Error(`expected ERR for ${text}, got ${r.raw}`);
  return r.code;
}

function field(payload: string[], key: string): string {
  const f = payload.find((p) => p.startsWith(key + '='));
  if (f === undefined) throw new Error(`no ${key}= in ${payload.join(' ')}`);
  return f.slice(key.length + 1);
}

describe('TwinFirmware verbs', () => {
  it('banner, PING, ID, TOPO', () => {
    const fw = fresh();
    expect(fw.banner()).toBe('! BOOT fw=clln-twin-1.0.0 proto=1.4 board=penn-gen1 boot=1');
    expect(ok(fw, 'PING')).toEqual([]);
    const id = parseIdentity(ok(fw, 'ID'), parseTopology(ok(fw, 'TOPO'))!);
    // protocol 1.4 over the core's 1.3: every ID field the core's, the version the firmware's
    expect(id).toEqual({ ...fw.core.identity(), protocol: '1.4' });
    expect(errCode(fw, 'PING extra')).toBe(400);
  });

  it('SRC, CLAMP, MEAS, EGET, ESET agree with the core', () => {
    const fw = fresh();
    const twin = new TwinBoardCore(gen1, { ideal: true });
    ok(fw, 'ESET 0:10,5:99,7:0');
    twin.setEdges([[0, 10], [5, 99], [7, 0]]);
    expect(parseList(ok(fw, 'EGET')[0])).toEqual(Array.from(twin.edgeSettings()));
    ok(fw, 'SRC 0:4.5,15:0');
    ok(fw, 'CLAMP 9:1.25');
    twin.setSources([[0, 4.5], [15, 0]]);
    twin.setClamps([[9, 1.25]]);
    expect(parseList(ok(fw, 'MEAS')[0])).toEqual(Array.from(twin.measure()));
    expect(parseList(ok(fw, 'MEAS n=1024')[0])).toEqual(Array.from(twin.measure(1024)));
    ok(fw, 'CLAMP -');
    twin.setClamps([]);
    expect(parseList(ok(fw, 'MEAS n=3')[0])).toEqual(Array.from(twin.measure(3)));
    ok(fw, 'SRC -');
    expect(parseList(ok(fw, 'MEAS')[0])).toEqual(new Array(16).fill(0));
  });

  it('answers errors with the right codes', () => {
    const fw = fresh();
    expect(errCode(fw, 'FOO')).toBe(404);
    expect(errCode(fw, 'ping')).toBe(404); // verbs are case-sensitive: not a verb
    expect(errCode(fw, 'SRC')).toBe(400);
    expect(errCode(fw, 'SRC 0:x')).toBe(400);
    expect(errCode(fw, 'SRC 0:1,0:2')).toBe(400);
    expect(errCode(fw, 'SRC 16:1')).toBe(416);
    expect(errCode(fw, 'SRC 0:5.5')).toBe(416);
    expect(errCode(fw, 'MEAS n=0')).toBe(416);
    expect(errCode(fw, 'MEAS n=2000')).toBe(416);
    expect(errCode(fw, 'MEAS n=abc')).toBe(400);
    expect(errCode(fw, 'MEAS k=3')).toBe(400);
    expect(errCode(fw, 'ESET 0:100')).toBe(416);
    expect(errCode(fw, 'ESET 0:1.5')).toBe(400);
    expect(errCode(fw, 'ESET 40:1')).toBe(416);
    ok(fw, 'SRC 0:1');
    expect(errCode(fw, 'CLAMP 0:1')).toBe(409);
    expect(errCode(fw, 'STEP tgt=9:1')).toBe(400);
    expect(errCode(fw, 'STEP eta=0.5')).toBe(400);
    expect(errCode(fw, 'STEP eta=2 tgt=9:1')).toBe(416);
    expect(errCode(fw, 'STEP eta=0.5 tgt=0:1')).toBe(409);
    expect(errCode(fw, 'RUN')).toBe(409);
    expect(errCode(fw, 'GRANT 3')).toBe(409);
    expect(errCode(fw, 'GRANT x')).toBe(400);
    expect(errCode(fw, 'RESEND 0')).toBe(409); // no run
    expect(errCode(fw, 'SCHED')).toBe(400);
    expect(errCode(fw, 'SCHED END')).toBe(409);
    expect(errCode(fw, 'SCHED EX 0 in=1 out=1')).toBe(409);
    expect(fresh(gen2).receive('3 ESET 0:5.01')[0]).toMatch(/^3 ERR 416 /);
    // no valid SEQ: nothing to reply to, nothing sent, counted
    expect(fw.receive('x PING')).toEqual([]);
    expect(fw.counters.badseq).toBe(1);
  });

  it('STEP replies vf and changed like the core, and a duplicate is answered from the cache without executing', () => {
    const fw = fresh();
    const twin = new TwinBoardCore(gen1, { ideal: true });
    ok(fw, 'SRC 0:4,15:0');
    twin.setSources([[0, 4], [15, 0]]);
    const body = '4321 STEP eta=0.5 tgt=9:1.2,10:3';
    const first = fw.receive(body);
    const r = twin.step([[9, 1.2], [10, 3]], 0.5);
    const p = parseReply(first[0]);
    expect(p).toMatchObject({ kind: 'ok', seq: 4321 });
    const payload = (p as { payload: string[] }).payload;
    expect(parseList(field(payload, 'vf'))).toEqual(Array.from(r.freeTargets));
    expect(Number(field(payload, 'changed'))).toBe(r.changed);
    expect(r.changed).toBeGreaterThan(0);
    const settings = Array.from(fw.core.edgeSettings());
    // the retry: same body, same reply, not applied again
    expect(fw.receive(body)).toEqual(first);
    expect(fw.receive(body)).toEqual(first);
    expect(Array.from(fw.core.edgeSettings())).toEqual(settings);
    expect(Array.from(twin.edgeSettings())).toEqual(settings);
    const stat = ok(fw, 'STAT');
    expect(field(stat, 'dup')).toBe('2');
    expect(field(stat, 'steps')).toBe('1');
    // a new SEQ with the same arguments executes again
    ok(fw, 'STEP eta=0.5 tgt=9:1.2,10:3');
    twin.step([[9, 1.2], [10, 3]], 0.5);
    expect(Array.from(fw.core.edgeSettings())).toEqual(Array.from(twin.edgeSettings()));
    expect(field(ok(fw, 'STAT'), 'steps')).toBe('2');
  });

  it('caches errors too; refuses a late copy of an older command (409) without executing it; forgets after 16', () => {
    const fw = fresh();
    const a = fw.receive('100 ESET 0:100');
    expect(fw.receive('100 ESET 0:100')).toEqual(a);
    fw.receive('101 ESET 0:7');
    fw.receive('102 ESET 0:8');
    expect(fw.receive('101 ESET 0:7')).toEqual([expect.stringMatching(/^101 ERR 409 /)]); // not executed again
    expect(fw.core.edgeSettings()[0]).toBe(8);
    expect(fw.counters.dup).toBe(2);
    // the same SEQ with another body is another command
    expect(fw.receive('102 ESET 0:9')).toEqual(['102 OK']);
    expect(fw.core.edgeSettings()[0]).toBe(9);
    for (let i = 0; i < 16; i++) fw.receive(`${200 + i} PING`);
    expect(fw.receive('101 ESET 0:7')).toEqual(['101 OK']); // out of the history: executes
    expect(fw.core.edgeSettings()[0]).toBe(7);
  });

  it('STAT counts link errors fed by the server; RESET reboots and sends the banner', () => {
    const fw = fresh();
    fw.countLinkErrors({ crc: 2, garbage: 1, overlong: 0 });
    fw.countLinkErrors({ crc: 1, garbage: 0, overlong: 4 });
    const s = ok(fw, 'STAT');
    expect(s).toEqual(['boot=1', 'crc=3', 'overlong=4', 'garbage=1', 'dup=0', 'badseq=0', 'steps=0', 'run=none', 'runstep=0', 'runerr=0']);
    ok(fw, 'ESET 0:3');
    ok(fw, 'SRC 0:1');
    expect(fw.receive('900 RESET')).toEqual([expect.stringMatching(/^900 ERR 400 /)]); // boot= is required
    const out = fw.receive('901 RESET boot=1');
    expect(out).toEqual(['901 OK boot=1', '! BOOT fw=clln-twin-1.0.0 proto=1.4 board=penn-gen1 boot=2']);
    // the retry of that RESET (its reply lost) finds the counter moved: no second reboot
    expect(fw.receive('901 RESET boot=1')).toEqual(['901 OK boot=2']);
    expect(ok(fw, 'STAT')).toEqual(['boot=2', 'crc=0', 'overlong=0', 'garbage=0', 'dup=0', 'badseq=0', 'steps=0', 'run=none', 'runstep=0', 'runerr=0']);
    expect(parseList(ok(fw, 'EGET')[0])).toEqual(new Array(33).fill(50));
    expect(fw.core.activeSources().size).toBe(0);
    expect(fw.reboot()).toEqual(['! BOOT fw=clln-twin-1.0.0 proto=1.4 board=penn-gen1 boot=3']);
  });
});

describe('TwinFirmware STEP details that depend on the physics (PROTOCOL.md 7)', () => {
  it('vf follows the order of the tgt pairs as given', () => {
    const a = fresh();
    const b = fresh();
    for (const fw of [a, b]) ok(fw, 'SRC 0:4,15:0');
    const vf = (fw: TwinFirmware, tgt: string): number[] => parseList(field(ok(fw, `STEP eta=0.5 tgt=${tgt}`), 'vf'))!;
    const ab = vf(a, '9:1.2,10:3');
    const ba = vf(b, '10:3,9:1.2');
    expect(ab[0]).not.toBe(ab[1]);
    expect(ba).toEqual([ab[1], ab[0]]);
  });

  it('a gate board moves no gate by more than gstep in one step, and reports gstep and the amp range in ID', () => {
    const model = { ...gen2, step: { amp: [0, 100] as [number, number], maxGateStep: 0.05 } };
    const fw = new TwinFirmware(new TwinBoardCore(model, { ideal: true }));
    const id = parseIdentity(ok(fw, 'ID'), parseTopology(ok(fw, 'TOPO'))!);
    if (typeof id === 'string') throw new Error(id);
    expect(id.limits).toMatchObject({ amp: { lo: 0, hi: 100 }, gateStep: 0.05 });
    ok(fw, 'SRC 0:0.9,10:0');
    const before = parseList(ok(fw, 'EGET')[0])!;
    ok(fw, 'STEP eta=1 tgt=5:0.05 amp=100');
    const after = parseList(ok(fw, 'EGET')[0])!;
    const moves = after.map((g, e) => Math.abs(g - before[e]));
    expect(Math.max(...moves)).toBeCloseTo(0.05, 9); // amp 100 would move some gate by volts: limited
    expect(moves.every((m) => m <= 0.05 + 1e-12)).toBe(true);
    // without the limit (the whole gate range), the same step moves a gate much further
    const free = new TwinFirmware(new TwinBoardCore({ ...gen2, step: { amp: [0, 100] as [number, number] } }, { ideal: true }));
    ok(free, 'SRC 0:0.9,10:0');
    ok(free, 'STEP eta=1 tgt=5:0.05 amp=100');
    const far = parseList(ok(free, 'EGET')[0])!.map((g, e) => Math.abs(g - before[e]));
    expect(Math.max(...far)).toBeGreaterThan(0.5);
  });

  it('eta and amp outside the model\'s step limits are 416; SCHED BEGIN checks them and the example count too', () => {
    const model = { ...gen2, step: { eta: [0.1, 0.5] as [number, number], amp: [0.5, 2] as [number, number], maxExamples: 4 } };
    const fw = new TwinFirmware(new TwinBoardCore(model, { ideal: true }));
    ok(fw, 'SRC 0:0.9,10:0');
    for (const c of ['STEP eta=0.05 tgt=5:0.3 amp=1', 'STEP eta=0.6 tgt=5:0.3 amp=1', 'STEP eta=0.3 tgt=5:0.3 amp=0.4', 'STEP eta=0.3 tgt=5:0.3 amp=2.1']) {
      expect(errCode(fw, c), c).toBe(416);
    }
    expect(field(ok(fw, 'STAT'), 'steps')).toBe('0');
    ok(fw, 'STEP eta=0.1 tgt=5:0.3 amp=0.5'); // the range ends are inside
    ok(fw, 'STEP eta=0.5 tgt=5:0.3'); // amp defaults to 1
    expect(errCode(fw, 'SCHED BEGIN steps=5 examples=5 src=0 tgt=5 eta=0.3')).toBe(416);
    expect(errCode(fw, 'SCHED BEGIN steps=5 examples=4 src=0 tgt=5 eta=0.6')).toBe(416);
    expect(errCode(fw, 'SCHED BEGIN steps=5 examples=4 src=0 tgt=5 eta=0.3 amp=3')).toBe(416);
    ok(fw, 'SCHED BEGIN steps=5 examples=4 src=0 tgt=5 eta=0.3 amp=2');
  });
});

describe('TwinFirmware schedules and autonomous runs', () => {
  const examples = [
    { in: [4, 1], out: [2, 2.5] },
    { in: [1, 4], out: [1.5, 1] },
    { in: [3, 3], out: [2.2, 2.2] },
  ];

  function upload(fw: TwinFirmware, steps: number): void {
    ok(fw, `SCHED BEGIN steps=${steps} examples=3 src=0,3 tgt=9,10 eta=0.5`);
    expect(errCode(fw, 'RUN')).toBe(409);
    examples.forEach((ex, i) => ok(fw, `SCHED EX ${i} in=${ex.in.join(',')} out=${ex.out.join(',')}`));
    expect(ok(fw, 'SCHED END')).toEqual(['examples=3']);
  }

  /** Independent: the same steps done by hand on a second core. */
  function expectedFrames(steps: number): string[] {
    const twin = new TwinBoardCore(gen1, { ideal: true });
    const out: string[] = [];
    for (let s = 0; s < steps; s++) {
      const ex = examples[s % 3];
      twin.setSources([[0, ex.in[0]], [3, ex.in[1]]]);
      const r = twin.step([[9, ex.out[0]], [10, ex.out[1]]], 0.5);
      out.push(`! FRAME ${s} ex=${s % 3} vf=${Array.from(r.freeTargets).join(',')} changed=${r.changed}`);
    }
    return out;
  }

  it('validates the upload', () => {
    const fw = fresh();
    expect(errCode(fw, 'SCHED BEGIN steps=0 examples=1 src=0 tgt=9 eta=0.5')).toBe(416);
    expect(errCode(fw, 'SCHED BEGIN steps=5 examples=1 src=0 tgt=16 eta=0.5')).toBe(416);
    expect(errCode(fw, 'SCHED BEGIN steps=5 examples=1 src=0 tgt=0 eta=0.5')).toBe(400);
    expect(errCode(fw, 'SCHED BEGIN steps=5 examples=1 src=0 eta=0.5')).toBe(400);
    ok(fw, 'SCHED BEGIN steps=5 examples=2 src=0 tgt=9 eta=0.5');
    expect(errCode(fw, 'SCHED EX 2 in=1 out=1')).toBe(416);
    expect(errCode(fw, 'SCHED EX 0 in=1,2 out=1')).toBe(400);
    expect(errCode(fw, 'SCHED EX 0 in=7 out=1')).toBe(416);
    ok(fw, 'SCHED EX 0 in=1 out=1');
    ok(fw, 'SCHED EX 0 in=2 out=1'); // re-sending the same index overwrites
    const end = cmd(fw, 'SCHED END');
    expect(end.kind === 'err' && end.code === 409 && /example 1 missing/.test(end.message)).toBe(true);
  });

  it('never runs ahead of credits, streams every step, ends with DONE, and RESEND re-sends frames', () => {
    const fw = fresh();
    upload(fw, 7);
    const expected = expectedFrames(7);
    expect(ok(fw, 'RUN')).toEqual(['steps=7']);
    expect(fw.pump()).toEqual([]); // zero credits
    // busy: only PING, ID, STAT, GRANT, HALT, RESEND
    for (const c of ['MEAS', 'SRC -', 'ESET 0:1', 'STEP eta=0.5 tgt=9:1', 'EGET', 'TOPO', 'RUN', 'SCHED END', 'RESET']) expect(errCode(fw, c)).toBe(503);
    ok(fw, 'PING');
    ok(fw, 'ID');
    expect(ok(fw, 'GRANT 2')).toEqual(['credits=2']);
    expect(fw.pump(1)).toEqual([expected[0]]);
    expect(fw.credits).toBe(1);
    expect(fw.pump()).toEqual([expected[1]]);
    expect(fw.pump()).toEqual([]);
    // a retried GRANT (same body) adds nothing
    const grant = `${seq + 1} GRANT 3`;
    seq++;
    expect(fw.receive(grant)).toEqual([`${seq} OK credits=3`]);
    expect(fw.receive(grant)).toEqual([`${seq} OK credits=3`]);
    expect(fw.pump()).toEqual(expected.slice(2, 5));
    expect(fw.pump()).toEqual([]);
    expect(ok(fw, 'RESEND 3')).toEqual(expected[3].split(' ').slice(2));
    expect(errCode(fw, 'RESEND 5')).toBe(416);
    expect(ok(fw, 'GRANT 10')).toEqual(['credits=10']);
    expect(fw.pump()).toEqual([...expected.slice(5), '! DONE steps=7']);
    expect(fw.running).toBe(false);
    expect(fw.pump()).toEqual([]);
    expect(ok(fw, 'RESEND 0')).toEqual(expected[0].split(' ').slice(2));
    expect(field(ok(fw, 'STAT'), 'steps')).toBe('7');
    ok(fw, 'MEAS'); // no longer busy
    expect(ok(fw, 'GRANT 1')).toEqual(['credits=0']);
  });

  it('random interleavings of GRANT and pump never exceed the credits granted', () => {
    const fw = fresh();
    upload(fw, 40);
    ok(fw, 'RUN');
    let granted = 0;
    let frames = 0;
    const rng = new Rng(12345);
    const rand = (n: number): number => rng.int(n);
    let iterations = 0;
    let done = false;
    while (!done) {
      iterations++;
      if (rand(2) === 0) {
        const k = rand(4);
        ok(fw, `GRANT ${k}`);
        granted += k;
      }
      const out = fw.pump(rand(3) + 1);
      for (const f of out) {
        if (f.startsWith('! DONE')) done = true;
        else expect(f).toMatch(new RegExp(`^! FRAME ${frames++} `));
      }
      expect(frames).toBeLessThanOrEqual(granted);
    }
    expect(frames).toBe(40);
    expect(iterations).toBeLessThan(200);
  });

  it('HALT stops the run after the current step', () => {
    const fw = fresh();
    upload(fw, 100);
    ok(fw, 'RUN');
    ok(fw, 'GRANT 50');
    expect(fw.pump(3)).toHaveLength(3);
    expect(ok(fw, 'HALT')).toEqual(['step=3']);
    expect(fw.running).toBe(false);
    expect(fw.pump()).toEqual([]);
    expect(ok(fw, 'HALT')).toEqual(['step=3']);
    ok(fw, 'MEAS');
    // RUN again restarts from step 0
    ok(fw, 'RUN');
    ok(fw, 'GRANT 1');
    expect(fw.pump()[0]).toMatch(/^! FRAME 0 ex=0 /);
  });

  it('a reboot loses the schedule and the run', () => {
    const fw = fresh();
    upload(fw, 5);
    ok(fw, 'RUN');
    ok(fw, 'GRANT 2');
    fw.reboot();
    expect(fw.running).toBe(false);
    expect(fw.pump()).toEqual([]);
    expect(errCode(fw, 'RUN')).toBe(409);
  });

  it('runs a gate board schedule with amp', () => {
    const fw = fresh(gen2);
    ok(fw, 'SCHED BEGIN steps=2 examples=1 src=0,10 tgt=5 eta=0.5 amp=10');
    ok(fw, 'SCHED EX 0 in=0.9,0 out=0.3');
    ok(fw, 'SCHED END');
    ok(fw, 'RUN');
    ok(fw, 'GRANT 2');
    const out = fw.pump();
    expect(out).toHaveLength(3);
    expect(out[2]).toBe('! DONE steps=2');
    const twin = new TwinBoardCore(gen2, { ideal: true });
    twin.setSources([[0, 0.9], [10, 0]]);
    twin.step([[5, 0.3]], 0.5, 10);
    twin.step([[5, 0.3]], 0.5, 10);
    expect(Array.from(fw.core.edgeSettings())).toEqual(Array.from(twin.edgeSettings()));
  });
});

describe('TwinFirmware protocol 1.4 compound commands (PROTOCOL.md 7.2)', () => {
  /** A noisy twin (seeded), so that equal readings mean the same core calls in the same order. */
  const noisy = (protocol?: '1.3' | '1.4', model = gen1): TwinFirmware => new TwinFirmware(new TwinBoardCore(model, { seed: 11 }), protocol ? { protocol } : {});

  it('CYCLE gives what CLAMP -, SRC, MEAS, CLAMP (the clamp rule), MEAS, CLAMP - give, noise draws included', () => {
    const a = noisy();
    const b = noisy();
    const src = '0:4.5,3:0.25,15:0';
    for (const [tgt, eta] of [
      ['9:2,10:0.3', 0.5],
      ['6:4.99,9:0', 1],
      ['9:1.5', 0.1],
    ] as const) {
      const cyc = parseFields(ok(a, `CYCLE eta=${eta} src=${src} tgt=${tgt} n=8`));
      ok(b, 'CLAMP -');
      ok(b, `SRC ${src}`);
      const vf = parseList(ok(b, 'MEAS n=8')[0])!;
      // the clamp rule, written out here as the host's 1.3 path computes it: V_F + eta (V* - V_F), DAC range, 6 decimals
      const clamps = tgt.split(',').map((p) => {
        const [n, d] = p.split(':').map(Number);
        const c = Math.min(5, Math.max(0, vf[n] + eta * (d - vf[n])));
        return `${n}:${Number(c.toFixed(6))}`;
      });
      ok(b, `CLAMP ${clamps.join(',')}`);
      const vc = parseList(ok(b, 'MEAS n=8')[0])!;
      ok(b, 'CLAMP -');
      expect(parseList(cyc.get('vf')!)).toEqual(vf);
      expect(parseList(cyc.get('vc')!)).toEqual(vc);
      // and the clamped targets read what they were clamped at, within the ADC's noise and resolution
      for (const c of clamps) {
        const [n, v] = c.split(':').map(Number);
        expect(Math.abs(vc[n] - v)).toBeLessThan(0.02);
      }
    }
    expect(a.core.edgeSettings()).toEqual(b.core.edgeSettings());
    expect(a.core.activeSources()).toEqual(b.core.activeSources());
    expect(a.core.activeClamps().size).toBe(0);
    expect(a.core.stats.steps).toBe(0);
  });

  it('STEP src= gives what CLAMP -, SRC, STEP, EGET give; set= is the EGET', () => {
    for (const model of [gen1, gen2]) {
      const a = noisy(undefined, model);
      const b = noisy(undefined, model);
      const amp = model.edge.kind === 'gate' ? ' amp=2' : '';
      const tgt = model.edge.kind === 'gate' ? '9:0.5' : '9:2';
      const srcV = model.edge.kind === 'gate' ? '0:0.9,15:0' : '0:4.5,15:0';
      for (let k = 0; k < 3; k++) {
        const step = parseFields(ok(a, `STEP eta=0.5 tgt=${tgt} src=${srcV}${amp}`));
        ok(b, 'CLAMP -');
        ok(b, `SRC ${srcV}`);
        const ref = parseFields(ok(b, `STEP eta=0.5 tgt=${tgt}${amp}`));
        expect(step.get('vf')).toBe(ref.get('vf'));
        expect(step.get('changed')).toBe(ref.get('changed'));
        expect(step.get('set')).toBe(ok(b, 'EGET')[0]);
      }
    }
  });

  it('a 1.3 firmware has neither: CYCLE is 404, STEP src= is 400, and STEP answers no set=', () => {
    const fw = noisy('1.3');
    expect(errCode(fw, 'CYCLE eta=0.5 src=0:1 tgt=9:2')).toBe(404);
    expect(errCode(fw, 'STEP eta=0.5 tgt=9:2 src=0:1')).toBe(400);
    expect(ok(fw, 'STEP eta=0.5 tgt=9:2').some((f) => f.startsWith('set='))).toBe(false);
    expect(fw.banner()).toMatch(/ proto=1\.3 /);
  });

  it('a refused STEP src= (eta out of range) leaves the sources and clamps as they were', () => {
    const fw = noisy();
    ok(fw, 'SRC 3:1');
    ok(fw, 'CLAMP 9:2');
    expect(errCode(fw, 'STEP eta=2 tgt=10:2 src=0:1')).toBe(416);
    expect(fw.core.activeSources()).toEqual(new Map([[3, 1]]));
    expect(fw.core.activeClamps()).toEqual(new Map([[9, 2]]));
  });

  it('STEP src= checks every value before the source/target conflict: 416 before 409 (PROTOCOL.md 5), as the C firmware', () => {
    const fw = noisy();
    expect(errCode(fw, 'STEP eta=2 tgt=0:2 src=0:1')).toBe(416); // eta out of range and node 0 in both
    expect(errCode(fw, 'STEP eta=0.5 tgt=0:2 src=0:1')).toBe(409); // only the conflict
  });
});
