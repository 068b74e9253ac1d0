/** `listSerialPorts` and `clln ports`: the system lister, and the /dev fallback where it is unavailable. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ports } from '../../src/cli/commands/ports.js';
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/Io.js';
import { listSerialPorts, type ListOptions } from '../../src/device/listPorts.js';

const udevMissing = (): Promise<never> => Promise.reject(Object.assign(new Error('spawn udevadm ENOENT'), { code: 'ENOENT' }));

function capture(): { io: Io; out: () => string; err: () => string } {
  const o = new PassThrough();
  const e = new PassThrough();
  let out = '';
  let err = '';
  o.on('data', (d: Buffer) => (out += d.toString()));
  e.on('data', (d: Buffer) => (err += d.toString()));
  return { io: { stdout: o, stderr: e as unknown as NodeJS.WriteStream }, out: () => out, err: () => err };
}

describe('listSerialPorts', () => {
  let dev: string;
  beforeEach(() => {
    dev = mkdtempSync(join(tmpdir(), 'clln-dev-'));
    for (const n of ['ttyACM0', 'ttyUSB1', 'ttyS0', 'null']) writeFileSync(join(dev, n), '');
    mkdirSync(join(dev, 'serial', 'by-id'), { recursive: true });
    symlinkSync('../../ttyACM0', join(dev, 'serial', 'by-id', 'usb-Penn_CLLN_gen1_5e1f0001-if00'));
  });
  afterEach(() => rmSync(dev, { recursive: true, force: true }));

  it('uses the system lister when it works', async () => {
    const listing = await listSerialPorts({
      list: async () => [
        { path: '/dev/ttyUSB0', manufacturer: 'FTDI', vendorId: '0403', productId: '6001', serialNumber: '' },
        { path: '/dev/ttyACM0', manufacturer: 'Penn' },
      ],
    });
    expect(listing).toEqual({
      lister: 'system',
      ports: [
        { path: '/dev/ttyACM0', manufacturer: 'Penn' },
        { path: '/dev/ttyUSB0', manufacturer: 'FTDI', vendorId: '0403', productId: '6001' },
      ],
    });
  });

  it('turns "spawn udevadm ENOENT" into a clear warning and scans /dev instead', async () => {
    const listing = await listSerialPorts({ list: udevMissing, devDir: dev });
    expect(listing.lister).toBe('dev-scan');
    expect(listing.warning).toMatch(/system port lister is unavailable in this environment/);
    expect(listing.warning).toMatch(/udevadm/);
    expect(listing.warning).toMatch(/--board serial:\/dev\/ttyACM0/);
    expect(listing.ports).toEqual([
      { path: join(dev, 'ttyACM0'), pnpId: 'usb-Penn_CLLN_gen1_5e1f0001-if00' },
      { path: join(dev, 'ttyUSB1') },
    ]);
  });

  it('falls back on any other lister failure too, naming it', async () => {
    const listing = await listSerialPorts({ list: () => Promise.reject(new Error('permission denied')), devDir: join(dev, 'nope') });
    expect(listing).toMatchObject({ lister: 'dev-scan', ports: [] });
    expect(listing.warning).toMatch(/failed \(permission denied\)/);
  });

  it('never rejects on this machine', async () => {
    const listing = await listSerialPorts();
    expect(['system', 'dev-scan']).toContain(listing.lister);
    if (listing.lister === 'dev-scan') expect(listing.warning).toMatch(/serial:/);
  });
});

describe('clln ports', () => {
  const opts: ListOptions = { list: udevMissing, devDir: '/nonexistent-dev' };

  it('--json prints one object with the lister, the ports and the warning', async () => {
    const c = capture();
    expect(await ports(['--json'], c.io, { list: async () => [{ path: '/dev/ttyACM0', manufacturer: 'Penn' }] })).toBe(0);
    expect(JSON.parse(c.out())).toEqual({ lister: 'system', ports: [{ path: '/dev/ttyACM0', manufacturer: 'Penn' }] });
    expect(c.err()).toBe('');
  });

  it('prints a table, and the warning on stderr when the system lister is unavailable', async () => {
    const c = capture();
    expect(await ports([], c.io, { list: async () => [{ path: '/dev/ttyACM0', manufacturer: 'Penn', vendorId: '1209', productId: 'c11e' }] })).toBe(0);
    expect(c.out()).toMatch(/^PATH\s+MANUFACTURER\s+SERIAL\s+VID:PID/);
    expect(c.out()).toMatch(/\/dev\/ttyACM0\s+Penn\s+-\s+1209:c11e/);
    const d = capture();
    expect(await ports([], d.io, opts)).toBe(0);
    expect(d.out()).toBe('no serial ports found\n');
    expect(d.err()).toMatch(/^clln ports: the system port lister is unavailable.*--board serial:\/dev\/ttyACM0/);
  });

  it('is registered in the CLI and rejects stray arguments with exit code 2', async () => {
    const c = capture();
    expect(await main(['help', 'ports'], c.io)).toBe(0);
    expect(c.out()).toMatch(/clln ports \[--json\]/);
    const d = capture();
    expect(await main(['ports', 'extra'], d.io)).toBe(2);
    const e = capture();
    expect(await main(['ports', '--json'], e.io)).toBe(0);
    expect(JSON.parse(e.out())).toHaveProperty('ports');
  });
});
