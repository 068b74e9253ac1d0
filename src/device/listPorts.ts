/**
 * Serial ports on this machine, for `clln ports` and for choosing `--board serial:PATH`.
 *
 * serialport's lister needs the system's device database; on Linux it runs `udevadm`, which containers usually lack
 * (the call fails with `spawn udevadm ENOENT`). Then, and on any other lister failure, the ports are found by
 * scanning /dev instead (/dev/serial/by-id links, /dev/ttyACM*, /dev/ttyUSB*), with a warning that says so and how
 * to name a port directly.
 */
import { readdir, readlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SerialPort } from 'serialport';

/** One port: its path and what the system lister knows about it (fields absent when unknown). */
export interface ListedPort {
  path: string;
  manufacturer?: string;
  serialNumber?: string;
  vendorId?: string;
  productId?: string;
  /** Stable name, e.g. the /dev/serial/by-id link that points at this port. */
  pnpId?: string;
}

/** The ports and how they were found. */
export interface PortListing {
  ports: ListedPort[];
  /** `system`: serialport's lister; `dev-scan`: the /dev fallback. */
  lister: 'system' | 'dev-scan';
  /** Why the fallback was used, and what to do. */
  warning?: string;
}

/** For tests: the system lister and the /dev folder to scan. */
export interface ListOptions {
  list?: () => Promise<Array<Partial<ListedPort> & { path: string }>>;
  devDir?: string;
}

const HOW_TO_NAME = 'name a port directly, e.g. --board serial:/dev/ttyACM0';

/** The serial ports; never rejects because the system lister is missing. */
export async function listSerialPorts(opts: ListOptions = {}): Promise<PortListing> {
  const list = opts.list ?? (() => SerialPort.list());
  try {
    const ports = await list();
    return { lister: 'system', ports: ports.map(clean).sort((a, b) => a.path.localeCompare(b.path)) };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const noUdev = /udevadm/.test(msg) && /ENOENT/.test(msg);
    const warning = noUdev
      ? `the system port lister is unavailable in this environment (udevadm is not installed, as in most containers: ${msg}); ` +
        `listing /dev/serial/by-id, /dev/ttyACM* and /dev/ttyUSB* instead. If your board is not listed, ${HOW_TO_NAME}`
      : `the system port lister failed (${msg}); listing /dev/serial/by-id, /dev/ttyACM* and /dev/ttyUSB* instead. If your board is not listed, ${HOW_TO_NAME}`;
    return { lister: 'dev-scan', ports: await scanDev(opts.devDir ?? '/dev'), warning };
  }
}

function clean(p: Partial<ListedPort> & { path: string }): ListedPort {
  const out: ListedPort = { path: p.path };
  for (const k of ['manufacturer', 'serialNumber', 'vendorId', 'productId', 'pnpId'] as const) {
    const v = p[k];
    if (typeof v === 'string' && v !== '') out[k] = v;
  }
  return out;
}

/** USB serial devices under `dev`, each with the by-id link that names it when there is one. */
async function scanDev(dev: string): Promise<ListedPort[]> {
  const ports = new Map<string, ListedPort>();
  const names = await readdir(dev).catch(() => [] as string[]);
  for (const n of names) if (/^tty(ACM|USB)\d+$/.test(n)) ports.set(join(dev, n), { path: join(dev, n) });
  const byId = join(dev, 'serial', 'by-id');
  for (const n of await readdir(byId).catch(() => [] as string[])) {
    const link = join(byId, n);
    const target = await readlink(link).then((t) => resolve(byId, t), () => null);
    if (!target) continue;
    const entry = ports.get(target) ?? { path: target };
    entry.pnpId = n;
    ports.set(target, entry);
  }
  return [...ports.values()].sort((a, b) => a.path.localeCompare(b.path));
}
