/**
 * The built CLI (`dist/src/cli/main.js`) run as a child process, for the emulator suites: `--board emu` starts the
 * emulator from the built CLI, and a `kill -9` needs a real process, so these tests cannot call `main()` in-process
 * (test/cli/inProcess.ts does that for the rest).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join, resolve } from 'node:path';

export const CLI = join(resolve(__dirname, '../..'), 'dist/src/cli/main.js');

/**
 * Runs `clln ARGS` to its end: its exit code, stdout and stderr. The child is pushed on `children` first, so the
 * caller's afterEach can kill it if the test fails before it ends.
 */
export async function runBuiltCli(
  args: string[],
  children: ChildProcess[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, out, err };
}
