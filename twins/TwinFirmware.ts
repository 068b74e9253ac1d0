/**
 * The twin's "firmware": the protocol handler of PROTOCOL.md over a {@link TwinBoardCore}. Pure and synchronous:
 * frame bodies in, reply bodies out; no timers, no I/O (the {@link TwinServer} adds the byte link, pacing and
 * faults).
 *
 * - `receive(body)` handles one valid frame body and returns the bodies to send back: exactly one reply for a
 *   command (`SEQ OK ...` / `SEQ ERR CODE MSG`), followed by the boot banner after `RESET`. A command whose body
 *   equals the last one answered is answered from the reply cache without executing it again.
 * - `pump(max)` performs up to `max` steps of an autonomous run while credits allow and returns their
 *   `! FRAME ...` bodies (and `! DONE steps=N` after the last step). Streamed frames never come from `receive`.
 */
import {
  ErrorCode,
  formatErr,
  formatEvent,
  formatIdentity,
  formatList,
  formatNumber,
  formatOk,
  formatTopology,
  type LinkCounters,
  parseList,
  parseNumber,
  parsePairs,
  PROTOCOL_VERSION,
} from '../firmware-protocol/codec.js';
import { TwinBoardCore, DEFAULT_SAMPLES } from './TwinBoardCore.js';
import { TwinError } from './TwinError.js';

/** Frames kept for RESEND (the protocol asks for at least 256). */
export const FRAME_HISTORY = 1024;
/** Verbs allowed while an autonomous run is active. */
const ALLOWED_WHILE_RUNNING = new Set(['PING', 'ID', 'STAT', 'GRANT', 'HALT', 'RESEND']);
const VERBS = new Set(['PING', 'ID', 'TOPO', 'STAT', 'SRC', 'CLAMP', 'MEAS', 'EGET', 'ESET', 'STEP', 'SCHED', 'RUN', 'GRANT', 'HALT', 'RESEND', 'RESET']);

/** Counters since boot reported by STAT (link errors fed in by the server). */
export interface FirmwareCounters extends LinkCounters {
  /** Duplicate commands answered from the reply cache. */
  dup: number;
}

interface Schedule {
  steps: number;
  examples: number;
  src: number[];
  tgt: number[];
  eta: number;
  amp: number;
  ex: ({ in: number[]; out: number[] } | null)[];
  closed: boolean;
}

interface Run {
  active: boolean;
  /** Next step to perform = steps completed. */
  step: number;
  credits: number;
  frames: Map<number, string>;
}

class CommandError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const bad = (msg: string): CommandError => new CommandError(ErrorCode.BadRequest, msg);

export class TwinFirmware {
  readonly core: TwinBoardCore;
  readonly counters: FirmwareCounters = { crc: 0, overlong: 0, garbage: 0, dup: 0 };
  private lastBody: string | null = null;
  private lastReply: string | null = null;
  private schedule: Schedule | null = null;
  private run: Run | null = null;

  constructor(core: TwinBoardCore) {
    this.core = core;
  }

  /** Body of the boot banner: `! BOOT fw=V proto=1 board=M boot=N`. */
  banner(): string {
    const m = this.core.model;
    return formatEvent('BOOT', [`fw=${m.firmware}`, `proto=${PROTOCOL_VERSION}`, `board=${m.name}`, `boot=${this.core.bootCount}`]);
  }

  /** True while an autonomous run is active. */
  get running(): boolean {
    return this.run?.active ?? false;
  }

  /** Credits presently held by an active run (0 if none). */
  get credits(): number {
    return this.run?.active ? this.run.credits : 0;
  }

  /** True when `pump()` would produce something now. */
  get hasPending(): boolean {
    return this.running && this.run!.credits > 0;
  }

  /** Add link error counts (deltas) seen by the server's decoder, for STAT. */
  countLinkErrors(c: LinkCounters): void {
    this.counters.crc += c.crc;
    this.counters.overlong += c.overlong;
    this.counters.garbage += c.garbage;
  }

  /** Reboot: core state lost, firmware volatile state cleared (reply cache, schedule, run, counters). */
  reboot(): string[] {
    this.core.reboot();
    this.lastBody = null;
    this.lastReply = null;
    this.schedule = null;
    this.run = null;
    this.counters.crc = this.counters.overlong = this.counters.garbage = this.counters.dup = 0;
    return [this.banner()];
  }

  /** Handle one valid frame body; returns the bodies to send (one reply, plus the banner after RESET). */
  receive(body: string): string[] {
    if (this.lastBody !== null && body === this.lastBody && this.lastReply !== null) {
      this.counters.dup++;
      return [this.lastReply];
    }
    const f = body.split(' ');
    const seqText = f[0];
    if (!/^[1-9]\d{0,4}$/.test(seqText) || Number(seqText) > 65535) {
      return [formatEvent('LOG', ['ignored', 'a', 'command', 'without', 'a', 'valid', 'SEQ'])];
    }
    const seq = Number(seqText);
    const verb = f[1] ?? '';
    const args = f.slice(2).filter((x) => x !== '');
    let reply: string;
    let after: string[] = [];
    try {
      if (!/^[A-Z]+$/.test(verb)) throw bad(`malformed command: expected SEQ VERB [ARGS], verb ${JSON.stringify(verb)}`);
      if (!VERBS.has(verb)) throw new CommandError(ErrorCode.UnknownVerb, `unknown verb ${verb}`);
      if (this.running && !ALLOWED_WHILE_RUNNING.has(verb)) {
        throw new CommandError(ErrorCode.Busy, `busy: an autonomous run is active (${verb} not allowed; HALT first)`);
      }
      const payload = this.execute(verb, args);
      reply = formatOk(seq, payload);
      if (verb === 'RESET') after = this.reboot();
    } catch (err) {
      if (err instanceof CommandError || err instanceof TwinError) reply = formatErr(seq, err.code, err.message);
      else reply = formatErr(seq, ErrorCode.Internal, `internal fault: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (verb !== 'RESET' || after.length === 0) {
      this.lastBody = body;
      this.lastReply = reply;
    }
    return [reply, ...after];
  }

  /** Perform up to `max` steps of the active run while credits allow; returns `! FRAME` (and `! DONE`) bodies. */
  pump(max = Infinity): string[] {
    const out: string[] = [];
    const run = this.run;
    const sched = this.schedule;
    if (!run || !sched) return out;
    while (run.active && run.credits > 0 && out.length < max) {
      const s = run.step;
      const ex = s % sched.examples;
      const example = sched.ex[ex]!;
      let frame: string;
      try {
        this.core.setSources(sched.src.map((n, i) => [n, example.in[i]] as [number, number]));
        const r = this.core.step(sched.tgt.map((n, i) => [n, example.out[i]] as [number, number]), sched.eta, sched.amp);
        frame = formatEvent('FRAME', [String(s), `ex=${ex}`, `vf=${formatList(r.freeTargets)}`, `changed=${r.changed}`]);
      } catch (err) {
        run.active = false;
        out.push(formatEvent('LOG', ['run', 'aborted', 'at', 'step', String(s) + ':', ...sanitize(err instanceof Error ? err.message : String(err)).split(' ')]));
        break;
      }
      run.credits--;
      run.step++;
      run.frames.set(s, frame);
      if (run.frames.size > FRAME_HISTORY) run.frames.delete(s - FRAME_HISTORY);
      out.push(frame);
      if (run.step >= sched.steps) {
        run.active = false;
        out.push(formatEvent('DONE', [`steps=${run.step}`]));
      }
    }
    return out;
  }

  // ---- verbs ----

  private execute(verb: string, args: string[]): string[] {
    const core = this.core;
    switch (verb) {
      case 'PING':
        noArgs(verb, args);
        return [];
      case 'ID':
        noArgs(verb, args);
        return formatIdentity(core.identity());
      case 'TOPO':
        noArgs(verb, args);
        return formatTopology(core.model.edges);
      case 'STAT': {
        noArgs(verb, args);
        const c = this.counters;
        return [`boot=${core.bootCount}`, `crc=${c.crc}`, `overlong=${c.overlong}`, `garbage=${c.garbage}`, `dup=${c.dup}`, `steps=${core.stats.steps}`];
      }
      case 'SRC':
        core.setSources(pairsArg(verb, args));
        return [];
      case 'CLAMP':
        core.setClamps(pairsArg(verb, args));
        return [];
      case 'MEAS': {
        const f = fields(verb, args, ['n']);
        let n = DEFAULT_SAMPLES;
        if (f.has('n')) {
          const x = parseNumber(f.get('n')!);
          if (x === null || !Number.isInteger(x)) throw bad(`MEAS n must be an integer sample count, got ${f.get('n')}`);
          n = x;
        }
        return [formatList(core.measure(n))];
      }
      case 'EGET':
        noArgs(verb, args);
        return [formatList(core.edgeSettings())];
      case 'ESET':
        core.setEdges(pairsArg(verb, args));
        return [];
      case 'STEP': {
        const f = fields(verb, args, ['eta', 'tgt', 'amp']);
        const eta = numField(f, 'eta', verb, true)!;
        const amp = numField(f, 'amp', verb, false);
        const tgtText = f.get('tgt');
        if (tgtText === undefined) throw bad('STEP needs tgt=NODE:VOLTS,...');
        const tgt = parsePairs(tgtText);
        if (!tgt) throw bad(`STEP tgt must be NODE:VOLTS,... with distinct nodes, got ${tgtText}`);
        const r = core.step(tgt, eta, amp);
        return [`vf=${formatList(r.freeTargets)}`, `changed=${r.changed}`];
      }
      case 'SCHED':
        return this.sched(args);
      case 'RUN': {
        noArgs(verb, args);
        const s = this.schedule;
        if (!s || !s.closed) throw new CommandError(ErrorCode.Conflict, 'RUN needs an uploaded schedule (SCHED BEGIN ... SCHED END)');
        this.run = { active: true, step: 0, credits: 0, frames: new Map() };
        return [`steps=${s.steps}`];
      }
      case 'GRANT': {
        if (args.length !== 1 || !/^\d{1,9}$/.test(args[0])) throw bad(`GRANT needs one non-negative integer K, got ${args.join(' ') || 'nothing'}`);
        if (!this.run) throw new CommandError(ErrorCode.Conflict, 'GRANT without a run (RUN first)');
        if (this.run.active) this.run.credits += Number(args[0]);
        return [`credits=${this.credits}`];
      }
      case 'HALT':
        noArgs(verb, args);
        if (this.run) this.run.active = false;
        return [`step=${this.run?.step ?? 0}`];
      case 'RESEND': {
        if (args.length !== 1 || !/^\d{1,9}$/.test(args[0])) throw bad(`RESEND needs one step number, got ${args.join(' ') || 'nothing'}`);
        const frame = this.run?.frames.get(Number(args[0]));
        if (frame === undefined) throw new CommandError(ErrorCode.OutOfRange, `no frame ${args[0]} kept (sent frames of the present run only)`);
        return frame.split(' ').slice(2);
      }
      case 'RESET':
        noArgs(verb, args);
        return [];
      default:
        throw new CommandError(ErrorCode.UnknownVerb, `unknown verb ${verb}`);
    }
  }

  private sched(args: string[]): string[] {
    const sub = args[0];
    const rest = args.slice(1);
    const core = this.core;
    const { lo, hi } = core.model.dac;
    if (sub === 'BEGIN') {
      const f = fields('SCHED BEGIN', rest, ['steps', 'examples', 'src', 'tgt', 'eta', 'amp']);
      const steps = intField(f, 'steps', 1, 1e9);
      const examples = intField(f, 'examples', 1, 65535);
      const src = nodeList(f, 'src');
      const tgt = nodeList(f, 'tgt');
      const eta = numField(f, 'eta', 'SCHED BEGIN', true)!;
      const amp = numField(f, 'amp', 'SCHED BEGIN', false) ?? 1;
      const n = core.model.nodes;
      for (const i of [...src, ...tgt]) if (i >= n) throw new CommandError(ErrorCode.OutOfRange, `node ${i} does not exist (nodes 0..${n - 1})`);
      for (const i of src) if (!core.model.drivable.includes(i)) throw new CommandError(ErrorCode.OutOfRange, `node ${i} cannot be driven`);
      for (const i of tgt) if (!core.model.clampable.includes(i)) throw new CommandError(ErrorCode.OutOfRange, `node ${i} cannot be clamped`);
      if (new Set(src).size !== src.length || new Set(tgt).size !== tgt.length) throw bad('src and tgt must list distinct nodes');
      for (const i of src) if (tgt.includes(i)) throw bad(`node ${i} is both a source and a target`);
      if (!(eta > 0 && eta <= 1)) throw new CommandError(ErrorCode.OutOfRange, `eta must be in (0, 1], got ${eta}`);
      if (amp < 0) throw new CommandError(ErrorCode.OutOfRange, `amp must be >= 0, got ${amp}`);
      this.schedule = { steps, examples, src, tgt, eta, amp, ex: new Array(examples).fill(null), closed: false };
      this.run = null;
      return [];
    }
    const s = this.schedule;
    if (sub === 'EX') {
      if (!s || s.closed) throw new CommandError(ErrorCode.Conflict, 'SCHED EX outside an upload (SCHED BEGIN first)');
      const index = rest[0];
      if (index === undefined || !/^\d{1,6}$/.test(index)) throw bad(`SCHED EX needs an example index, got ${index ?? 'nothing'}`);
      const i = Number(index);
      if (i >= s.examples) throw new CommandError(ErrorCode.OutOfRange, `example ${i} outside 0..${s.examples - 1}`);
      const f = fields('SCHED EX', rest.slice(1), ['in', 'out']);
      const vin = f.has('in') ? parseList(f.get('in')!) : null;
      const vout = f.has('out') ? parseList(f.get('out')!) : null;
      if (!vin || vin.length !== s.src.length) throw bad(`SCHED EX in= must list ${s.src.length} voltages`);
      if (!vout || vout.length !== s.tgt.length) throw bad(`SCHED EX out= must list ${s.tgt.length} voltages`);
      for (const v of [...vin, ...vout]) if (v < lo || v > hi) throw new CommandError(ErrorCode.OutOfRange, `${formatNumber(v)} V outside the DAC range ${lo}..${hi} V`);
      s.ex[i] = { in: vin, out: vout };
      return [];
    }
    if (sub === 'END') {
      if (rest.length) throw bad('SCHED END takes no arguments');
      if (!s) throw new CommandError(ErrorCode.Conflict, 'SCHED END without SCHED BEGIN');
      const missing = s.ex.findIndex((e) => e === null);
      if (missing >= 0) throw new CommandError(ErrorCode.Conflict, `example ${missing} missing (send SCHED EX ${missing} ...)`);
      s.closed = true;
      return [`examples=${s.examples}`];
    }
    throw bad(`SCHED needs BEGIN, EX or END, got ${sub ?? 'nothing'}`);
  }
}

function noArgs(verb: string, args: string[]): void {
  if (args.length) throw bad(`${verb} takes no arguments`);
}

function pairsArg(verb: string, args: string[]): [number, number][] {
  if (args.length !== 1) throw bad(`${verb} needs one list INDEX:VALUE,... (or -)`);
  const p = parsePairs(args[0]);
  if (!p) throw bad(`${verb} list must be INDEX:VALUE,... with distinct indices (or -), got ${args[0]}`);
  return p;
}

function fields(verb: string, args: string[], allowed: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const a of args) {
    const eq = a.indexOf('=');
    const k = eq > 0 ? a.slice(0, eq) : '';
    if (!allowed.includes(k)) throw bad(`${verb}: unexpected argument ${a} (allowed: ${allowed.map((x) => x + '=').join(' ')})`);
    if (m.has(k)) throw bad(`${verb}: ${k}= given twice`);
    m.set(k, a.slice(eq + 1));
  }
  return m;
}

function numField(f: Map<string, string>, key: string, verb: string, required: boolean): number | undefined {
  const s = f.get(key);
  if (s === undefined) {
    if (required) throw bad(`${verb} needs ${key}=NUMBER`);
    return undefined;
  }
  const x = parseNumber(s);
  if (x === null) throw bad(`${verb} ${key} must be a number, got ${s}`);
  return x;
}

function intField(f: Map<string, string>, key: string, min: number, max: number): number {
  const s = f.get(key);
  if (s === undefined || !/^\d+$/.test(s)) throw bad(`SCHED BEGIN needs ${key}=INTEGER`);
  const x = Number(s);
  if (x < min || x > max) throw new CommandError(ErrorCode.OutOfRange, `${key} must be in ${min}..${max}, got ${s}`);
  return x;
}

function nodeList(f: Map<string, string>, key: string): number[] {
  const s = f.get(key);
  const l = s === undefined ? null : parseList(s);
  if (!l || l.some((x) => !Number.isInteger(x) || x < 0)) throw bad(`SCHED BEGIN needs ${key}=NODE,NODE,... (or -)`);
  return l;
}

function sanitize(s: string): string {
  return s.replace(/[^\x20-\x29\x2b-\x7e]/g, '?');
}
