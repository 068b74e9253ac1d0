/** The Board contract suite against every implementation (see boardContract.ts). */
import { describe, it } from 'vitest';
import { describeBoardContract } from './boardContract.js';
import { inProcess, overBinding, overPty, realBoard } from './harness.js';

describeBoardContract('in-process twin (penn-gen1)', inProcess('penn-gen1'));
describeBoardContract('in-process twin (penn-gen2, gate edges)', inProcess('penn-gen2'));
describeBoardContract('twin over the twin binding (penn-gen1)', overBinding('penn-gen1'));
describeBoardContract('twin over the twin binding (penn-gen2, gate edges)', overBinding('penn-gen2'));

describeBoardContract('twin over a real pty', overPty('penn-gen1'));

const port = process.env.CLLN_BOARD_PORT;
if (port) {
  // a real board is noisy and has DAC errors: allow 2 % of the range
  describeBoardContract(`real board on ${port}`, realBoard(port), { voltTol: (id) => 0.02 * (id.dac.hi - id.dac.lo) });
} else {
  describe.skip('Board contract: real board — skipped: set CLLN_BOARD_PORT=/dev/ttyACM0 (the board\'s serial port; see `clln ports`) to run it', () => {
    it('needs CLLN_BOARD_PORT', () => undefined);
  });
}
