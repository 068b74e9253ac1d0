/**
 * Protocol benchmark (issues 3 and 18): a twin served on a real pseudo-terminal by a child process
 * (`clln twin serve --pty`), driven by the serial host in this process.
 *
 * 1. Throughput with the twin unpaced: round trips per second and host CPU per frame for PING and a 16-node MEAS,
 *    and streamed autonomous-run frames per second.
 * 2. Against the wire: with the twin paced at 115200 baud and at 1 Mbaud (10 bit times per byte), the achieved
 *    step rate as a fraction of the wire-time limit, for host-stepped training (stop-and-wait: every byte in both
 *    directions is on the wire in turn, limit = (bytes out + bytes in) x 10 / baud per step), device-stepped
 *    training (same accounting) and streamed training (frames flow board -> host while grants flow the other way on
 *    the full-duplex line, limit = bytes in x 10 / baud). The twin's own step time is set to 0 (--step-ms 0) so that
 *    the wire, not the simulated ADC, is the limit being measured.
 *
 * Each mode runs twice in the same bench run: "before", the twin speaking protocol 1.3 (host step: CLAMP -, SRC, MEAS,
 * CLAMP, MEAS, CLAMP -, EGET, ESET; device step: CLAMP -, SRC, STEP, EGET) and pacing with a timer per line
 * (--lead-ms 0), which is how it was before issue 18; and "after", protocol 1.4 (host step: CYCLE, ESET; device step:
 * STEP src=, PROTOCOL.md 7.2) with the twin writing each batch of due lines at once (lead 20 ms, twins/TwinServer.ts).
 * The targets are printed beside the "after" rows: host- and device-stepped >= 0.8 at 1 Mbaud and >= 0.9 at
 * 115200 baud, streamed >= 0.9 at both.
 */
import { loadavg } from 'node:os';
import { startPtyTwin } from '../src/device/connectBoard.js';
import { openSerialBoard, type SerialBoard } from '../src/device/SerialBoard.js';
import { referenceTask } from '../src/physics/generators/linearTask.js';
import { trainOnBoard } from '../src/pipeline/trainOnBoard.js';
import { lastValueFrom, tap, toArray } from 'rxjs';
import { ratio, table } from './timing.js';

const task = referenceTask({ test: 0 });

/** The twin as it was before issue 18 and as it is after (see the file comment). */
const VARIANTS = {
  before: { protocol: '1.3', leadMs: 0, label: '1.3, timer per line' },
  after: { protocol: '1.4', leadMs: 20, label: '1.4, batched' },
} as const;
type Variant = keyof typeof VARIANTS;

export interface WireResult {
  baud: number;
  mode: string;
  variant: Variant;
  steps: number;
  stepsPerSecond: number;
  wireLimitPerSecond: number;
  ratio: number;
  bytesPerStep: number;
  /** Commands sent per step (exchanges, stop-and-wait modes). */
  commandsPerStep: number;
  hostCpuUsPerStep: number;
  /** The target for this row ("after" rows), fraction of the wire limit. */
  target?: number;
}

export interface ProtocolResults {
  /** 1-minute load average before and after the bench (`uptime`). */
  load: { before: number; after: number };
  throughput: { name: string; perSecond: number; hostCpuUsPerFrame: number; frames: number }[];
  wire: WireResult[];
}

async function withTwin<T>(baud: number, variant: Variant, fn: (b: SerialBoard) => Promise<T>): Promise<T> {
  const v = VARIANTS[variant];
  const twin = await startPtyTwin('penn-gen1', { ideal: true, twinBaud: baud, twinStepMs: 0, twinProtocol: v.protocol, twinLeadMs: v.leadMs });
  // confirmReads off: the benchmark has no faults, and the extra STAT would be protocol overhead of this host's
  // choosing rather than of the protocol
  const board = await openSerialBoard(twin.path, { baudRate: baud || 1_000_000, confirmReads: false });
  try {
    return await fn(board);
  } finally {
    await board.close();
    await twin.stop();
  }
}

function cpuUs(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return d.user + d.system;
}

async function throughput(): Promise<ProtocolResults['throughput']> {
  return withTwin(0, 'after', async (board) => {
    const out: ProtocolResults['throughput'] = [];
    for (const [name, n, call] of [
      ['PING round trip', 3000, () => board.stat().then(() => undefined)],
      ['MEAS (16 nodes) round trip', 2000, () => board.measure(1).then(() => undefined)],
    ] as const) {
      for (let i = 0; i < 50; i++) await call();
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < n; i++) await call();
      const s = (performance.now() - t0) / 1000;
      out.push({ name, perSecond: n / s, hostCpuUsPerFrame: cpuUs(c0) / (2 * n), frames: 2 * n });
    }
    const steps = 5000;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const frames = await lastValueFrom(board.runSchedule({ steps, sources: [0, 3, 15], targets: [9, 10], eta: 0.1, examples: task.train.map((e) => ({ in: [...e.in, 0], out: e.out })) }, 64).pipe(toArray()));
    const s = (performance.now() - t0) / 1000;
    out.push({ name: 'streamed run frame', perSecond: frames.length / s, hostCpuUsPerFrame: cpuUs(c0) / frames.length, frames: frames.length });
    return out;
  });
}

/** The target for a row: stop-and-wait modes >= 0.8 at 1 Mbaud and >= 0.9 at 115200 baud; streamed >= 0.9. */
function targetOf(baud: number, mode: string): number {
  return mode === 'streamed' || baud < 1_000_000 ? 0.9 : 0.8;
}

async function stepped(baud: number, mode: 'host-stepped' | 'device-stepped', variant: Variant): Promise<WireResult> {
  const fast = baud >= 1_000_000;
  const steps = fast ? 300 : 60;
  return withTwin(baud, variant, async (board) => {
    // Time and bytes between the end of the first step and the end of the last, so that the training-set
    // measurements trainOnBoard makes before and after are not counted.
    let mark: { t: number; bytes: number; commands: number; cpu: NodeJS.CpuUsage } | undefined;
    let end: { t: number; bytes: number; commands: number; cpu: number } | undefined;
    const bytesNow = (): number => board.stats.bytesOut + board.stats.bytesIn;
    await trainOnBoard(board, task, {
      update: mode === 'host-stepped' ? 'host' : 'device',
      steps: steps + 1,
      order: 'sequential',
      onStep: (r) => {
        if (r.step === 0) mark = { t: performance.now(), bytes: bytesNow(), commands: board.stats.commands, cpu: process.cpuUsage() };
        if (r.step === steps) end = { t: performance.now(), bytes: bytesNow(), commands: board.stats.commands, cpu: cpuUs(mark!.cpu) };
      },
    });
    const s = (end!.t - mark!.t) / 1000;
    const bytes = end!.bytes - mark!.bytes;
    const limitS = (bytes * 10) / baud;
    return {
      baud,
      mode,
      variant,
      steps,
      stepsPerSecond: steps / s,
      wireLimitPerSecond: steps / limitS,
      ratio: limitS / s,
      bytesPerStep: bytes / steps,
      commandsPerStep: (end!.commands - mark!.commands) / steps,
      hostCpuUsPerStep: end!.cpu / steps,
      ...(variant === 'after' ? { target: targetOf(baud, mode) } : {}),
    };
  });
}

async function streamed(baud: number, variant: Variant): Promise<WireResult> {
  const steps = baud >= 1_000_000 ? 4000 : 600;
  return withTwin(baud, variant, async (board) => {
    const sched = { steps, sources: [0, 3, 15], targets: [9, 10], eta: 0.1, examples: task.train.map((e) => ({ in: [...e.in, 0], out: e.out })) };
    // From the first frame to the last: the schedule upload (SCHED, RUN) before it is set-up, not streaming.
    let b0 = board.stats;
    let c0 = process.cpuUsage();
    let t0 = 0;
    await lastValueFrom(
      board.runSchedule(sched, 64).pipe(
        tap((f) => {
          if (f.step === 0) {
            t0 = performance.now();
            b0 = board.stats;
            c0 = process.cpuUsage();
          }
        }),
        toArray(),
      ),
    );
    const s = (performance.now() - t0) / 1000;
    const b1 = board.stats;
    const n = steps - 1;
    const bytesIn = b1.bytesIn - b0.bytesIn;
    const limitS = (bytesIn * 10) / baud;
    return {
      baud,
      mode: 'streamed',
      variant,
      steps: n,
      stepsPerSecond: n / s,
      wireLimitPerSecond: n / limitS,
      ratio: limitS / s,
      bytesPerStep: (bytesIn + b1.bytesOut - b0.bytesOut) / n,
      commandsPerStep: (b1.commands - b0.commands) / n,
      hostCpuUsPerStep: cpuUs(c0) / n,
      ...(variant === 'after' ? { target: targetOf(baud, 'streamed') } : {}),
    };
  });
}

async function wire(baud: number): Promise<WireResult[]> {
  const out: WireResult[] = [];
  for (const mode of ['host-stepped', 'device-stepped'] as const) for (const v of ['before', 'after'] as const) out.push(await stepped(baud, mode, v));
  for (const v of ['before', 'after'] as const) out.push(await streamed(baud, v));
  return out;
}

export async function runProtocolBench(): Promise<ProtocolResults> {
  const before = loadavg()[0];
  const t = await throughput();
  const w = [...(await wire(115200)), ...(await wire(1_000_000))];
  return { load: { before, after: loadavg()[0] }, throughput: t, wire: w };
}

export function printProtocol(r: ProtocolResults): string {
  const a = table(
    ['frames over a pty (twin unpaced)', 'per second', 'host CPU us/frame', 'frames'],
    r.throughput.map((x) => [x.name, x.perSecond.toFixed(0), x.hostCpuUsPerFrame.toFixed(1), String(x.frames)]),
  );
  const b = table(
    ['baud', 'training', 'twin', 'steps', 'commands/step', 'steps/s', 'wire limit steps/s', 'achieved/limit', 'target', 'bytes/step', 'host CPU us/step'],
    r.wire.map((x) => [
      String(x.baud),
      x.mode,
      VARIANTS[x.variant].label,
      String(x.steps),
      x.commandsPerStep.toFixed(2),
      x.stepsPerSecond.toFixed(1),
      x.wireLimitPerSecond.toFixed(1),
      ratio(x.ratio),
      x.target === undefined ? '' : `>= ${x.target} ${x.ratio >= x.target ? 'met' : 'NOT met'}`,
      x.bytesPerStep.toFixed(0),
      x.hostCpuUsPerStep.toFixed(0),
    ]),
  );
  const after = r.wire.filter((x) => x.target !== undefined);
  const verdict = after.map((x) => `${x.mode} ${x.baud} baud ${x.ratio.toFixed(2)} (>= ${x.target}: ${x.ratio >= x.target! ? 'met' : 'NOT met'})`).join('; ');
  return `load average (1 min) ${r.load.before.toFixed(2)} before, ${r.load.after.toFixed(2)} after\n\n${a}\n\n${b}\n\ntargets (issue 18, the 1.4 rows): ${verdict}\n`;
}
