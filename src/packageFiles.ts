/**
 * Files the package ships beside its code (JSON Schemas, board models, default calibration plans, package.json),
 * found from this module's own location so that the same lookup works from the TypeScript sources (tests), from
 * dist/ in a checkout, and from an installed copy under node_modules.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;
let manifest: { name: 'clln'; version: string } | undefined;

/** The package's own package.json, as read when {@link packageRoot} found it. */
export function packageManifest(): { name: 'clln'; version: string } {
  packageRoot();
  return manifest!;
}

/** The package's root folder: the nearest folder above this file whose package.json is named clln. */
export function packageRoot(): string {
  if (root) return root;
  // src/packageFiles.ts sits one level below the root, dist/src/packageFiles.js two; walk up rather than hard-code.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        const json = JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown; version?: unknown };
        if (json.name === 'clln') {
          manifest = { name: 'clln', version: String(json.version) };
          return (root = dir);
        }
      } catch {
        // unreadable or not JSON: not ours, keep looking
      }
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new Error(`clln: cannot find its own package.json above ${fileURLToPath(import.meta.url)}`);
}

/** A path inside the package, e.g. `packagePath('src', 'formats', 'schemas')`. */
export function packagePath(...parts: string[]): string {
  return join(packageRoot(), ...parts);
}
