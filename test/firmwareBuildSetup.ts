/**
 * vitest globalSetup: build the reference firmware (both baud rates) and its emulator once, before any suite, so that
 * test files running in parallel do not each build them (they would all find the cache cold at the same moment).
 *
 * The builds go to the cache of src/pipeline/serveFirmware.ts (`$CLLN_BUILD_DIR`, else the user's cache folder:
 * kept across runs, rebuilt only when the sources change); the folder is exported as CLLN_BUILD_DIR, which the test
 * workers and the CLIs they spawn inherit. When the system tools are missing, nothing is built and
 * CLLN_FIRMWARE_SKIP carries the reason (the missing tools and the install command): the emulator suites skip with
 * it. A build that fails for another reason (the firmware does not compile) sets CLLN_FIRMWARE_BUILD_ERROR: the
 * emulator suites fail with it, since a firmware that does not build is a defect, not a missing tool.
 */
import { buildFirmware, FIRMWARE_BAUDS, FIRMWARE_INSTALL, firmwareBuildDir, missingFirmwareTools } from '../src/pipeline/serveFirmware.js';

/** Set (to the reason) when the firmware cannot be built here for lack of system tools. */
export const FIRMWARE_SKIP_ENV = 'CLLN_FIRMWARE_SKIP';
/** Set (to make's message) when the build failed although the tools are there. */
export const FIRMWARE_BUILD_ERROR_ENV = 'CLLN_FIRMWARE_BUILD_ERROR';

/** Why the emulator suites skip here, or undefined when the firmware was built (for `describe.skipIf`). */
export function firmwareSkipReason(): string | undefined {
  return process.env[FIRMWARE_SKIP_ENV] || undefined;
}

/** Throws the build's error, if the global setup's build failed (call in beforeAll of an emulator suite). */
export function assertFirmwareBuilt(): void {
  const err = process.env[FIRMWARE_BUILD_ERROR_ENV];
  if (err) throw new Error(`the firmware or the emulator did not build in the global setup: ${err}`);
}

export default async function setup(): Promise<void> {
  const dir = firmwareBuildDir();
  process.env.CLLN_BUILD_DIR = dir;
  delete process.env[FIRMWARE_SKIP_ENV];
  delete process.env[FIRMWARE_BUILD_ERROR_ENV];
  const missing = missingFirmwareTools();
  if (missing.length > 0) {
    process.env[FIRMWARE_SKIP_ENV] = `needs ${missing.join(', ')}: install with sudo ${FIRMWARE_INSTALL}`;
    return;
  }
  try {
    // one after the other: the machine's cores are the test workers' (and the emulator build does not depend on baud)
    for (const baud of FIRMWARE_BAUDS) await buildFirmware({ baud, buildDir: dir });
  } catch (e) {
    process.env[FIRMWARE_BUILD_ERROR_ENV] = e instanceof Error ? e.message : String(e);
  }
}
