// Train the built-in twin of the 16-node potentiometer board (penn-gen1) by coupled learning, then print the
// lowest eigenvalues of the physical Hessian of what it learned.
//
//   node examples/train-on-twin.mjs [STEPS]
import { connectBoard, referenceTask, trainOnBoard } from 'clln';
import { physicalSpectrum } from 'clln/diagnostics';

const steps = Number(process.argv[2] ?? 300);
const board = await connectBoard('twin:penn-gen1', { seed: 1 });
try {
  // sources 0 and 3, targets 9 and 10, ground 15: V_T1 = 0.15 V_S1 + 0.3 V_S2, V_T2 = 0.2 V_S1 + 0.1 V_S2
  const task = referenceTask();
  const run = await trainOnBoard(board, task, { steps, eta: 0.5 });
  console.log(`trained ${run.steps} steps on ${run.network.name}: train MSE ${run.initialTrainMse.toExponential(2)} -> ${run.trainMse.toExponential(2)} V^2`);

  // The free state's physical Hessian H_FF: the task's sources and ground are imposed.
  const spectrum = physicalSpectrum(run.network, { task, which: 'lowest', k: 5 });
  console.log(`lowest eigenvalues of H_FF (S): ${Array.from(spectrum.values, (v) => v.toExponential(3)).join(', ')}`);
  console.log(`converged ${spectrum.converged}, relative residual ${spectrum.residual.toExponential(1)}`);
} finally {
  await board.close();
}
