/**
 * Protocol benchmark (issue 3): a twin served on a real pseudo-terminal by a child process (`clln twin serve --pty`),
 * driven by the serial host in this process.
 *
 * 1. Throughput with the twin unpaced: round trips per second and host CPU per frame for PING and a 16-node MEAS,
 *    and streamed autonomous-run frames per second.
 * 2. Against the wire: with the twin paced at 115200 baud and at 1 Mbaud (10 bit times per byte), the achieved
 *    step rate as a fraction of the wire-time limit, for host-stepped training (stop-and-wait: every byte in both
 *    directions is on the wire in turn, limit = (bytes out + bytes in) x 10 / baud per step), device-stepped
 *    training (STEP commands, same accounting) and streamed training (frames flow board -> host while grants flow
 *    the other way on the full-duplex line, limit = bytes in x 10 / baud). The twin's own step time is set to 0
 *    (--step-ms 0) so that the wire, not the simulated ADC, is the limit being measured.
 */
import { startPtyTwin } from '../src/device/connectBoard.js';
import { openSerialBoard, type SerialBoard } from '../src/device/SerialBoard.js';
import { referenceTask } from '../src/physics/generators/linearTask.js';
import { trainOnBoard } from '../src/pipeline/trainOnBoard.js';
import { lastValueFrom, tap, toArray } from 'rxjs';
import { ratio, table } from './timing.js';

const task = referenceTask({ test: 0 });

export interface ProtocolResults {
  throughput: { name: string; perSecond: number; hostCpuUsPerFrame: number; frames: number }[];
  wire: { baud: number; mode: string; steps: number; stepsPerSecond: number; wireLimitPerSecond: number; ratio: number; bytesPerStep: number; hostCpuUsPerStep: number }[];
}

async function withTwin<T>(baud: number, fn: (b: SerialBoard) => Promise<T>): Promise<T> {
  const twin = await startPtyTwin('penn-gen1', { ideal: true, twinBaud: baud, twinStepMs: 0 });
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
  return withTwin(0, async (board) => {
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

async function wire(baud: number): Promise<ProtocolResults['wire']> {
  const out: ProtocolResults['wire'] = [];
  const fast = baud >= 1_000_000;
  for (const mode of ['host-stepped', 'device-stepped'] as const) {
    const steps = fast ? 300 : 60;
    out.push(
      await withTwin(baud, async (board) => {
        // Time and bytes between the end of the first step and the end of the last, so that the training-set
        // measurements trainOnBoard makes before and after are not counted.
        let mark: { t: number; bytes: number; cpu: NodeJS.CpuUsage } | undefined;
        let end: { t: number; bytes: number; cpu: number } | undefined;
        const bytesNow = (): number => board.stats.bytesOut + board.stats.bytesIn;
        await trainOnBoard(board, task, {
          update: mode === 'host-stepped' ? 'host' : 'device',
          steps: steps + 1,
          order: 'sequential',
          onStep: (r) => {
            if (r.step === 0) mark = { t: performance.now(), bytes: bytesNow(), cpu: process.cpuUsage() };
            if (r.step === steps) end = { t: performance.now(), bytes: bytesNow(), cpu: cpuUs(mark!.cpu) };
          },
        });
        const s = (end!.t - mark!.t) / 1000;
        const bytes = end!.bytes - mark!.bytes;
        const limitS = (bytes * 10) / baud;
        return { baud, mode, steps, stepsPerSecond: steps / s, wireLimitPerSecond: steps / limitS, ratio: limitS / s, bytesPerStep: bytes / steps, hostCpuUsPerStep: end!.cpu / steps };
      }),
    );
  }
  const steps = fast ? 4000 : 600;
  out.push(
    await withTwin(baud, async (board) => {
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
      return { baud, mode: 'streamed', steps: n, stepsPerSecond: n / s, wireLimitPerSecond: n / limitS, ratio: limitS / s, bytesPerStep: (bytesIn + b1.bytesOut - b0.bytesOut) / n, hostCpuUsPerStep: cpuUs(c0) / n };
    }),
  );
  return out;
}

export async function runProtocolBench(): Promise<ProtocolResults> {
  const t = await throughput();
  const w = [...(await wire(115200)), ...(await wire(1_000_000))];
  return { throughput: t, wire: w };
}

export function printProtocol(r: ProtocolResults): string {
  const a = table(
    ['frames over a pty (twin unpaced)', 'per second', 'host CPU us/frame', 'frames'],
    r.throughput.map((x) => [x.name, x.perSecond.toFixed(0), x.hostCpuUsPerFrame.toFixed(1), String(x.frames)]),
  );
  const b = table(
    ['baud', 'training', 'steps', 'steps/s', 'wire limit steps/s', 'achieved/limit', 'bytes/step', 'host CPU us/step'],
    r.wire.map((x) => [String(x.baud), x.mode, String(x.steps), x.stepsPerSecond.toFixed(1), x.wireLimitPerSecond.toFixed(1), ratio(x.ratio), x.bytesPerStep.toFixed(0), x.hostCpuUsPerStep.toFixed(0)]),
  );
  const streamed = r.wire.filter((x) => x.mode === 'streamed');
  const verdict = streamed.map((x) => `${x.baud} baud ${x.ratio.toFixed(2)} (${x.ratio >= 0.9 ? 'met' : 'NOT met'})`).join(', ');
  return `${a}\n\n${b}\n\ntarget: streamed training >= 0.9 of the wire limit: ${verdict}\n`;
}
