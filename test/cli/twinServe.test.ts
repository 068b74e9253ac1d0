/**
 * `clln twin serve --pty` exits cleanly and leaves nothing behind (issue 11, point 5): on SIGTERM and SIGINT with its
 * standard input an open pipe, on a signal that arrives while it is still starting, when its parent dies while it is
 * starting (stdin at end of file, stdout and stderr gone), and — the one case it cannot clean up itself, a kill -9
 * of the twin — at its next start, which removes the stale folder and nothing else.
 *
 * Every twin runs with TMPDIR set to a private folder, so that its `clln-twin-*` folder is the test's to watch.
 * Waits are on events (a READY line, a folder appearing, the child's exit), never on durations.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

const CLI = resolve(__dirname, '../../dist/src/cli/main.js');
const root = mkdtempSync(join(tmpdir(), 'clln-twinserve-test-'));
let n = 0;
const children: ChildProcess[] = [];

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A fresh private TMPDIR. */
function privateTmp(): string {
  const d = join(root, `t${++n}`);
  mkdirSync(d);
  return d;
}

function twinDirs(tmp: string): string[] {
  return readdirSync(tmp).filter((e) => e.startsWith('clln-twin-'));
}

function serve(tmp: string, extra: string[] = []): ChildProcess {
  const child = spawn(process.execPath, [CLI, 'twin', 'serve', '--board', 'penn-gen1', '--pty', ...extra], {
    env: { ...process.env, TMPDIR: tmp },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(child);
  return child;
}

/** The exit code and signal of a child, once it has exited. */
function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
}

/** The path in the READY line. */
function ready(child: ChildProcess): Promise<string> {
  return new Promise((res, rej) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^READY (\S+)$/m.exec(out);
      if (m) res(m[1]);
    });
    child.once('exit', (code, signal) => rej(new Error(`exited (${code ?? signal}) before READY: ${err}`)));
  });
}

/** Resolves as soon as a `clln-twin-*` folder exists in `tmp` (the twin has begun making its pty). */
function twinDirAppears(tmp: string): Promise<void> {
  return new Promise((res) => {
    const w = watch(tmp, () => {
      if (twinDirs(tmp).length > 0) {
        w.close();
        res();
      }
    });
    if (twinDirs(tmp).length > 0) {
      w.close();
      res();
    }
  });
}

describe.skipIf(!existsSync(CLI))('clln twin serve: clean exits, no leftovers', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`stops on ${signal} with stdin an open pipe (--exit-with-parent, as connectBoard starts it): exit 0, nothing left`, async () => {
      const tmp = privateTmp();
      const child = serve(tmp, ['--exit-with-parent']);
      const path = await ready(child);
      expect(existsSync(path)).toBe(true);
      child.kill(signal);
      expect(await exited(child)).toEqual({ code: 0, signal: null });
      expect(existsSync(path)).toBe(false);
      expect(twinDirs(tmp)).toEqual([]);
    });
  }

  it('a SIGINT as soon as it has begun making its pty (before READY, or just after) stops it cleanly: exit 0, nothing left', async () => {
    const tmp = privateTmp();
    const child = serve(tmp);
    await twinDirAppears(tmp);
    child.kill('SIGINT');
    expect(await exited(child)).toEqual({ code: 0, signal: null });
    expect(twinDirs(tmp)).toEqual([]);
  });

  it('its parent dying while it starts (stdin at end of file, stdout and stderr gone) stops it: exit 0, nothing left', async () => {
    const tmp = privateTmp();
    const child = serve(tmp, ['--exit-with-parent']);
    await twinDirAppears(tmp);
    // what a kill -9 of the host does to the twin's standard streams
    child.stdin!.destroy();
    child.stdout!.destroy();
    child.stderr!.destroy();
    expect(await exited(child)).toEqual({ code: 0, signal: null });
    expect(twinDirs(tmp)).toEqual([]);
  });

  it('a twin killed with -9 leaves its folder; the next start removes it, and only stale folders of twins', async () => {
    const tmp = privateTmp();
    const a = serve(tmp);
    const pathA = await ready(a);
    a.kill('SIGKILL');
    await exited(a);
    const [dirA] = twinDirs(tmp);
    expect(lstatSync(pathA).isSymbolicLink()).toBe(true);
    expect(() => statSync(pathA)).toThrow(); // dangling: the pty died with the twin
    // not stale: a live owner (this test process), another name, a folder of an older twin whose link is alive
    const live = join(tmp, `clln-twin-${process.pid}-live01`);
    mkdirSync(live);
    symlinkSync('/dev/pts/nonexistent', join(live, 'tty'));
    const other = join(tmp, 'clln-twin-notes');
    mkdirSync(other);
    writeFileSync(join(other, 'keep'), 'mine');
    const target = join(tmp, 'a-device');
    writeFileSync(target, '');
    const oldLive = join(tmp, 'clln-twin-Ab12Cd');
    mkdirSync(oldLive);
    symlinkSync(target, join(oldLive, 'tty'));
    // stale: a folder of an older twin (before the owner's pid was in the name) with only dangling links
    const oldStale = join(tmp, 'clln-twin-Xy34Zw');
    mkdirSync(oldStale);
    symlinkSync('/dev/pts/nonexistent', join(oldStale, 'tty'));
    symlinkSync('/dev/pts/nonexistent2', join(oldStale, 'dev'));

    const b = serve(tmp);
    const pathB = await ready(b);
    expect(existsSync(join(tmp, dirA))).toBe(false);
    expect(existsSync(oldStale)).toBe(false);
    expect(existsSync(live) && existsSync(other) && existsSync(oldLive)).toBe(true);
    expect(existsSync(pathB)).toBe(true);
    b.kill('SIGTERM');
    expect(await exited(b)).toEqual({ code: 0, signal: null });
    expect(twinDirs(tmp).sort()).toEqual(['clln-twin-Ab12Cd', `clln-twin-${process.pid}-live01`, 'clln-twin-notes'].sort());
  });

  it('a stale twin folder takes its --link path with it (only while the link still points where the twin made it)', async () => {
    const tmp = privateTmp();
    const link = join(tmp, 'board0');
    const a = serve(tmp, ['--link', link]);
    expect(await ready(a)).toBe(link);
    a.kill('SIGKILL');
    await exited(a);
    expect(lstatSync(link).isSymbolicLink()).toBe(true); // left dangling
    const b = serve(tmp, ['--link', link]); // the same path again: free once the stale twin is cleaned up
    expect(await ready(b)).toBe(link);
    expect(statSync(link).isCharacterDevice()).toBe(true);
    b.kill('SIGTERM');
    expect(await exited(b)).toEqual({ code: 0, signal: null });
    expect(existsSync(link)).toBe(false);
    expect(twinDirs(tmp)).toEqual([]);
  });
});
