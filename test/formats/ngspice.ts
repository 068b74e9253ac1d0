/**
 * Running ngspice in batch mode on a netlist and reading the node voltages it prints (`print all` with 17 digits, the
 * `.control` block that writeSpiceNetlist's `printAll` appends). The cross-check tests skip, saying how to install
 * it, when ngspice is not on this machine.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The ngspice program: `CLLN_NGSPICE` (e.g. a build of another version, or a missing path to see the skip), else `ngspice`. */
const NGSPICE = process.env.CLLN_NGSPICE ?? 'ngspice';

/** Whether ngspice runs here. */
export const hasNgspice: boolean = (() => {
  const r = spawnSync(NGSPICE, ['--version'], { encoding: 'utf8' });
  return r.status === 0 && /ngspice/i.test(r.stdout);
})();

/** The message a skipped cross-check gives. */
export const NGSPICE_MISSING = 'ngspice is not installed: the SPICE cross-checks need it (Debian/Ubuntu: apt-get install ngspice)';

const dir = mkdtempSync(join(tmpdir(), 'clln-ngspice-'));
let count = 0;

/**
 * ngspice's printed vectors (`name = value`, names lower case: node `n3`, source currents `v3#branch`).
 * Throws with ngspice's output when it reports an error or prints no values.
 */
export function runNgspice(netlist: string): Map<string, number> {
  const file = join(process.env.CLLN_NGSPICE_KEEP ?? dir, `c${count++}.cir`);
  writeFileSync(file, netlist);
  const out = execFileSync(NGSPICE, ['-b', file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  const values = new Map<string, number>();
  for (const line of out.split('\n')) {
    const m = /^\s*([A-Za-z0-9_#.:()]+)\s+=\s+([-+0-9.eE]+)\s*$/.exec(line);
    if (m) values.set(m[1].toLowerCase(), Number(m[2]));
  }
  // (the model listing ngspice prints after the run holds "<<NAN, error = 7>>" for parameters that do not apply)
  if (values.size === 0 || /^\s*error\b|singular matrix|no convergence|stepping failed|iteration limit|timestep too small/im.test(out)) {
    throw new Error(`ngspice failed on ${file}:\n${out.slice(0, 4000)}`);
  }
  return values;
}

/** Node voltages n0..n<N-1> from {@link runNgspice}'s values. */
export function nodeVoltages(values: Map<string, number>, nodes: number): Float64Array {
  const v = new Float64Array(nodes);
  for (let i = 0; i < nodes; i++) {
    const x = values.get(`n${i}`);
    if (x === undefined) throw new Error(`ngspice printed no voltage for n${i}`);
    v[i] = x;
  }
  return v;
}
