/**
 * The twin's "firmware": the protocol handler of PROTOCOL.md (version 1.4; 1.3 and older on request) over a
 * {@link TwinBoardCore}. Pure and
 * synchronous: frame bodies in, reply bodies out; no timers, no I/O (the {@link TwinServer} adds the byte link,
 * pacing and faults). Every choice here is PROTOCOL.md's; the section numbers below point to the rule.
 *
 * - `receive(body)` handles one valid frame body and returns the bodies to send back: nothing for a body without a
 *   valid SEQ (3.1), the cached reply for a duplicate of the last command, a 409 for a duplicate of an older one (4),
 *   else exactly one reply (`SEQ OK ...` / `SEQ ERR CODE MSG`), followed by the boot banner after a `RESET` that
 *   reboots.
 * - `pump(max)` performs up to `max` steps of an autonomous run while credits allow and returns their
 *   `! FRAME ...` bodies (and `! DONE steps=N`, or `! DONE steps=F fail=CODE` when a step fails; 8). Streamed
 *   frames never come from `receive`.
 */
import {
  crc16,
  cycleClamp,
  CYCLE_MAX_NODES,
  ErrorCode,
  formatCycleReply,
  formatErr,
  formatEvent,
  formatIdentity,
  formatList,
  formatNumber,
  formatOk,
  formatTopology,
  isIntegerToken,
  isNumberToken,
  type LinkCounters,
  numberTokenValue,
  parseSeq,
  splitList,
  splitPairs,
  frameKeep,
  hasCompoundCommands,
  LATEST_PROTOCOL_VERSION,
} from '../firmware-protocol/codec.js';
import { TwinBoardCore, DEFAULT_SAMPLES, MAX_SAMPLES } from './TwinBoardCore.js';
import { TwinError } from './TwinError.js';

/** Commands remembered for duplicate detection (PROTOCOL.md section 4). */
export const COMMAND_HISTORY = 16;
/** Most steps a schedule may ask for (PROTOCOL.md `SCHED BEGIN`). */
export const MAX_SCHEDULE_STEPS = 1_000_000_000;
/** Most credits outstanding (PROTOCOL.md `GRANT`). */
export const MAX_CREDITS = 65535;
/** Verbs allowed while an autonomous run is active. */
const ALLOWED_WHILE_RUNNING = new Set(['PING', 'ID', 'STAT', 'GRANT', 'HALT', 'RESEND']);
const VERBS_1_3 = new Set(['PING', 'ID', 'TOPO', 'STAT', 'SRC', 'CLAMP', 'MEAS', 'EGET', 'ESET', 'STEP', 'SCHED', 'RUN', 'GRANT', 'HALT', 'RESEND', 'RESET']);
/** Protocol 1.4 adds `CYCLE` (PROTOCOL.md 7.2). */
const VERBS_1_4 = new Set([...VERBS_1_3, 'CYCLE']);

/** Options of {@link TwinFirmware}. */
export interface TwinFirmwareOptions {
  /**
   * The protocol version this firmware speaks (`ID`, banner, and which commands it has). Default: 1.4 over a core
   * that reports 1.3 (1.4 changed no `ID` field, only added commands), else the core's own version (1.2, 1.1).
   */
  protocol?: '1.1' | '1.2' | '1.3' | '1.4';
}

/** Counters since boot reported by STAT (link errors fed in by the server). */
export interface FirmwareCounters extends LinkCounters {
  /** Duplicates recognised: replayed from the reply cache, or refused as copies of older commands. */
  dup: number;
  /** Valid frames without a valid SEQ (not executed, not answered). */
  badseq: number;
}

/** The run state of PROTOCOL.md section 8, as STAT reports it. */
export type RunState = 'none' | 'running' | 'done' | 'halted' | 'failed';

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
  state: Exclude<RunState, 'none'>;
  /** Next step to perform = steps completed. */
  step: number;
  credits: number;
  frames: Map<number, string>;
  /** Why the run failed (state `failed`): the code and message the step was refused with. */
  failure: { code: number; message: string } | null;
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
const range = (msg: string): CommandError => new CommandError(ErrorCode.OutOfRange, msg);
const state = (msg: string): CommandError => new CommandError(ErrorCode.Conflict, msg);

export class TwinFirmware {
  readonly core: TwinBoardCore;
  readonly counters: FirmwareCounters = { crc: 0, overlong: 0, garbage: 0, dup: 0, badseq: 0 };
  /** Keys (`SEQ:CRC`) of the last COMMAND_HISTORY commands executed, oldest first. */
  private history: string[] = [];
  private lastReply: string | null = null;
  private schedule: Schedule | null = null;
  private run: Run | null = null;

  /** The protocol version spoken (PROTOCOL.md section 10). */
  readonly protocol: string;
  private readonly verbs: Set<string>;

  constructor(core: TwinBoardCore, opts: TwinFirmwareOptions = {}) {
    this.core = core;
    const p = opts.protocol ?? (core.protocol === '1.3' ? LATEST_PROTOCOL_VERSION : core.protocol);
    if (p !== core.protocol && !(p === '1.4' && core.protocol === '1.3')) {
      throw new RangeError(`TwinFirmware: protocol ${p} over a board core that reports ${core.protocol} (only 1.4 over 1.3 differs)`);
    }
    this.protocol = p;
    this.verbs = hasCompoundCommands(p) ? VERBS_1_4 : VERBS_1_3;
  }

  /** True when this firmware has the compound commands of protocol 1.4 (`CYCLE`, `STEP src=`, `STEP`'s `set=`). */
  get compound(): boolean {
    return hasCompoundCommands(this.protocol);
  }

  /** Frames of the present or last run kept for RESEND: the board's `keep=` (PROTOCOL.md 1.3, 256 before it). */
  get keep(): number {
    return frameKeep(this.core.limits());
  }

  /** Body of the boot banner: `! BOOT fw=V proto=1.4 board=M boot=N`. */
  banner(): string {
    const m = this.core.model;
    return formatEvent('BOOT', [`fw=${m.firmware}`, `proto=${this.protocol}`, `board=${m.name}`, `boot=${this.core.bootCount}`]);
  }

  /** True while an autonomous run is active. */
  get running(): boolean {
    return this.run?.state === 'running';
  }

  /** The run state (PROTOCOL.md section 8). */
  get runState(): RunState {
    return this.run?.state ?? 'none';
  }

  /** Credits presently held by an active run (0 if none). */
  get credits(): number {
    return this.running ? this.run!.credits : 0;
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

  /** Reboot: core state lost, firmware volatile state cleared (history, reply cache, schedule, run, counters). */
  reboot(): string[] {
    this.core.reboot();
    this.history = [];
    this.lastReply = null;
    this.schedule = null;
    this.run = null;
    this.counters.crc = this.counters.overlong = this.counters.garbage = this.counters.dup = this.counters.badseq = 0;
    return [this.banner()];
  }

  /** Handle one valid frame body; returns the bodies to send (none, one reply, or a reply and the banner). */
  receive(body: string): string[] {
    const f = body.split(' ');
    const seq = parseSeq(f[0]);
    if (seq === null) {
      // 3.1: nothing to address a reply to
      this.counters.badseq++;
      return [];
    }
    // 4: a duplicate is identified by SEQ and the frame's CRC (what a small firmware can afford to keep)
    const key = `${seq}:${crc16(body)}`;
    const last = this.history.length ? this.history[this.history.length - 1] : null;
    if (key === last && this.lastReply !== null) {
      this.counters.dup++;
      return [this.lastReply];
    }
    if (this.history.includes(key)) {
      this.counters.dup++;
      return [formatErr(seq, ErrorCode.Conflict, 'duplicate of an earlier command; not executed again')];
    }
    const verb = f[1];
    const args = f.slice(2);
    let reply: string;
    let rebooted = false;
    try {
      if (verb === undefined || f.includes('')) throw bad('malformed body: expected SEQ VERB [ARG ...] separated by single spaces');
      if (!this.verbs.has(verb)) throw new CommandError(ErrorCode.UnknownVerb, `unknown verb ${verb} (verbs are upper case)`);
      if (this.running && !ALLOWED_WHILE_RUNNING.has(verb)) {
        throw new CommandError(ErrorCode.Busy, `busy: an autonomous run is active (${verb} not allowed; HALT first)`);
      }
      if (verb === 'RESET') {
        const r = this.reset(args);
        reply = formatOk(seq, r.payload);
        rebooted = r.reboot;
      } else {
        reply = formatOk(seq, this.execute(verb, args));
      }
    } catch (err) {
      if (err instanceof CommandError || err instanceof TwinError) reply = formatErr(seq, err.code, err.message);
      else reply = formatErr(seq, ErrorCode.Internal, `internal fault: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (rebooted) return [reply, ...this.reboot()]; // the reboot empties the history: nothing to record
    this.history.push(key);
    if (this.history.length > COMMAND_HISTORY) this.history.shift();
    this.lastReply = reply;
    return [reply];
  }

  /** Perform up to `max` steps of the active run while credits allow; returns `! FRAME` (and `! DONE`) bodies. */
  pump(max = Infinity): string[] {
    const out: string[] = [];
    const run = this.run;
    const sched = this.schedule;
    if (!run || !sched) return out;
    while (run.state === 'running' && run.credits > 0 && out.length < max) {
      const s = run.step;
      const ex = s % sched.examples;
      const example = sched.ex[ex]!;
      let frame: string;
      try {
        this.core.setSources(sched.src.map((n, i) => [n, example.in[i]] as [number, number]));
        const r = this.core.step(sched.tgt.map((n, i) => [n, example.out[i]] as [number, number]), sched.eta, sched.amp);
        frame = formatEvent('FRAME', [String(s), `ex=${ex}`, `vf=${formatList(r.freeTargets)}`, `changed=${r.changed}`]);
      } catch (err) {
        // 8: the run fails; the reason stays available (STAT, and 424 from GRANT, HALT, RESEND)
        const code = err instanceof TwinError ? err.code : ErrorCode.Internal;
        run.state = 'failed';
        run.failure = { code, message: err instanceof Error ? err.message : String(err) };
        out.push(formatEvent('DONE', [`steps=${s}`, `fail=${code}`]));
        break;
      }
      run.credits--;
      run.step++;
      run.frames.set(s, frame);
      // keep exactly the last `keep` frames (ID keep=): an older RESEND is 416, as on a board with a small ring
      const keep = this.keep;
      if (run.frames.size > keep) run.frames.delete(s - keep);
      out.push(frame);
      if (run.step >= sched.steps) {
        run.state = 'done';
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
        return formatIdentity({ ...core.identity(), protocol: this.protocol });
      case 'TOPO':
        noArgs(verb, args);
        return formatTopology(core.model.edges);
      case 'STAT': {
        noArgs(verb, args);
        const c = this.counters;
        const run = this.run;
        return [
          `boot=${core.bootCount}`,
          `crc=${c.crc}`,
          `overlong=${c.overlong}`,
          `garbage=${c.garbage}`,
          `dup=${c.dup}`,
          `badseq=${c.badseq}`,
          `steps=${core.stats.steps}`,
          `run=${this.runState}`,
          `runstep=${run?.step ?? 0}`,
          `runerr=${run?.failure?.code ?? 0}`,
        ];
      }
      case 'SRC':
        core.setSources(pairList(verb, positional(verb, args, 1)[0], 'number'));
        return [];
      case 'CLAMP':
        core.setClamps(pairList(verb, positional(verb, args, 1)[0], 'number'));
        return [];
      case 'MEAS': {
        const f = keyed(verb, args, ['n'], []);
        let n = DEFAULT_SAMPLES;
        if (f.has('n')) {
          n = integer(verb, 'n', f.get('n')!);
          if (!(n >= 1 && n <= MAX_SAMPLES)) throw range(`MEAS n must be in 1..${MAX_SAMPLES}, got ${f.get('n')}`);
        }
        return [formatList(core.measure(n))];
      }
      case 'EGET':
        noArgs(verb, args);
        return [formatList(core.edgeSettings())];
      case 'ESET':
        core.setEdges(pairList(verb, positional(verb, args, 1)[0], core.model.edge.kind === 'tap' ? 'integer' : 'number'));
        return [];
      case 'STEP': {
        const gate = core.model.edge.kind === 'gate';
        // 1.4: src= drives the sources first (PROTOCOL.md 7.2)
        const allowed = [...(gate ? ['eta', 'tgt', 'amp'] : ['eta', 'tgt']), ...(this.compound ? ['src'] : [])];
        const f = keyed(verb, args, allowed, ['eta', 'tgt'], gate ? '' : ' (amp applies to gate boards only)');
        const eta = decimal(verb, 'eta', f.get('eta')!);
        const amp = f.has('amp') ? decimal(verb, 'amp', f.get('amp')!) : 1;
        const tgt = pairList(verb, f.get('tgt')!, 'number', 'tgt');
        const src = f.has('src') ? pairList(verb, f.get('src')!, 'number', 'src') : null;
        if (tgt.length === 0) throw bad('STEP tgt must list at least one NODE:VOLTS');
        let r: { freeTargets: Float64Array; changed: number };
        if (src === null) {
          r = core.step(tgt, eta, amp);
        } else {
          this.checkSources(src);
          // 416 before 409 (PROTOCOL.md 5): every value (eta, amp, the targets) before their conflict with a source
          this.checkStepValues(eta, amp);
          const driven = new Set(src.map(([n]) => n));
          this.checkTargets(tgt);
          if (tgt.some(([n]) => driven.has(n))) throw state(`STEP: a target is also in src=; a node is driven or clamped, not both`);
          // all or nothing: a STEP the core refuses (eta, amp) leaves the sources and clamps as they were
          const before = { sources: core.activeSources(), clamps: core.activeClamps() };
          core.setClamps([]);
          core.setSources(src);
          try {
            r = core.step(tgt, eta, amp);
          } catch (e) {
            core.setClamps([]);
            core.setSources([...before.sources]);
            core.setClamps([...before.clamps]);
            throw e;
          }
        }
        const out = [`vf=${formatList(r.freeTargets)}`, `changed=${r.changed}`];
        if (this.compound) out.push(`set=${formatList(core.edgeSettings())}`);
        return out;
      }
      case 'CYCLE':
        return this.cycle(args);
      case 'SCHED':
        return this.sched(args);
      case 'RUN': {
        noArgs(verb, args);
        const s = this.schedule;
        if (!s || !s.closed) throw state('RUN needs an uploaded schedule (SCHED BEGIN ... SCHED END)');
        this.run = { state: 'running', step: 0, credits: 0, frames: new Map(), failure: null };
        return [`steps=${s.steps}`];
      }
      case 'GRANT': {
        const k = integer(verb, 'K', positional(verb, args, 1)[0]);
        if (k > MAX_CREDITS) throw range(`GRANT K must be in 0..${MAX_CREDITS}, got ${args[0]}`);
        const run = this.run;
        if (run?.state === 'running' && run.credits + k > MAX_CREDITS) throw range(`credits would exceed ${MAX_CREDITS} (${run.credits} outstanding)`);
        if (!run) throw state('GRANT without a run (RUN first)');
        this.throwIfFailed(run);
        if (run.state === 'running') run.credits += k;
        return [`credits=${this.credits}`];
      }
      case 'HALT': {
        noArgs(verb, args);
        const run = this.run;
        if (!run) return ['step=0'];
        this.throwIfFailed(run);
        if (run.state === 'running') run.state = 'halted';
        return [`step=${run.step}`];
      }
      case 'RESEND': {
        const s = integer(verb, 'S', positional(verb, args, 1)[0]);
        const run = this.run;
        if (!run) throw state('RESEND without a run');
        if (run.failure && s >= run.step) this.throwIfFailed(run);
        const frame = run.frames.get(s);
        if (frame === undefined) throw range(`no frame ${args[0]} kept (the last ${this.keep} frames of the present or last run are)`);
        return frame.split(' ').slice(2);
      }
      default:
        throw new CommandError(ErrorCode.UnknownVerb, `unknown verb ${verb}`);
    }
  }

  /**
   * `CYCLE eta=X src=LIST tgt=LIST [n=SAMPLES]` (PROTOCOL.md 7.2): clamps released, the sources driven, every node
   * measured, the targets clamped at {@link cycleClamp} of their reported free reading, measured again, clamps
   * released. The core calls are those of the 1.3 sequence `CLAMP -`, `SRC`, `MEAS`, `CLAMP`, `MEAS`, `CLAMP -`, so
   * a cycle gives the same readings (the same noise draws) as that sequence. Everything is checked first: a refused
   * cycle changes nothing.
   */
  private cycle(args: string[]): string[] {
    const core = this.core;
    const f = keyed('CYCLE', args, ['eta', 'src', 'tgt', 'n'], ['eta', 'src', 'tgt']);
    // 400: spelling
    const eta = decimal('CYCLE', 'eta', f.get('eta')!);
    const src = pairList('CYCLE', f.get('src')!, 'number', 'src');
    const tgt = pairList('CYCLE', f.get('tgt')!, 'number', 'tgt');
    const n = f.has('n') ? integer('CYCLE', 'n', f.get('n')!) : DEFAULT_SAMPLES;
    if (tgt.length === 0) throw bad('CYCLE tgt must list at least one NODE:VOLTS');
    // 416: values
    if (core.model.nodes > CYCLE_MAX_NODES) throw range(`CYCLE: ${core.model.nodes} nodes' two states do not fit one line (at most ${CYCLE_MAX_NODES} nodes); use SRC, CLAMP and MEAS`);
    const lim = core.limits();
    if (!(eta >= lim.eta.lo && eta <= lim.eta.hi)) throw range(`eta must be in [${lim.eta.lo}, ${lim.eta.hi}], got ${f.get('eta')}`);
    if (!(n >= 1 && n <= MAX_SAMPLES)) throw range(`CYCLE n must be in 1..${MAX_SAMPLES}, got ${f.get('n')}`);
    this.checkSources(src);
    this.checkTargets(tgt);
    // 409: state
    const driven = new Set(src.map(([node]) => node));
    if (tgt.some(([node]) => driven.has(node))) throw state('CYCLE: a target is also in src=; a node is driven or clamped, not both');
    const { lo, hi } = core.model.dac;
    core.setClamps([]);
    core.setSources(src);
    const vf = core.measure(n);
    core.setClamps(tgt.map(([node, desired]) => [node, cycleClamp(vf[node], desired, eta, lo, hi)] as [number, number]));
    const vc = core.measure(n);
    core.setClamps([]);
    return formatCycleReply(vf, vc);
  }

  /** `STEP`'s eta and (on gate boards) amp against the limits of `ID` (416), as the core's step checks them. */
  private checkStepValues(eta: number, amp: number): void {
    const lim = this.core.limits();
    if (!(eta >= lim.eta.lo && eta <= lim.eta.hi)) throw range(`eta must be in [${lim.eta.lo}, ${lim.eta.hi}], got ${eta}`);
    if (lim.amp && !(amp >= lim.amp.lo && amp <= lim.amp.hi)) throw range(`amp must be in [${lim.amp.lo}, ${lim.amp.hi}] V/V^2, got ${amp}`);
  }

  /** Source pairs as `SRC` checks their values (416): the node exists and has a drive channel, the volts within `dac=`. */
  private checkSources(pairs: [number, number][]): void {
    const m = this.core.model;
    for (const [node, v] of pairs) {
      if (!(node < m.nodes)) throw range(`node ${node} does not exist (nodes 0..${m.nodes - 1})`);
      if (!m.drivable.includes(node)) throw range(`node ${node} cannot be driven (drive=${m.drivable.join(',')})`);
      if (!(v >= m.dac.lo && v <= m.dac.hi)) throw range(`${formatNumber(v)} V outside the DAC range ${m.dac.lo}..${m.dac.hi} V`);
    }
  }

  /** Target pairs as `STEP` checks their values (416): the node exists and has a clamp channel, the volts within `dac=`. */
  private checkTargets(pairs: [number, number][]): void {
    const m = this.core.model;
    for (const [node, v] of pairs) {
      if (!(node < m.nodes)) throw range(`node ${node} does not exist (nodes 0..${m.nodes - 1})`);
      if (!m.clampable.includes(node)) throw range(`node ${node} cannot be clamped (clamp=${m.clampable.join(',')})`);
      if (!(v >= m.dac.lo && v <= m.dac.hi)) throw range(`${formatNumber(v)} V outside the DAC range ${m.dac.lo}..${m.dac.hi} V`);
    }
  }

  /** `RESET boot=N` (PROTOCOL.md section 7): reboots only if N is the present boot counter. */
  private reset(args: string[]): { payload: string[]; reboot: boolean } {
    const f = keyed('RESET', args, ['boot'], ['boot']);
    const n = integer('RESET', 'boot', f.get('boot')!);
    const boot = this.core.bootCount;
    return { payload: [`boot=${boot}`], reboot: n === boot };
  }

  private throwIfFailed(run: Run): void {
    if (run.state !== 'failed') return;
    const f = run.failure!;
    throw new CommandError(ErrorCode.RunFailed, `run failed at step ${run.step}: ${f.code} ${f.message}`);
  }

  private sched(args: string[]): string[] {
    const sub = args[0];
    const rest = args.slice(1);
    const core = this.core;
    const { lo, hi } = core.model.dac;
    if (sub === 'BEGIN') {
      const gate = core.model.edge.kind === 'gate';
      const required = ['steps', 'examples', 'src', 'tgt', 'eta'];
      const f = keyed('SCHED BEGIN', rest, gate ? [...required, 'amp'] : required, required, gate ? '' : ' (amp applies to gate boards only)');
      // 400: spelling first
      const steps = integer('SCHED BEGIN', 'steps', f.get('steps')!);
      const examples = integer('SCHED BEGIN', 'examples', f.get('examples')!);
      const src = nodeList('src', f.get('src')!);
      const tgt = nodeList('tgt', f.get('tgt')!);
      const eta = decimal('SCHED BEGIN', 'eta', f.get('eta')!);
      const amp = f.has('amp') ? decimal('SCHED BEGIN', 'amp', f.get('amp')!) : 1;
      if (tgt.values.length === 0) throw bad('SCHED BEGIN tgt must list at least one node');
      const seen = new Set<string>();
      for (const t of [...src.tokens, ...tgt.tokens]) {
        if (seen.has(t)) throw bad(`node ${t} is listed twice in src and tgt (a node is a source or a target, once)`);
        seen.add(t);
      }
      // 416: values
      const lim = core.limits();
      if (!(steps >= 1 && steps <= MAX_SCHEDULE_STEPS)) throw range(`steps must be in 1..${MAX_SCHEDULE_STEPS}, got ${f.get('steps')}`);
      if (!(examples >= 1 && examples <= lim.maxExamples)) throw range(`examples must be in 1..${lim.maxExamples}, got ${f.get('examples')}`);
      const n = core.model.nodes;
      for (const i of [...src.values, ...tgt.values]) if (!(i < n)) throw range(`node ${i} does not exist (nodes 0..${n - 1})`);
      for (const i of src.values) if (!core.model.drivable.includes(i)) throw range(`node ${i} cannot be driven`);
      for (const i of tgt.values) if (!core.model.clampable.includes(i)) throw range(`node ${i} cannot be clamped`);
      if (!(eta >= lim.eta.lo && eta <= lim.eta.hi)) throw range(`eta must be in [${lim.eta.lo}, ${lim.eta.hi}], got ${f.get('eta')}`);
      if (lim.amp && !(amp >= lim.amp.lo && amp <= lim.amp.hi)) throw range(`amp must be in [${lim.amp.lo}, ${lim.amp.hi}] V/V^2, got ${f.get('amp')}`);
      this.schedule = { steps, examples, src: src.values, tgt: tgt.values, eta, amp, ex: new Array(examples).fill(null), closed: false };
      this.run = null;
      return [];
    }
    const s = this.schedule;
    if (sub === 'EX') {
      const index = rest[0];
      if (index === undefined) throw bad('SCHED EX needs an example index');
      const i = integer('SCHED EX', 'I', index);
      const f = keyed('SCHED EX', rest.slice(1), ['in', 'out'], ['in', 'out']);
      const vin = valueList('in', f.get('in')!);
      const vout = valueList('out', f.get('out')!);
      // the counts, the index and the voltages are judged against the open upload; without one, 409
      if (!s || s.closed) throw state('SCHED EX outside an upload (SCHED BEGIN first)');
      if (vin.length !== s.src.length) throw bad(`SCHED EX in= must list ${s.src.length} voltages (one per src node), got ${vin.length}`);
      if (vout.length !== s.tgt.length) throw bad(`SCHED EX out= must list ${s.tgt.length} voltages (one per tgt node), got ${vout.length}`);
      if (!(i < s.examples)) throw range(`example ${index} outside 0..${s.examples - 1}`);
      for (const v of [...vin, ...vout]) if (!(v >= lo && v <= hi)) throw range(`${Number.isFinite(v) ? formatNumber(v) : v} V outside the DAC range ${lo}..${hi} V`);
      s.ex[i] = { in: vin, out: vout };
      return [];
    }
    if (sub === 'END') {
      if (rest.length) throw bad('SCHED END takes no arguments');
      if (!s || s.closed) throw state('SCHED END without an open upload (SCHED BEGIN first)');
      const missing = s.ex.findIndex((e) => e === null);
      if (missing >= 0) throw state(`example ${missing} missing (send SCHED EX ${missing} ...)`);
      s.closed = true;
      return [`examples=${s.examples}`];
    }
    throw bad(`SCHED needs BEGIN, EX or END, got ${sub ?? 'nothing'}`);
  }
}

function noArgs(verb: string, args: string[]): void {
  if (args.length) throw bad(`${verb} takes no arguments`);
}

/** Exactly `n` positional arguments. */
function positional(verb: string, args: string[], n: number): string[] {
  if (args.length !== n) throw bad(`${verb} needs ${n} argument${n === 1 ? '' : 's'}, got ${args.length}`);
  return args;
}

/** `KEY=VALUE` arguments: only `allowed` keys, each once, every `required` one present. */
function keyed(verb: string, args: string[], allowed: string[], required: string[], note = ''): Map<string, string> {
  const m = new Map<string, string>();
  for (const a of args) {
    const eq = a.indexOf('=');
    const k = eq > 0 ? a.slice(0, eq) : '';
    if (!allowed.includes(k)) throw bad(`${verb}: unexpected argument ${a} (allowed: ${allowed.map((x) => x + '=').join(' ')})${note}`);
    if (m.has(k)) throw bad(`${verb}: ${k}= given twice`);
    m.set(k, a.slice(eq + 1));
  }
  for (const k of required) if (!m.has(k)) throw bad(`${verb} needs ${k}=`);
  return m;
}

/** A protocol integer (spelling checked: 400); its value may be huge, for the range check to refuse (416). */
function integer(verb: string, name: string, token: string): number {
  if (!isIntegerToken(token)) throw bad(`${verb} ${name} must be an integer (digits, no sign, no leading zero), got ${token}`);
  return Number(token);
}

/** A protocol decimal number (spelling checked: 400), rounded to 6 decimals. */
function decimal(verb: string, name: string, token: string): number {
  if (!isNumberToken(token)) throw bad(`${verb} ${name} must be a number, got ${token}`);
  return numberTokenValue(token);
}

/** A pair list `INDEX:VALUE,...`: spelling and repeats checked (400); values for the range checks of the core. */
function pairList(verb: string, text: string, values: 'integer' | 'number', name = 'list'): [number, number][] {
  const parts = splitPairs(text);
  if (!parts) throw bad(`${verb} ${name} must be INDEX:VALUE,... (or -), got ${text}`);
  const seen = new Set<string>();
  return parts.map(([it, vt]) => {
    if (!isIntegerToken(it)) throw bad(`${verb} ${name}: index ${it} is not an integer`);
    if (seen.has(it)) throw bad(`${verb} ${name}: index ${it} listed twice`);
    seen.add(it);
    if (values === 'integer' ? !isIntegerToken(vt) : !isNumberToken(vt)) {
      throw bad(`${verb} ${name}: ${vt} is not ${values === 'integer' ? 'an integer tap' : 'a number'}`);
    }
    return [Number(it), values === 'integer' ? Number(vt) : numberTokenValue(vt)];
  });
}

/** A node list (`-` = none): integers. */
function nodeList(name: string, text: string): { tokens: string[]; values: number[] } {
  const parts = splitList(text);
  if (!parts || parts.some((p) => !isIntegerToken(p))) throw bad(`SCHED BEGIN ${name} must be NODE,NODE,... (or -), got ${text}`);
  return { tokens: parts, values: parts.map(Number) };
}

/** A value list (`-` = none): decimal numbers. */
function valueList(name: string, text: string): number[] {
  const parts = splitList(text);
  if (!parts || parts.some((p) => !isNumberToken(p))) throw bad(`SCHED EX ${name} must be VOLTS,VOLTS,... (or -), got ${text}`);
  return parts.map(numberTokenValue);
}
