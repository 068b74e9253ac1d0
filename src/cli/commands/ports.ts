import { listSerialPorts, type ListOptions } from '../../device/listPorts.js';
import { parse, positionals } from '../args.js';
import type { Io } from '../Io.js';

export const portsHelp = `clln ports [--json]
  List the serial ports a board can be connected to (path, manufacturer, serial number, USB ids).
  Where the system lister is unavailable (containers without udevadm), /dev is scanned instead and a
  warning says so; a port can always be named directly, e.g. --board serial:/dev/ttyACM0.
  --json  one JSON object on stdout: {"lister":"system"|"dev-scan","ports":[{"path":..},..],"warning"?:..}`;

/** `clln ports`: `listOptions` is for tests (a fake lister and /dev). */
export async function ports(argv: string[], io: Io, listOptions?: ListOptions): Promise<number> {
  const p = parse('ports', argv, { json: { type: 'boolean' } });
  positionals(p, 'ports', []);
  const listing = await listSerialPorts(listOptions);
  if (p.values.json === true) {
    io.stdout.write(JSON.stringify(listing) + '\n');
    return 0;
  }
  if (listing.warning) io.stderr.write(`clln ports: ${listing.warning}\n`);
  if (listing.ports.length === 0) {
    io.stdout.write('no serial ports found\n');
    return 0;
  }
  const rows = listing.ports.map((x) => [x.path, x.manufacturer ?? '-', x.serialNumber ?? '-', x.vendorId && x.productId ? `${x.vendorId}:${x.productId}` : '-', x.pnpId ?? '']);
  const head = ['PATH', 'MANUFACTURER', 'SERIAL', 'VID:PID', 'ID'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [head, ...rows]) io.stdout.write(r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd() + '\n');
  return 0;
}
