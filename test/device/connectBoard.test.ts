/** Board specs (`--board`), serial option checks, and the in-process twin matching the wire bit for bit. */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { connectBoard, parseBoardSpec } from '../../src/device/connectBoard.js';
import { InProcessTwinBoard } from '../../src/device/InProcessTwinBoard.js';
import { openSerialBoard } from '../../src/device/SerialBoard.js';
import { resolveSerialOptions } from '../../src/device/serialOptions.js';
import { InvalidInputError } from '../../src/errors.js';
import { TwinBinding } from '../../twins/TwinBinding.js';
import { bindingBoard } from './harness.js';

describe('board specs', () => {
  it('parses twin, pty and serial specs', () => {
    expect(parseBoardSpec('twin')).toEqual({ kind: 'twin', model: 'penn-gen1' });
    expect(parseBoardSpec('twin:penn-gen2')).toEqual({ kind: 'twin', model: 'penn-gen2' });
    expect(parseBoardSpec('pty')).toEqual({ kind: 'pty', model: 'penn-gen1' });
    expect(parseBoardSpec('serial:/dev/ttyACM0')).toEqual({ kind: 'serial', path: '/dev/ttyACM0' });
  });

  it('rejects bad specs with InvalidInputError naming the rule', () => {
    for (const bad of ['', 'usb', '/dev/ttyACM0', 'serial', 'serial:', 'twin:bad name', 'TWIN']) {
      expect(() => parseBoardSpec(bad), bad).toThrow(InvalidInputError);
    }
    expect(() => parseBoardSpec('usb')).toThrow(/twin\[:MODEL\], pty\[:MODEL\] or serial:PATH/);
    expect(() => parseBoardSpec('serial:')).toThrow(/serial:PATH/);
  });

  it('connects to the in-process twin of either model', async () => {
    const b = await connectBoard('twin:penn-gen2', { ideal: true });
    const id = await b.identify();
    expect(id.model).toBe('penn-gen2');
    expect(id.edge.kind).toBe('gate');
    await b.close();
    await expect(connectBoard('twin:no-such-board')).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('a serial spec whose port does not exist fails with a message naming the path', async () => {
    await expect(connectBoard('serial:/dev/clln-no-such-port')).rejects.toThrow(/\/dev\/clln-no-such-port/);
  });

  const built = existsSync(new URL('../../dist/src/cli/commands/twin.js', import.meta.url));
  it.skipIf(!built)('pty spawns the twin CLI on a pty and connects through the serial host (needs npm run build)', async () => {
    const b = await connectBoard('pty:penn-gen1', { ideal: true });
    try {
      const id = await b.identify();
      expect(id.model).toBe('penn-gen1');
      await b.setSources(new Map([[0, 2]]));
      expect((await b.measure())[0]).toBeCloseTo(2, 2);
    } finally {
      await b.close();
    }
  });
});

describe('serial options', () => {
  it('defaults every option', () => {
    const o = resolveSerialOptions('/dev/ttyACM0');
    expect(o).toMatchObject({ baudRate: 115200, timeoutMs: null, baseTimeoutMs: 200, retries: 3, backoff: { baseMs: 20, maxMs: 500 }, watchPathMs: 500, confirmReads: true });
    expect(o.reconnect).toEqual({ attempts: 10, limitMs: 30_000, backoff: { baseMs: 100, maxMs: 2000 } });
    expect(resolveSerialOptions('/dev/x', { binding: new TwinBinding() }).watchPathMs).toBe(0);
  });

  it('rejects bad options with InvalidInputError naming the option', () => {
    const cases: [object, RegExp][] = [
      [{ retries: -1 }, /retries/],
      [{ retries: 1.5 }, /retries/],
      [{ baudRate: 0 }, /baudRate/],
      [{ timeoutMs: 0 }, /timeoutMs/],
      [{ backoff: { baseMs: 100, maxMs: 10 } }, /backoff.maxMs/],
      [{ reconnect: { attempts: -2 } }, /reconnect.attempts/],
      [{ initialSeq: 0 }, /initialSeq/],
      [{ timout: 5 }, /unknown option/],
      [{ binding: 42 }, /binding/],
    ];
    for (const [opts, re] of cases) {
      expect(() => resolveSerialOptions('/dev/ttyACM0', opts as never), JSON.stringify(opts)).toThrow(InvalidInputError);
      expect(() => resolveSerialOptions('/dev/ttyACM0', opts as never)).toThrow(re);
    }
    expect(() => resolveSerialOptions('', {})).toThrow(/path/);
  });

  it('openSerialBoard refuses bad options before touching any port', async () => {
    await expect(openSerialBoard('/dev/ttyACM0', { retries: -1 })).rejects.toBeInstanceOf(InvalidInputError);
  });
});

describe('in-process twin and the wire agree bit for bit (ideal twin)', () => {
  for (const model of ['penn-gen1', 'penn-gen2']) {
    it(model, async () => {
      const wire = await bindingBoard({ model });
      const local = InProcessTwinBoard.create({ model, ideal: true });
      try {
        const id = await local.identify();
        const wid = await wire.board.identify();
        // the same board; over the wire its firmware speaks 1.4, which changed no ID field (PROTOCOL.md 7.2)
        expect(wid.protocol).toBe('1.4');
        expect({ ...wid, bootCount: 0, protocol: id.protocol }).toEqual({ ...id, bootCount: 0 });
        const gate = id.edge.kind === 'gate';
        const script = async (b: typeof local | typeof wire.board): Promise<unknown[]> => {
          const out: unknown[] = [];
          await b.setSources(new Map([[0, gate ? 0.8123457 : 3.3333333], [15, 0]]));
          await b.writeEdges(new Map([[3, gate ? 4.1234567 : 17]]));
          out.push(Array.from(await b.measure(7)));
          for (let i = 0; i < 3; i++) {
            const r = await b.deviceStep(new Map([[5, gate ? 0.3 : 1.7]]), 0.3333333, gate ? 3.14159 : undefined);
            out.push(Array.from(r.freeTargets), r.changed);
          }
          out.push(Array.from(await b.readEdges()));
          return out;
        };
        expect(await script(wire.board)).toEqual(await script(local));
      } finally {
        await local.close();
        await wire.cleanup();
      }
    });
  }
});
