/**
 * Fuzzed lines into the twin, every one judged against PROTOCOL.md 1.1 by the independent reference
 * (test/firmware-protocol/reference.ts): valid commands, retries, late duplicates, commands with one token mutated
 * (number spellings, case, spaces, SEQ forms), bit flips, garbage, overlong and empty lines. Checked per line:
 * the decoder's judgement and counters, reply or no reply, the reply's SEQ and code class, replays byte for byte,
 * RESET boot=N, STAT's counters, run flow control (frames consecutive, never beyond the credits granted, one DONE),
 * and the board's state (settings in range, no node driven and clamped).
 *
 * CLLN_FUZZ_LINES sets the number of lines (default 20,000 per board; the report's 200,000 run sets it).
 */
import { describe, expect, it } from 'vitest';
import { encodeFrame, LineDecoder, MAX_LINE } from '../../firmware-protocol/codec.js';
import { Rng } from '../../src/physics/Rng.js';
import { loadBoardModel } from '../../twins/BoardModel.js';
import { TwinBoardCore } from '../../twins/TwinBoardCore.js';
import { COMMAND_HISTORY, TwinFirmware } from '../../twins/TwinFirmware.js';
import { crcBitwise, refCommand, refJudge, refLine } from '../firmware-protocol/reference.js';

const LINES = Number(process.env.CLLN_FUZZ_LINES ?? 20_000);

/** A generator of command bodies (without SEQ) for a board, mostly valid, some subtly not. */
function commands(rng: Rng, gate: boolean): () => string {
  const pick = <T,>(xs: readonly T[]): T => xs[rng.int(xs.length)];
  const node = (): number => (rng.next() < 0.95 ? rng.int(16) : 16 + rng.int(3));
  const volts = (): string => {
    const hi = gate ? 1 : 5;
    const v = rng.next() < 0.9 ? rng.uniform(0, hi) : rng.uniform(-1, hi + 1);
    return pick([v.toFixed(rng.int(7)), v.toExponential(3), String(Math.round(v))]);
  };
  const pairs = (k: number, value: () => string): string => {
    const used = new Set<number>();
    const out: string[] = [];
    for (let i = 0; i < k; i++) {
      const n = node();
      if (used.has(n) && rng.next() < 0.9) continue;
      used.add(n);
      out.push(`${n}:${value()}`);
    }
    return out.length ? out.join(',') : '-';
  };
  const setting = (): string => (gate ? rng.uniform(-0.5, 5.5).toFixed(3) : String(rng.int(105)));
  // the last schedule begun, so that its examples are mostly uploaded right (and runs happen)
  let sched = { examples: 1, src: 2, tgt: 1, next: 0 };
  const inRange = (k: number): string => (k === 0 ? '-' : Array.from({ length: k }, () => rng.uniform(0, gate ? 1 : 5).toFixed(3)).join(','));
  const eta = (): string => pick(['0.5', '0.1', '1', '0.0000004', '2', '0.3']);
  return () => {
    switch (rng.int(16)) {
      case 0:
        return pick(['PING', 'ID', 'TOPO', 'STAT', 'EGET']);
      case 1:
        return `SRC ${pairs(1 + rng.int(3), volts)}`;
      case 2:
        return `CLAMP ${pairs(rng.int(3), volts)}`;
      case 3:
        return pick(['MEAS', `MEAS n=${pick(['1', '16', '64', '0', '1025'])}`]);
      case 4:
        return `ESET ${pairs(1 + rng.int(4), setting).replace(/(^|,)(1[6-8]):/g, (_, a, b) => `${a}${Number(b) + 20}:`)}`;
      case 5:
      case 6:
        return `STEP eta=${eta()} tgt=${pairs(1 + rng.int(2), volts)}${gate && rng.next() < 0.7 ? ` amp=${pick(['1', '10', '50', '60'])}` : ''}`;
      case 7: {
        const src = pick(['0,15', '0', '-', '3,15']);
        const tgt = pick(['9', '9,10', '5']);
        const examples = 1 + rng.int(3);
        sched = { examples, src: src === '-' ? 0 : src.split(',').length, tgt: tgt.split(',').length, next: 0 };
        return `SCHED BEGIN steps=${1 + rng.int(30)} examples=${examples} src=${src} tgt=${tgt} eta=${eta()}`;
      }
      case 8:
        if (rng.next() < 0.7) return `SCHED EX ${sched.next++ % sched.examples} in=${inRange(sched.src)} out=${inRange(sched.tgt)}`;
        return gate
          ? `SCHED EX ${rng.int(3)} in=${pick(['0.9,0', '0.5', '-', '0.5,0.2'])} out=${pick(['0.3', '0.3,0.6', '0.2', '2'])}`
          : `SCHED EX ${rng.int(3)} in=${pick(['4,0', '1', '-', '0.5,0.2'])} out=${pick(['1', '1,2', '0.3'])}`;
      case 9:
        return 'SCHED END';
      case 10:
        return 'RUN';
      case 11:
      case 12:
        return `GRANT ${pick(['1', '2', '5', '0', '65536'])}`;
      case 13:
        return pick(['HALT', `RESEND ${rng.int(8)}`]);
      case 14:
        return `RESET boot=${pick(['1', '2', '3', '7'])}`;
      default:
        return pick(['FOO', 'ping', 'Stat', 'SCHED begin', 'GRANT', 'RESET', 'STEP', 'MEAS n=1.5', 'SRC 0:.5', 'SRC 0:+1', 'ESET 0:7.0', 'SRC 0:1,', 'SRC 0:1,0:2']);
    }
  };
}

/** One token of a body changed the way a sloppy peer would (number spellings, case, spacing). */
function mutate(rng: Rng, body: string): string {
  const f = body.split(' ');
  const i = rng.int(f.length);
  const muts: ((t: string) => string)[] = [
    (t) => t.toLowerCase(),
    (t) => t.replace(/(^|[:=,])(\d)/, '$1+$2'),
    (t) => t.replace(/(^|[:=,])0\./, '$1.'),
    (t) => t.replace(/(\d)(,|$)/, '$1.$2'),
    (t) => t.replace(/(^|[:=,])(\d)/, '$10$2'),
    (t) => t + ',',
    (t) => '',
    (t) => t + ' ',
    (t) => t.replace(/=/, '=='),
  ];
  f[i] = muts[rng.int(muts.length)](f[i]);
  return f.join(' ');
}

/** Cheap checks for the hot loop (vitest's expect costs more than the twin's work per line). */
function ok(cond: boolean, msg: string): void {
  if (!cond) throw new Error(`spec violation: ${msg}`);
}
function same(a: unknown, b: unknown, msg: string): void {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  if (x !== y) throw new Error(`spec violation: ${msg}: got ${x}, want ${y}`);
}

function fuzz(board: 'penn-gen1' | 'penn-gen2', seed: number, lines: number): { replies: number; noReply: number; codes: Map<string, number> } {
  const rng = new Rng(seed);
  const gate = board === 'penn-gen2';
  const fw = new TwinFirmware(new TwinBoardCore(loadBoardModel(board), { ideal: true, seed }));
  const core = fw.core;
  const decoder = new LineDecoder();
  const next = commands(rng, gate);
  // the reference's own view of the device
  let seq = 1 + rng.int(65535);
  let boot = 1;
  const counters = { crc: 0, overlong: 0, garbage: 0, dup: 0, badseq: 0 }; // in FirmwareCounters order, for same()
  let history: string[] = [];
  let lastReply: string | null = null;
  const sent: string[] = [];
  let run: { next: number; granted: number; done: boolean } | null = null;
  const stats = { replies: 0, noReply: 0, codes: new Map<string, number>() };
  const count = (k: string): void => void stats.codes.set(k, (stats.codes.get(k) ?? 0) + 1);

  const reboot = (): void => {
    boot++;
    history = [];
    lastReply = null;
    run = null;
    for (const k of Object.keys(counters) as (keyof typeof counters)[]) counters[k] = 0;
  };

  for (let n = 0; n < lines; n++) {
    // ---- a line ----
    let line: string;
    const r = rng.next();
    if (r < 0.55) {
      seq = seq >= 65535 ? 1 : seq + 1;
      line = refLine(`${seq} ${next()}`);
    } else if (r < 0.65 && sent.length) {
      line = sent[sent.length - 1 - (rng.next() < 0.6 ? 0 : rng.int(Math.min(sent.length, COMMAND_HISTORY + 4)))]; // retry or late copy
    } else if (r < 0.8) {
      seq = seq >= 65535 ? 1 : seq + 1;
      line = refLine(mutate(rng, `${seq} ${next()}`).replace(/\*/g, ''));
    } else if (r < 0.85) {
      line = refLine(`${rng.next() < 0.5 ? rng.int(3) === 0 ? '0' : '65536' : ['+1', '01', '1.0', '-3', '!', 'x'][rng.int(6)]} ${next()}`);
    } else if (r < 0.92 && sent.length) {
      const l = sent[sent.length - 1];
      const i = rng.int(l.length);
      line = l.slice(0, i) + String.fromCharCode(l.charCodeAt(i) ^ (1 << rng.int(8))) + l.slice(i + 1);
      if (!line.endsWith('\n')) line += '\n';
    } else if (r < 0.95) {
      line = rng.next() < 0.5 ? '\n' : '\r\n';
    } else if (r < 0.97) {
      line = 'q'.repeat(MAX_LINE + 1 + rng.int(50)) + '\n';
    } else {
      line = Array.from({ length: 1 + rng.int(40) }, () => String.fromCharCode(rng.int(256))).join('').replace(/\n/g, '') + '\n';
    }
    if (line.indexOf('\n') !== line.length - 1) line = line.replace(/\n(?!$)/g, ' ');

    // ---- the decoder, against the reference judgement ----
    const judged = refJudge(line.slice(0, -1));
    const before = { ...decoder.counters };
    const bodies = decoder.push(line);
    if (judged.ok) {
      same(bodies, [judged.body], 'decoded body');
    } else {
      same(bodies, [], 'a rejected line decoded');
      if (judged.error !== 'empty') counters[judged.error]++;
    }
    fw.countLinkErrors({ crc: decoder.counters.crc - before.crc, garbage: decoder.counters.garbage - before.garbage, overlong: decoder.counters.overlong - before.overlong });
    if (!judged.ok) continue;

    // ---- the firmware, against the reference ----
    const body = judged.body;
    const out = fw.receive(body);
    for (const o of out) encodeFrame(o); // throws unless printable and within a line
    const want = refCommand(body, run !== null && !run.done, gate);
    if (want.kind === 'none') {
      same(out, [], body);
      counters.badseq++;
      stats.noReply++;
    } else {
      sent.push(line);
      if (sent.length > 64) sent.shift();
      stats.replies++;
      const key = `${want.seq}:${crcBitwise(body)}`;
      ok(out.length >= 1, `no reply to ${body}`);
      const reply = out[0];
      ok(reply.startsWith(`${want.seq} OK`) || reply.startsWith(`${want.seq} ERR `), `${body} -> ${reply}`);
      if (history.length && history[history.length - 1] === key) {
        same(out, [lastReply], `a retry of ${body}`);
        counters.dup++;
        count('replay');
      } else if (history.includes(key)) {
        ok(out.length === 1 && new RegExp(`^${want.seq} ERR 409( |$)`).test(out[0]), `a late copy of ${body} -> ${out.join(' | ')}`);
        counters.dup++;
        count('late-409');
      } else {
        const m = /^\d+ (OK|ERR (\d{3}))( |$)/.exec(reply)!;
        const code = m[1] === 'OK' ? 'OK' : Number(m[2]);
        count(String(code));
        if (want.code !== 'valid') {
          ok(code === want.code, `${body} -> ${reply}, want ${want.code}`);
        } else {
          const stateful400 = want.verb === 'SCHED' && want.args[0] === 'EX'; // value counts judged against the upload
          ok([...(stateful400 ? [400] : []), 'OK', 409, 416, 424, 500].includes(code), `${body} -> ${reply}`);
        }
        let rebooted = false;
        if (want.code === 'valid' && want.verb === 'RESET') {
          const n = Number(/boot=(\d+)/.exec(body)![1]);
          same(reply, `${want.seq} OK boot=${boot}`, body);
          if (n === boot) {
            ok(new RegExp(`^! BOOT .*boot=${boot + 1}$`).test(out[1] ?? ''), `no banner after ${body}`);
            reboot();
            rebooted = true;
          } else same(out.length, 1, body);
        } else same(out.length, 1, `${body} -> ${out.join(' | ')}`);
        if (!rebooted) {
          history.push(key);
          if (history.length > COMMAND_HISTORY) history.shift();
          lastReply = reply;
        }
        // run bookkeeping from what the device acknowledged
        if (code === 'OK' && want.code === 'valid') {
          if (want.verb === 'RUN') {
            run = { next: 0, granted: 0, done: false };
            count('RUN');
          }
          if (want.verb === 'SCHED' && want.args[0] === 'BEGIN') run = null;
          if (want.verb === 'HALT' && run) run.done = true;
          if (want.verb === 'GRANT' && run && !run.done) run.granted += Number(want.args[0]);
          if (want.verb === 'STAT') {
            const f = new Map(reply.split(' ').slice(2).map((x) => x.split('=') as [string, string]));
            for (const k of Object.keys(counters) as (keyof typeof counters)[]) same(Number(f.get(k)), counters[k], `STAT ${k}`);
            same(Number(f.get('boot')), boot, 'STAT boot');
          }
        }
      }
    }
    // ---- time passes: the run steps while it holds credits ----
    for (const ev of fw.pump(rng.int(4))) {
      ok(run !== null, `${ev} without a run`);
      const frame = /^! FRAME (\d+) ex=\d+ vf=[-0-9.,]+ changed=\d+$/.exec(ev);
      if (frame) {
        same(Number(frame[1]), run!.next++, ev);
        count('frames');
        ok(run!.next <= run!.granted, `${ev}: beyond the ${run!.granted} credits granted`);
      } else {
        ok(/^! DONE steps=\d+( fail=\d{3})?$/.test(ev), ev);
        ok(!run!.done, `a second DONE: ${ev}`);
        run!.done = true;
      }
    }
    // ---- the board's state stays within its rules ----
    same({ ...fw.counters }, counters, `counters after ${JSON.stringify(line.slice(0, 60))}`);
    same(core.bootCount, boot, 'boot counter');
    const settings = core.edgeSettings();
    const em = core.model.edge;
    for (const s of settings) {
      if (em.kind === 'tap') ok(Number.isInteger(s) && s >= 0 && s < em.taps, `tap ${s}`);
      else ok(s >= em.lo && s <= em.hi, `gate ${s}`);
    }
    const src = core.activeSources();
    for (const k of core.activeClamps().keys()) ok(!src.has(k), `node ${k} driven and clamped`);
  }
  return stats;
}

describe(`${LINES} fuzzed lines into the twin, judged against PROTOCOL.md 1.1 by the reference`, () => {
  for (const [board, seed] of [['penn-gen1', 11], ['penn-gen2', 12]] as const) {
    it(`${board}: no spec violation`, () => {
      const s = fuzz(board, seed, LINES);
      if (process.env.CLLN_FUZZ_LINES) console.log(`${board}: ${LINES} lines, ${s.replies} replies, ${s.noReply} bad SEQ, outcomes ${JSON.stringify(Object.fromEntries(s.codes))}`);
      // the fuzz reaches every outcome it is meant to
      for (const k of ['OK', '400', '404', '409', '416', '503', 'replay', 'late-409', 'frames']) expect(s.codes.get(k) ?? 0, k).toBeGreaterThan(0);
      expect(s.noReply).toBeGreaterThan(0);
    }, 600_000);
  }
});
