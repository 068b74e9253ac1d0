/**
 * Issue 13 point 4: the Board contract suite (test/device/boardContract.ts) against the real firmware running in its
 * emulator, at both baud rates the firmware is built for. Where the firmware legitimately differs from the twin
 * (keep, sched, drive/clamp sets, ADC resolution, timing) the contract reads it from ID; the firmware README says
 * what differs. Skipped with the reason of the global setup when the system tools are missing.
 */
import { beforeAll, describe, it } from 'vitest';
import { describeBoardContract } from '../device/boardContract.js';
import { assertFirmwareBuilt, firmwareSkipReason } from '../firmwareBuildSetup.js';
import { overEmulator } from './emulatedBoard.js';

const skip = firmwareSkipReason();
if (skip) {
  describe.skip(`Board contract: emulated firmware — skipped: ${skip}`, () => {
    it('needs the firmware tools', () => undefined);
  });
} else {
  beforeAll(() => assertFirmwareBuilt());
  for (const baud of [115200, 1000000]) describeBoardContract(`emulated firmware at ${baud} baud`, overEmulator(baud));
}
