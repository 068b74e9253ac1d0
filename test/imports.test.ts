/**
 * The dependency rules of docs/design.md, checked from the imports of the shipped code (src/, twins/, firmware-protocol/,
 * bench/): static and dynamic imports and require() calls with a literal specifier.
 *
 * - Layers point one way: cli, tui -> pipeline, ensemble -> device, calibration, diagnostics -> physics (never upwards).
 * - physics and diagnostics import nothing with I/O.
 * - twins never imports src/device.
 * - Only src/device and twins import serialport (and its @serialport/* packages).
 * - Only twins imports node-pty (@lydell/node-pty: the pty twin's pseudo-terminal); tests may too.
 * - Test-only packages (@xterm/headless, vitest, ...) are never imported by shipped code.
 * - src/cli imports nothing from twins/.
 * - Only code that starts a twin imports twins/ (TWIN_IMPORTERS below, by name); nothing else in src/ does.
 * - Dependencies tell the truth: every package that src/, twins/ or firmware-protocol/ imports is declared in
 *   `dependencies` (bench/ may also use `devDependencies`), and every declared runtime dependency is imported by
 *   shipped code (a declared package nothing imports is dead weight on every install).
 */
import { builtinModules } from 'node:module';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '..');
const SHIPPED = ['src', 'twins', 'firmware-protocol', 'bench'];

interface Import {
  file: string; // relative to the root, with /
  spec: string;
  /** For a relative import, the imported path relative to the root, with /; else null. */
  target: string | null;
}

function files(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (/\.(ts|tsx)$/.test(e) && !e.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const SPEC = /\b(?:from\s*|import\s*\(\s*|import\s+|require\s*\(\s*)['"]([^'"]+)['"]/g;

function imports(): Import[] {
  const out: Import[] = [];
  for (const top of SHIPPED) {
    for (const f of files(join(ROOT, top))) {
      const text = readFileSync(f, 'utf8');
      const file = relative(ROOT, f).split(sep).join('/');
      for (const m of text.matchAll(SPEC)) {
        const spec = m[1];
        const target = spec.startsWith('.') ? relative(ROOT, resolve(dirname(f), spec)).split(sep).join('/') : null;
        out.push({ file, spec, target });
      }
    }
  }
  return out;
}

const all = imports();

/** The package name of a bare specifier (`@scope/name/sub` -> `@scope/name`). */
function pkg(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

// ensemble sits beside pipeline: it runs physics and diagnostics per member and reads board models through
// pipeline/boardModels (a lattice ensemble and a board ensemble are generated alike); only the CLI is above it
const LAYER: Record<string, number> = { cli: 3, tui: 3, pipeline: 2, ensemble: 2, device: 1, calibration: 1, diagnostics: 1, physics: 0 };

function layerOf(path: string): string | null {
  const m = /^src\/([^/]+)\//.exec(path);
  return m && m[1] in LAYER ? m[1] : null;
}

function violations(pred: (i: Import) => boolean): string[] {
  return all.filter(pred).map((i) => `${i.file} imports ${i.spec}`);
}

/**
 * The files of src/ allowed to import twins/: the code that starts a twin — the in-process twin behind
 * connectBoard('twin:...') and the `clln twin serve` entry — and, until boards report their edge law in ID and
 * clln.board/1 has its reader in src/formats (issue 12, point 2), the one module through which the host reads the
 * shipped board models.
 */
const TWIN_IMPORTERS = ['src/device/InProcessTwinBoard.ts', 'src/pipeline/serveTwin.ts', 'src/pipeline/boardModels.ts'];

/** Whether an import reaches into twins/ (its path relative to the root starts there). */
const intoTwins = (i: Import): boolean => !!i.target && (i.target === 'twins' || i.target.startsWith('twins/'));

describe('dependency rules (docs/design.md)', () => {
  it('finds the imports it checks', () => {
    expect(all.length).toBeGreaterThan(300);
    expect(all.some((i) => i.file === 'twins/PseudoTerminal.ts' && pkg(i.spec) === '@lydell/node-pty')).toBe(true);
  });

  it('layers point one way: cli, tui -> pipeline, ensemble -> device, calibration, diagnostics -> physics', () => {
    expect(
      violations((i) => {
        const from = layerOf(i.file);
        const to = i.target && layerOf(i.target);
        return !!from && !!to && LAYER[to] > LAYER[from];
      }),
    ).toEqual([]);
  });

  it('physics and diagnostics import nothing with I/O', () => {
    const io = /^(node:)?(fs|fs\/promises|child_process|net|http|https|dgram|tty|worker_threads|readline)$/;
    expect(violations((i) => /^src\/(physics|diagnostics)\//.test(i.file) && i.target === null && (io.test(i.spec) || /serialport|node-pty/.test(i.spec)))).toEqual([]);
  });

  it('twins never imports src/device', () => {
    expect(violations((i) => i.file.startsWith('twins/') && !!i.target?.startsWith('src/device/'))).toEqual([]);
  });

  it('only src/device and twins import serialport', () => {
    expect(violations((i) => i.target === null && /^(serialport|@serialport\/)/.test(i.spec) && !/^(src\/device|twins)\//.test(i.file))).toEqual([]);
  });

  it('only twins imports node-pty (the pty twin); tests may', () => {
    expect(violations((i) => i.target === null && /node-pty/.test(pkg(i.spec)) && !i.file.startsWith('twins/'))).toEqual([]);
  });

  it('src/cli imports nothing from twins/', () => {
    expect(violations((i) => i.file.startsWith('src/cli/') && intoTwins(i))).toEqual([]);
  });

  it('only code that starts a twin imports twins/ (the allowed importers, by name)', () => {
    expect(violations((i) => i.file.startsWith('src/') && intoTwins(i) && !TWIN_IMPORTERS.includes(i.file))).toEqual([]);
    // each allowed importer does import twins/ (a name left here after its import went would hide nothing, but says something false)
    for (const f of TWIN_IMPORTERS) expect(all.some((i) => i.file === f && intoTwins(i)), f).toBe(true);
  });

  it('shipped code imports no test-only package', () => {
    const devOnly = Object.keys((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies);
    // type-only packages are erased at build time
    const runtime = devOnly.filter((d) => !d.startsWith('@types/') && d !== 'typescript');
    expect(violations((i) => i.target === null && runtime.includes(pkg(i.spec)) && !i.file.startsWith('bench/'))).toEqual([]);
  });

  describe('dependencies tell the truth (package.json)', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    const runtime = Object.keys(manifest.dependencies);
    const dev = Object.keys(manifest.devDependencies);
    /** Bare package imports (not Node builtins, not relative). A specifier with a space is text in a string, not an import. */
    const bare = all.filter((i) => i.target === null && !/\s/.test(i.spec) && !i.spec.startsWith('node:') && !builtinModules.includes(pkg(i.spec)));

    it('sees the packages it checks', () => {
      const seen = new Set(bare.map((i) => pkg(i.spec)));
      for (const p of ['serialport', '@serialport/stream', 'rxjs', 'ink']) expect(seen.has(p)).toBe(true);
    });

    it('every package shipped code imports is declared (bench may use devDependencies)', () => {
      expect(bare.filter((i) => !runtime.includes(pkg(i.spec)) && !(i.file.startsWith('bench/') && dev.includes(pkg(i.spec)))).map((i) => `${i.file} imports ${i.spec}, which package.json does not declare`)).toEqual([]);
    });

    it('every declared runtime dependency is imported by shipped code', () => {
      const used = new Set(bare.filter((i) => !i.file.startsWith('bench/')).map((i) => pkg(i.spec)));
      expect(runtime.filter((d) => !used.has(d)).map((d) => `${d} is declared in dependencies but nothing in src, twins or firmware-protocol imports it`)).toEqual([]);
    });
  });
});
