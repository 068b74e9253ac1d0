/**
 * vitest globalSetup: every test run gets its own temporary folder, removed when the run ends, so that the many
 * `mkdtempSync(join(tmpdir(), 'clln-...'))` folders the suites make (run records, twin ptys, scratch files) do not
 * pile up in /tmp across runs. Test workers and the CLIs they spawn inherit TMPDIR, which os.tmpdir() reads.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'clln-test-run-'));
  const before = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  return () => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    rmSync(dir, { recursive: true, force: true });
  };
}
