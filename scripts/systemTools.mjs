#!/usr/bin/env node
/**
 * The system tools some test suites need (README, "System tools"), checked first by `npm test`.
 *
 * Everything else clln needs comes inside npm packages; these cannot: the AVR toolchain and libsimavr that build the
 * reference firmware and its emulator (test/emulator), ngspice (SPICE cross-checks of the solver), redis-server
 * (the ensemble job queue) and Debian's python3 and python3-pandas (examples/python). When one is missing and this
 * process is root with apt-get, it installs them with one `apt-get install` (and `apt-get update` first only if the
 * install fails without it: a fresh container has no package lists). Otherwise it prints the one command to run and
 * which suites will skip, and exits 0: the rest of `npm test` runs either way. It never fails the test run by
 * itself. CLLN_NO_SYSTEM_INSTALL=1 turns the install off.
 *
 * Run as a script (`node scripts/systemTools.mjs`) or imported (the test of test/emulator checks that the
 * firmware's packages here are those of src/pipeline/serveFirmware.ts's FIRMWARE_INSTALL).
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { realpathSync } from 'node:fs';

/**
 * Each tool: how to tell it is there (a program on PATH or a file), the Debian packages that provide it, and the
 * suites that skip without it.
 */
export const TOOLS = [
  { name: 'avr-gcc', program: 'avr-gcc', packages: ['gcc-avr'], needs: 'firmware' },
  { name: 'avr-libc', file: '/usr/lib/avr/include/avr/io.h', packages: ['avr-libc'], needs: 'firmware' },
  { name: 'avr-objcopy', program: 'avr-objcopy', packages: ['binutils-avr'], needs: 'firmware' },
  { name: 'libsimavr headers', file: '/usr/include/simavr/sim_avr.h', packages: ['libsimavr-dev', 'libsimavrparts1', 'simavr'], needs: 'firmware' },
  { name: 'make', program: 'make', packages: ['make'], needs: 'firmware' },
  { name: 'cc', program: 'cc', packages: ['gcc'], needs: 'firmware' },
  { name: 'ngspice', program: 'ngspice', packages: ['ngspice'], needs: 'spice' },
  { name: 'redis-server', program: 'redis-server', packages: ['redis-server'], needs: 'redis' },
  // Debian's python3 and its pandas run examples/python (test/examples/python.test.ts): the loader must work
  // with the interpreter and pandas a lab machine has, nothing from pip
  { name: 'python3', file: '/usr/bin/python3', packages: ['python3'], needs: 'python' },
  { name: 'python3-pandas', file: '/usr/lib/python3/dist-packages/pandas/__init__.py', packages: ['python3-pandas'], needs: 'python' },
];

/** What skips without each group of tools. */
export const SUITES = {
  firmware: 'the emulated-firmware suites (test/emulator: the C firmware in clln-emu, --board emu)',
  spice: 'the SPICE cross-checks (ngspice)',
  redis: 'the job-queue suites (redis-server)',
  python: 'the Python examples (examples/python, with Debian\'s python3 and python3-pandas)',
};

/** The packages of the firmware group, in the order of FIRMWARE_INSTALL. */
export const FIRMWARE_PACKAGES = TOOLS.filter((t) => t.needs === 'firmware').flatMap((t) => t.packages);

function onPath(program, path = process.env.PATH ?? '') {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, program);
    try {
      if (statSync(p).isFile()) {
        accessSync(p, constants.X_OK);
        return true;
      }
    } catch {
      // not here
    }
  }
  return false;
}

/** The tools of {@link TOOLS} that are missing. */
export function missingTools() {
  return TOOLS.filter((t) => (t.program ? !onPath(t.program) : !existsSync(t.file)));
}

/** The one apt-get command that installs `tools`' packages. */
export function installCommand(tools) {
  const pkgs = [...new Set(tools.flatMap((t) => t.packages))];
  return `apt-get install -y --no-install-recommends ${pkgs.join(' ')}`;
}

function apt(args) {
  const r = spawnSync('apt-get', args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return r.status === 0;
}

function main() {
  const say = (msg) => process.stderr.write(`system tools: ${msg}\n`);
  let missing = missingTools();
  if (missing.length === 0) return;
  const command = installCommand(missing);
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot && onPath('apt-get') && process.env.CLLN_NO_SYSTEM_INSTALL !== '1') {
    say(`installing ${missing.map((t) => t.name).join(', ')}: ${command}`);
    const args = command.split(' ').slice(1);
    // without package lists (a fresh container) the install fails; only then is the slow update worth it
    if (!apt(args)) {
      say('the install failed; updating the package lists and trying once more');
      if (apt(['update'])) apt(args);
    }
    missing = missingTools();
    if (missing.length === 0) {
      say('all installed');
      return;
    }
  }
  const groups = [...new Set(missing.map((t) => t.needs))];
  say(
    `missing ${missing.map((t) => t.name).join(', ')}. Install with:\n\n    ${isRoot ? '' : 'sudo '}${installCommand(missing)}\n\n` +
      `Until then these skip (everything else runs):\n${groups.map((g) => `  - ${SUITES[g]}`).join('\n')}`,
  );
}

function isEntryPoint() {
  try {
    return !!process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  try {
    main();
  } catch (e) {
    // never the reason a test run fails: the suites that need the tools say so themselves
    process.stderr.write(`system tools: could not check or install (${e instanceof Error ? e.message : String(e)}); going on\n`);
  }
  process.exitCode = 0;
}
