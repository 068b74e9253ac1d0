/**
 * The package's version, read once from its own package.json, so that `clln --version`, run records and the package
 * manager never disagree (a version written in code drifts from the one npm publishes).
 */
import { packageManifest } from './packageFiles.js';

/** The clln package version (semver string from package.json). */
export const VERSION: string = packageManifest().version;
