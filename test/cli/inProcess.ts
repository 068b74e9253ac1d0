/**
 * Running the CLI in-process (`main()` with an Io capturing stdout and stderr), and the shape every error report
 * must have: one paragraph.
 */
import { PassThrough } from 'node:stream';
import { expect } from 'vitest';
import type { Io } from '../../src/cli/Io.js';
import { main } from '../../src/cli/main.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `clln ARGS` in this process. */
export async function clln(...args: string[]): Promise<CliResult> {
  const o = new PassThrough();
  const e = new PassThrough();
  let stdout = '';
  let stderr = '';
  o.on('data', (d: Buffer) => (stdout += d.toString()));
  e.on('data', (d: Buffer) => (stderr += d.toString()));
  const io: Io = { stdout: o, stderr: e as unknown as NodeJS.WriteStream };
  const code = await main(args, io);
  // PassThrough delivers 'data' asynchronously
  await new Promise((r) => setImmediate(r));
  return { code, stdout, stderr };
}

/**
 * Longest error report accepted (characters): `clln COMMAND: ` and what InvalidInputError bounds its parts to (source
 * 160, field 160, problem 800, fix 400, src/errors.ts), about 1550 in all; real messages are a few hundred.
 */
export const MAX_REPORT = 1600;

/**
 * `stderr` is one paragraph: one line ending in a newline, no stack trace, no control character, bounded length.
 * Returns the line without its newline.
 */
export function expectOneParagraph(stderr: string): string {
  expect(stderr.endsWith('\n'), `ends with a newline: ${JSON.stringify(stderr.slice(-200))}`).toBe(true);
  const line = stderr.slice(0, -1);
  expect(line.includes('\n'), `one line: ${JSON.stringify(stderr.slice(0, 400))}`).toBe(false);
  expect(line).not.toMatch(/^\s+at /m);
  expect(line).not.toMatch(/internal error/);
  expect(line, 'no control characters').not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
  expect(line.length, `bounded: ${line.length} characters`).toBeLessThanOrEqual(MAX_REPORT);
  return line;
}
