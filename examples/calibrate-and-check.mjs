// Calibrate the built-in twin of the penn-gen1 board against its nominal model (ADC and DAC gains and offsets, every
// edge's conductance law), save the record, then check the board against it with fresh random patterns.
//
//   node examples/calibrate-and-check.mjs [OUT.json]
import { Calibration, calibrateBoard, checkCalibration, connectBoard, writeCalibrationFile } from 'clln';

const out = process.argv[2] ?? 'penn-gen1.calibration.json';
const board = await connectBoard('twin:penn-gen1', { seed: 7 });
try {
  let quarters = 0;
  const fit = await calibrateBoard(board, {
    // the board's law comes from its ID (protocol 1.2); a board that does not report it needs { boardFile }
    onProgress: ({ done, total }) => {
      const q = Math.floor((4 * done) / total);
      if (q > quarters) console.log(`measured ${25 * (quarters = q)} %`);
    },
  });
  console.log(`fit converged: ${fit.converged} after ${fit.iterations} iterations, residual rms ${(fit.residual.rms * 1e3).toFixed(3)} mV`);
  writeCalibrationFile(out, fit.record);
  console.log(`wrote ${out}`);

  const report = await checkCalibration(board, new Calibration(fit.record, out));
  const s = report.summary;
  console.log(`check passed: ${s.ok} (rms residual ${(s.rmsResidual * 1e3).toFixed(3)} mV, max |z| ${s.maxAbsZ.toFixed(2)}, ${s.alarms} alarms)`);
  if (!fit.converged || !s.ok) process.exitCode = 1;
} finally {
  await board.close();
}
