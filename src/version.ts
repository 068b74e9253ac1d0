/**
 * The package's version, read once from its own package.json, so that `clln --version`, run records and the package
 * manager never disagree (a version written in code drifts from the one npm publishes).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findVersion(): string {
  // From src/version.ts (tests) the package root is one folder up; from dist/src/version.js it is two. Walk up to
  // the first package.json named clln rather than hard-coding either depth.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'clln' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // no package.json here (or not ours): look one level up
    }
    dir = dirname(dir);
  }
  throw new Error('clln: cannot find its own package.json to read the version from');
}

/** The clln package version (semver string from package.json). */
export const VERSION: string = findVersion();
