/**
 * The C firmware's portable core (firmware-protocol/firmware/src), built for the host with hal/native.c as
 * `fw-native`, against the golden vectors: every conversation of conversations.json on its twins/models board
 * (whole, one byte at a time, and split at every byte boundary), every frame of frames.json decoded and encoded
 * exactly, every line of bad-lines.json rejected with its counter; and the reference board's ID, TOPO and limits
 * against HARDWARE.md. fw-native's stdin records and its output are described at the top of hal/native.c.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame } from '../../firmware-protocol/codec.js';
import { cycleClamp, formatNumber } from '../../firmware-protocol/messages.js';
import { loadVectors, type ConversationVector } from '../../firmware-protocol/vectors.js';
import { checkExpectation } from '../firmware-protocol/conversationCheck.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FW_DIR = join(ROOT, 'firmware-protocol', 'firmware');
const { conversations, frames, badLines } = loadVectors();
let fwNative = '';

beforeAll(() => {
  const out = mkdtempSync(join(tmpdir(), 'clln-fw-native-'));
  execFileSync('make', ['-s', '-C', FW_DIR, 'native-test', `O=${out}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  fwNative = join(out, 'fw-native');
});

/**
 * One stdin record: bytes for the UART (one char per byte), bytes that arrive during the next ADC conversion (the
 * next record, bytes, starts what converts), a step marker, or an erase-and-power-cycle.
 */
type Rec = string | { later: string } | { marker: true } | { erase: true } | { adcDead: true };

function records(recs: Rec[]): Buffer {
  const parts: Buffer[] = [];
  for (const r of recs) {
    if (typeof r === 'string') {
      parts.push(Buffer.from(`D ${r.length}\n`, 'latin1'), Buffer.from(r, 'latin1'));
    } else if ('adcDead' in r) {
      parts.push(Buffer.from('F\n', 'latin1')); // toggles
    } else if ('later' in r) {
      parts.push(Buffer.from(`A ${r.later.length}\n`, 'latin1'), Buffer.from(r.later, 'latin1'));
    } else parts.push(Buffer.from('erase' in r ? 'E\n' : 'M\n', 'latin1'));
  }
  return Buffer.concat(parts);
}

function run(args: string[], input: Buffer): string {
  const r = spawnSync(fwNative, args, { input, maxBuffer: 256 * 1024 * 1024 });
  expect(r.stderr.toString(), 'fw-native wrote to stderr').toBe('');
  expect(r.status, 'fw-native exit status').toBe(0);
  return r.stdout.toString('latin1');
}

/** Sessions of one board, each starting from an erased EEPROM: per session, per step, the lines the device sent. */
function sessions(board: string, steps: Rec[][][]): string[][][] {
  const recs: Rec[] = [];
  for (const s of steps) {
    recs.push({ erase: true });
    for (const chunks of s) recs.push(...chunks, { marker: true });
  }
  const out = run([board], records(recs));
  // the first boot's banner comes before any record; every session after an erase starts with "#E"
  const parts = out.split('#E\n');
  return parts.slice(1).map((p) => {
    const lines = p.split('\n');
    expect(lines.pop(), 'the device left an unfinished line').toBe('');
    const banner = lines.shift();
    expect(banner && decodeFrame(banner).ok, `banner ${banner} is a frame`).toBe(true);
    const perStep: string[][] = [[]];
    for (const l of lines) {
      if (l === '#M') perStep.push([]);
      else perStep[perStep.length - 1].push(l + '\n');
    }
    expect(perStep.pop(), 'nothing after the last step').toEqual([]);
    return perStep;
  });
}

function verify(c: ConversationVector, got: string[][], how: string): void {
  expect(got.length, `${how}: one output per step`).toBe(c.steps.length);
  let previousFirst: string | undefined;
  c.steps.forEach((st, i) => {
    const where = `${how}, step ${i} (${JSON.stringify(st.send.length > 60 ? st.send.slice(0, 57) + '...' : st.send)})`;
    expect(got[i].length, `${where}: got ${JSON.stringify(got[i])}`).toBe(st.expect.length);
    st.expect.forEach((e, k) => checkExpectation(e, got[i][k], previousFirst, `${where}, line ${k}`));
    if (got[i].length) previousFirst = got[i][0];
  });
}

/** The firmware drives tap boards (HARDWARE.md); gate-board scripts (penn-gen2) need a gate HAL it does not have. */
const TAP_BOARDS = ['penn-gen1', 'clln-ref16'];
/**
 * The protocol version the reference firmware speaks (its ID's proto=): it replays the scripts of every version
 * (no `protocol`) and those of its own; another version's (an ID with its proto=, a 1.3 STEP reply without set=)
 * are skipped.
 */
const FIRMWARE_PROTOCOL = '1.4';
const spoken = (c: ConversationVector): boolean => c.protocol === undefined || c.protocol === FIRMWARE_PROTOCOL;
const tapScripts = conversations.filter((c) => TAP_BOARDS.includes(c.board) && spoken(c));
const gateScripts = conversations.filter((c) => !TAP_BOARDS.includes(c.board) && spoken(c));
const otherScripts = conversations.filter((c) => !spoken(c));

describe('fw-native replays the golden conversations (firmware-protocol/vectors/conversations.json)', () => {
  it('every script is for penn-gen1 or clln-ref16 (tap) or penn-gen2 (gate, skipped below)', () => {
    for (const c of conversations) expect([...TAP_BOARDS, 'penn-gen2'], c.name).toContain(c.board);
    expect(tapScripts.some((c) => c.board === 'clln-ref16')).toBe(true);
    expect(tapScripts.length).toBeGreaterThan(20);
    // every 1.4 tap script is replayed (CYCLE, STEP src= and set=), none of another version
    expect(tapScripts.filter((c) => c.protocol === '1.4').length).toBeGreaterThanOrEqual(8);
    expect(tapScripts.every((c) => c.protocol === undefined || c.protocol === '1.4')).toBe(true);
  });

  it.each(tapScripts.map((c) => [c.name, c] as const))('%s (whole, then one byte at a time)', (_, c) => {
    const [whole, bytewise] = sessions(c.board, [
      c.steps.map((s) => [s.send]),
      c.steps.map((s) => Array.from(s.send)),
    ]);
    verify(c, whole, 'whole');
    verify(c, bytewise, 'one byte at a time');
  });

  it.each(tapScripts.map((c) => [c.name, c] as const))('%s (each step split at every byte boundary)', (_, c) => {
    const longest = Math.max(...c.steps.map((s) => s.send.length));
    const cuts: number[] = [];
    for (let k = 1; k < longest; k++) cuts.push(k);
    const got = sessions(
      c.board,
      cuts.map((k) => c.steps.map((s) => (s.send.length > k ? [s.send.slice(0, k), s.send.slice(k)] : [s.send]))),
    );
    got.forEach((g, i) => verify(c, g, `split at ${cuts[i]}`));
  });

  it.skip.each(otherScripts.map((c) => [c.name, c.protocol] as const))(
    `%s: skipped, a protocol %s script; the reference firmware speaks ${FIRMWARE_PROTOCOL}`,
    () => {},
  );

  it.skip.each(gateScripts.map((c) => [c.name] as const))(
    '%s: skipped, a gate-board script (penn-gen2); the reference firmware drives tap boards only',
    () => {},
  );
});

describe('fw-native codec against frames.json and bad-lines.json', () => {
  it('decodes every golden line to its body (and its CRC)', () => {
    const out = run(['--decode'], Buffer.from(frames.map((f) => f.line).join(''), 'latin1')).split('\n');
    expect(out.pop()).toBe('');
    expect(out.length).toBe(frames.length);
    frames.forEach((f, i) => expect(out[i], f.name).toBe(`FRAME ${f.line.slice(-5, -1)} ${f.body}`));
  });

  it('encodes every golden body to the exact line', () => {
    const out = run(['--encode'], Buffer.from(frames.map((f) => f.body + '\n').join(''), 'latin1'));
    expect(out).toBe(frames.map((f) => f.line).join(''));
  });

  it('rejects every bad line with its counter, alone in a stream', () => {
    const out = run(['--decode'], Buffer.from(badLines.map((b) => b.line).join(''), 'latin1')).split('\n');
    expect(out.pop()).toBe('');
    expect(out).toEqual(badLines.map((b) => `REJECT ${b.error}`));
  });

  it('on the device: each bad line is not answered and bumps exactly its STAT counter', () => {
    const got = sessions(
      'penn-gen1',
      badLines.map((b) => [[b.line], ['1 STAT*24ED\n']]),
    );
    badLines.forEach((b, i) => {
      expect(got[i][0], `${b.name}: no reply`).toEqual([]);
      const body = decodeFrame(got[i][1][0].slice(0, -1));
      expect(body.ok && body.body, b.name).toMatch(/^1 OK /);
      for (const k of ['crc', 'overlong', 'garbage']) {
        expect(body.ok && body.body, `${b.name}: ${k}`).toMatch(new RegExp(` ${k}=${k === b.error ? 1 : 0}( |$)`));
      }
    });
  });
});

/** Deterministic pseudo-random numbers (mulberry32), so a failure names a reproducible case. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How PROTOCOL.md 3.3 writes a value of m micro-units: fixed point, no trailing zeros, "0" for zero. */
function wire(m: bigint): string {
  const neg = m < 0n;
  const a = neg ? -m : m;
  const frac = (a % 1000000n).toString().padStart(6, '0').replace(/0+$/, '');
  const text = (a / 1000000n).toString() + (frac ? '.' + frac : '');
  return a === 0n ? '0' : (neg ? '-' : '') + text;
}

describe('fw-native number grammar (PROTOCOL.md 3.3), exact to the micro-unit', () => {
  it('reads every spelling of a value as that value rounded to 6 decimals, and writes it back as the wire does', () => {
    const r = rng(13);
    const digit = (lo: number, hi: number): string => String(lo + Math.floor(r() * (hi - lo + 1)));
    const cases: [string, string][] = [];
    for (let i = 0; i < 4000; i++) {
      // magnitudes from 1 uV to 9e6 V, spread over the digit counts
      const len = 1 + Math.floor(r() * 13);
      let d = digit(1, 9);
      for (let k = 1; k < len; k++) d += digit(0, 9);
      const mag = i % 50 === 0 ? 0n : BigInt(d);
      const neg = r() < 0.5;
      const m = neg ? -mag : mag;
      const sign = neg ? '-' : '';
      const ip = (mag / 1000000n).toString();
      const fp = (mag % 1000000n).toString().padStart(6, '0');
      const digits = mag.toString();
      const exp = digits.length - 1 - 6;
      const kind = i % 6;
      let token: string;
      if (kind === 0) token = `${sign}${ip}.${fp}`; // trailing zeros allowed
      else if (kind === 1) token = `${sign}${ip}.${fp}${digit(0, 4)}${digit(0, 9)}${digit(0, 9)}`; // rounds down
      else if (kind === 2 && mag > 0n) {
        // (|m| - 1 uV) + 0.5..0.999 uV rounds (half away from zero) to |m|
        const below = mag - 1n;
        token = `${sign}${below / 1000000n}.${(below % 1000000n).toString().padStart(6, '0')}${digit(5, 9)}${digit(0, 9)}`;
      } else if (kind === 3) token = `${sign}${digits}${r() < 0.5 ? 'e' : 'E'}-6`;
      else if (kind === 4)
        token = `${sign}${digits[0]}${digits.length > 1 ? '.' + digits.slice(1) : ''}e${exp >= 0 ? (r() < 0.5 ? '+' : '') : '-'}${r() < 0.3 ? '0' : ''}${Math.abs(exp)}`;
      else token = `${sign}${wire(mag)}`;
      cases.push([token, wire(m)]);
    }
    const out = run(['--numbers'], Buffer.from(cases.map(([t]) => `d ${t}\n`).join(''), 'latin1')).split('\n');
    cases.forEach(([token, want], i) => expect(out[i], token).toBe(`OK ${want}`));
  });

  it('refuses every misspelling (400) and reports values beyond its integers as out of range (416)', () => {
    const lines: [string, string][] = [
      ...['.5', '+0.5', '1.', '05', '0x1', '1,5', 'NaN', 'inf', '--1', '1e', '', '-', '1e+', '00', '1.5.2', '-.5', 'e5', '1e5.0', '0.5 '].map(
        (t) => [`d ${t}`, 'BAD'] as [string, string],
      ),
      ...['-0', '+3', '03', '3.0', '3e0', '', 'x', '1 '].map((t) => [`u ${t}`, 'BAD'] as [string, string]),
      ['d 1e999', 'OVER'],
      ['d -1e999', 'OVER'],
      ['d 99999999999999999999', 'OVER'],
      ['d 1e-99999999999', 'OK 0'],
      ['d 0e999999999', 'OK 0'],
      ['u 4294967295', 'OK 4294967295'],
      ['u 4294967296', 'OVER'],
      ['u 99999999999999999999999', 'OVER'],
      ['u 0', 'OK 0'],
    ];
    const out = run(['--numbers'], Buffer.from(lines.map(([l]) => l + '\n').join(''), 'latin1')).split('\n');
    lines.forEach(([l, want], i) => expect(out[i], l).toBe(want));
  });
});

/** Frame lines of commands, written here with the TypeScript codec (its own CRC, not the C one). */
const cmd = (body: string): string => encodeFrame(body);

function ref16(bodies: string[]): string[][] {
  return sessions('clln-ref16', [bodies.map((b) => [cmd(b)])])[0].map((lines) =>
    lines.map((l) => {
      const r = decodeFrame(l.slice(0, -1));
      expect(r.ok, l).toBe(true);
      return r.ok ? r.body : '';
    }),
  );
}

describe('fw-native on the reference board clln-ref16 (HARDWARE.md)', () => {
  it('ID reports the limits of HARDWARE.md, proto 1.4 with keep=', () => {
    const [[id]] = ref16(['1 ID']);
    expect(id).toMatch(
      /^1 OK proto=1\.4 fw=[^ ]+ board=clln-ref16 uid=0 boot=1 nodes=16 edges=24 drive=0,1,2,3 clamp=12,13,14,15 adc=10,0,5 dac=0,4\.998779 edge=tap,256 law=linear,1084\.0625,11045 rate=9000 eta=0\.000001,1 sched=48 keep=32$/,
    );
  });

  it('TOPO is the rule of HARDWARE.md: for each node the edge to the right, then the edge down', () => {
    const edges: string[] = [];
    for (let n = 0; n < 16; n++) {
      if (n % 4 < 3) edges.push(`${n}-${n + 1}`);
      if (n < 12) edges.push(`${n}-${n + 4}`);
    }
    const [[topo]] = ref16(['1 TOPO']);
    expect(topo).toBe(`1 OK ${edges.join(',')}`);
  });

  it('boots with every tap at 128 and counts boots in EEPROM across a RESET', () => {
    const got = ref16(['1 EGET', '2 RESET boot=1', '3 STAT']);
    expect(got[0]).toEqual([`1 OK ${Array(24).fill(128).join(',')}`]);
    expect(got[1][0]).toBe('2 OK boot=1');
    expect(got[1][1]).toMatch(/^! BOOT fw=[^ ]+ proto=1\.4 board=clln-ref16 boot=2$/);
    expect(got[2][0]).toMatch(/^3 OK boot=2 /);
  });

  it('DAC and ADC codes: 2.5 V is code 2048 and reads 512/1024 * 5; 4.998779 V is code 4095 and reads 1023/1024 * 5', () => {
    // one driven node and no other source: with no current flowing every node sits at the source voltage
    const got = ref16(['1 SRC 0:2.5', '2 MEAS n=4', '3 SRC 0:4.998779', '4 MEAS', '5 SRC 0:4.99878']);
    expect(got[1][0]).toBe(`2 OK ${Array(16).fill('2.5').join(',')}`);
    expect(got[3][0]).toBe(`4 OK ${Array(16).fill('4.995117').join(',')}`); // 5 * 1023 / 1024 = 4.9951171875
    expect(got[4][0]).toMatch(/^5 ERR 416 /); // above dac=0,4.998779
  });

  it('answers lines that arrive while a run step measures at once, HALT after the step (PROTOCOL.md 9 latency)', () => {
    const setup = ['1 SCHED BEGIN steps=10 examples=1 src=0 tgt=15 eta=0.5', '2 SCHED EX 0 in=4 out=1', '3 SCHED END', '4 RUN'];
    const [got] = sessions('clln-ref16', [
      [
        ...setup.map((b) => [cmd(b)]),
        [{ later: cmd('6 STAT') + cmd('7 MEAS') }, cmd('5 GRANT 2')],
        [{ later: cmd('9 HALT') + cmd('10 PING') }, cmd('8 GRANT 1')],
      ],
    ]);
    const bodies = got.map((lines) => lines.map((l) => decodeFrame(l.slice(0, -1))).map((d) => (d.ok ? d.body : '')));
    // STAT and the 503 of MEAS come during step 0, before its frame
    expect(bodies[4][0]).toBe('5 OK credits=2');
    expect(bodies[4][1]).toMatch(/^6 OK .*run=running runstep=0 /);
    expect(bodies[4][2]).toMatch(/^7 ERR 503 /);
    expect(bodies[4].slice(3).map((b) => b.split(' ').slice(0, 3).join(' '))).toEqual(['! FRAME 0', '! FRAME 1']);
    // HALT waits for the step in progress and its frame; the PING behind it waits for the HALT
    expect(bodies[5]).toEqual(['8 OK credits=1', expect.stringMatching(/^! FRAME 2 /), '9 OK step=3', '10 OK']);
  });

  it('a dead ADC is 500 and changes nothing; a run that meets it fails with 500 and says so (424)', () => {
    const dead = { adcDead: true } as const;
    const [got] = sessions('clln-ref16', [
      [
        [cmd('1 SRC 0:4')],
        [dead, cmd('2 MEAS')],
        [cmd('3 STEP eta=0.5 tgt=15:1')],
        [dead, cmd('4 EGET')],
        [cmd('5 SCHED BEGIN steps=5 examples=1 src=0 tgt=15 eta=0.5')],
        [cmd('6 SCHED EX 0 in=4 out=1')],
        [cmd('7 SCHED END')],
        [cmd('8 RUN')],
        [cmd('9 GRANT 1')],
        [dead, cmd('10 GRANT 2')],
        [cmd('11 STAT')],
        [cmd('12 GRANT 1')],
        [cmd('13 RESEND 0')],
        [cmd('14 RESEND 1')],
        [cmd('15 HALT')],
      ],
    ]);
    const b = got.map((lines) => lines.map((l) => decodeFrame(l.slice(0, -1))).map((d) => (d.ok ? d.body : '')));
    expect(b[1][0]).toMatch(/^2 ERR 500 /);
    expect(b[2][0]).toMatch(/^3 ERR 500 /);
    expect(b[3][0]).toBe(`4 OK ${Array(24).fill(128).join(',')}`); // the failed STEP moved no edge
    expect(b[8]).toEqual(['9 OK credits=1', expect.stringMatching(/^! FRAME 0 ex=0 vf=\d/)]);
    expect(b[9]).toEqual(['10 OK credits=2', '! DONE steps=1 fail=500']);
    expect(b[10][0]).toMatch(/ steps=1 run=failed runstep=1 runerr=500$/);
    expect(b[11][0]).toMatch(/^12 ERR 424 run failed at step 1: 500/);
    expect(b[12][0]).toMatch(/^13 OK 0 ex=0 vf=\d/); // frames before the failure are still there
    expect(b[13][0]).toMatch(/^14 ERR 424 /);
    expect(b[14][0]).toMatch(/^15 ERR 424 /);
  });

  // Protocol 1.4 (PROTOCOL.md 7.2): a compound command against the 1.3 sequence it stands for, on the same
  // deterministic network (hal/native.c has no noise), the clamps computed by the host's cycleClamp.
  const TAPS = 'ESET 0:10,3:200,5:64,8:250,11:3,14:90,17:170,20:33,23:255';

  it('CYCLE answers what CLAMP -, SRC, MEAS, CLAMP (cycleClamp of the reported vf), MEAS, CLAMP - answer', () => {
    const dacHi = 4.998779;
    const [[, , cycle], [, , , , meas1]] = [
      ref16([`1 ${TAPS}`, '2 CLAMP 13:2', '3 CYCLE eta=0.3 src=0:4,1:2.5,3:0.5 tgt=12:1.2,15:4.9 n=8']),
      ref16([`1 ${TAPS}`, '2 CLAMP 13:2', '3 CLAMP -', '4 SRC 0:4,1:2.5,3:0.5', '5 MEAS n=8']),
    ];
    const vf = meas1[0].slice('5 OK '.length).split(',').map(Number);
    const c12 = cycleClamp(vf[12], 1.2, 0.3, 0, dacHi);
    const c15 = cycleClamp(vf[15], 4.9, 0.3, 0, dacHi);
    const seq13 = ref16([`1 ${TAPS}`, '2 CLAMP 13:2', '3 CLAMP -', '4 SRC 0:4,1:2.5,3:0.5', '5 MEAS n=8',
      `6 CLAMP 12:${formatNumber(c12)},15:${formatNumber(c15)}`, '7 MEAS n=8']);
    const vc = seq13[6][0].slice('7 OK '.length);
    expect(cycle).toEqual([`3 OK vf=${vf.map(formatNumber).join(',')} vc=${vc}`]);
    // the clamps moved the targets: the clamped state is not the free one
    expect(vc).not.toBe(vf.map(formatNumber).join(','));
  });

  it('CYCLE leaves the sources driven, the clamps released, the edges and STAT steps as they were', () => {
    // clln-ref16's drive (0-3) and clamp (12-15) nodes are disjoint, so MEAS shows the channels: after the cycle
    // it reads the cycle's free state (node 0 driven, node 13's earlier clamp and the cycle's clamp released)
    const got = ref16([`1 ${TAPS}`, '2 EGET', '3 CLAMP 13:2', '4 CYCLE eta=1 src=0:4 tgt=12:1', '5 MEAS', '6 EGET', '7 STAT']);
    const m = /^4 OK vf=([0-9.,]+) vc=([0-9.,]+)$/.exec(got[3][0]);
    expect(m).not.toBeNull();
    expect(got[4][0]).toBe(`5 OK ${m![1]}`);
    expect(m![2]).not.toBe(m![1]);
    expect(got[5][0].slice(2)).toBe(got[1][0].slice(2));
    expect(got[6][0]).toMatch(/ steps=0 /);
  });

  it('CYCLE with one source and no other path: every free node at the source, the clamped target at its DAC and ADC codes', () => {
    // no current flows in the free state, so every node reads the source: 2.5 V is DAC code 2048 and ADC code 512.
    // eta 0.5 toward 1 V: C = 2.5 + 0.5 (1 - 2.5) = 1.75 V, DAC code round(1.75 x 4096/5) = 1434 (1.750488 V),
    // ADC code floor(1.750488 x 1024/5) = 358: 358 x 5/1024 = 1.748047 V.
    const [[, r]] = [ref16(['1 PING', '2 CYCLE eta=0.5 src=0:2.5 tgt=15:1 n=4'])];
    const m = /^2 OK vf=([^ ]+) vc=([^ ]+)$/.exec(r[0]);
    expect(m).not.toBeNull();
    expect(m![1]).toBe(Array(16).fill('2.5').join(','));
    const vc = m![2].split(',');
    expect(vc[0]).toBe('2.5');
    expect(vc[15]).toBe('1.748047');
  });

  it('STEP src= answers what CLAMP -, SRC, STEP and EGET answer, set= being the EGET', () => {
    const one = ref16([`1 ${TAPS}`, '2 CLAMP 13:2', '3 STEP eta=0.5 tgt=12:1.2,15:3 src=0:4,2:1'])[2][0];
    const seq = ref16([`1 ${TAPS}`, '2 CLAMP 13:2', '3 CLAMP -', '4 SRC 0:4,2:1', '5 STEP eta=0.5 tgt=12:1.2,15:3', '6 EGET']);
    const step = seq[4][0].slice('5 OK '.length);
    expect(step).toMatch(/^vf=[0-9.]+,[0-9.]+ changed=([1-9][0-9]*) set=[0-9,]+$/);
    expect(one).toBe(`3 OK ${step.replace(/ set=.*$/, '')} set=${seq[5][0].slice('6 OK '.length)}`);
  });

  it('a CYCLE or STEP src= that meets a dead ADC is 500 and leaves the sources and clamps as they were', () => {
    const dead = { adcDead: true } as const;
    const [got] = sessions('clln-ref16', [
      [
        [cmd(`1 ${TAPS}`)],
        [cmd('2 SRC 0:4,3:0.2')],
        [cmd('3 CLAMP 12:1')],
        [cmd('4 MEAS')],
        [dead, cmd('5 CYCLE eta=0.5 src=1:3 tgt=15:1')],
        [cmd('6 STEP eta=0.5 tgt=15:1 src=1:3')],
        [cmd('7 STEP eta=0.5 tgt=15:1')],
        [dead, cmd('8 MEAS')],
        [cmd('9 EGET')],
        [cmd('10 STAT')],
      ],
    ]);
    const b = got.map((lines) => lines.map((l) => decodeFrame(l.slice(0, -1))).map((d) => (d.ok ? d.body : '')));
    expect(b[4][0]).toMatch(/^5 ERR 500 /);
    expect(b[5][0]).toMatch(/^6 ERR 500 /);
    expect(b[6][0]).toMatch(/^7 ERR 500 /);
    expect(b[7][0].slice(2)).toBe(b[3][0].slice(2)); // node 0 and 3 driven, 12 clamped, node 1 not driven: as before
    expect(b[8][0]).toMatch(/^9 OK 10,128,128,200,/);
    expect(b[9][0]).toMatch(/ steps=0 /);
  });

  it('sched=48 examples and keep=32 frames for RESEND', () => {
    const bodies = [
      '1 SCHED BEGIN steps=40 examples=49 src=0 tgt=15 eta=0.5',
      '2 SCHED BEGIN steps=40 examples=48 src=0 tgt=15 eta=0.5',
    ];
    let seq = 3;
    for (let i = 0; i < 48; i++) bodies.push(`${seq++} SCHED EX ${i} in=${(i % 4) + 1} out=${(i % 3) + 0.5}`);
    bodies.push(`${seq++} SCHED END`, `${seq++} RUN`, `${seq++} GRANT 40`);
    const resendOld = seq++;
    const resendKept = seq++;
    bodies.push(`${resendOld} RESEND 7`, `${resendKept} RESEND 8`);
    const got = ref16(bodies);
    expect(got[0][0]).toMatch(/^1 ERR 416 /);
    expect(got[1][0]).toBe('2 OK');
    const grant = got[got.length - 3];
    expect(grant[0]).toBe(`${resendOld - 1} OK credits=40`);
    expect(grant.length).toBe(1 + 40 + 1); // the reply, 40 frames, DONE
    expect(grant[41]).toBe('! DONE steps=40');
    expect(got[got.length - 2][0]).toMatch(new RegExp(`^${resendOld} ERR 416 `));
    expect(`! FRAME ${got[got.length - 1][0].slice(`${resendKept} OK `.length)}`).toBe(grant[1 + 8]);
  });
});
