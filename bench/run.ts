/**
 * `npm run bench [-- FILTER]`: the solver and training-step benchmarks, then the others. FILTER runs one of them:
 * `protocol` the protocol over a pty, `store` the run store, `simrecord` the cost of recording simulated runs,
 * `firmware` the emulated firmware's throughput, `queue` the ensemble job queue's overhead per member,
 * `ensemble [ROUNDS] [STEPS] [MEMBERS]` the local ensemble pool's members/s with 1 and 2 worker threads (with its
 * plain-thread control), `hessian` the cost Hessian, `stiffalign` the ensemble's stiff-alignment measurements
 * (bench/stiffAlignment.ts; ~15 s), `nonlinear` the nonlinear solver against ngspice and the nonlinear CL step
 * (`nonlinear --no-spice`: without ngspice), `thermal` the thermal analysis of jammed spring networks (sparse vs
 * dense), `springstep` a spring training step, `startup` clln train's spawn to first step, `scipy` the CL step
 * beside SciPy, `kernels` the Cholesky's WebAssembly kernels against its JavaScript ones, `twinrate` the in-process twin's steps/s, `engine`, `dashboard`, `spectrum`, `soak [STEPS]` (not
 * in the default run); any other FILTER
 * selects solver cases by name (e.g. `lattice128`) and skips the rest. Each solver case runs in its own process (for a clean peak
 * memory figure) and is compared with a dense ml-matrix Cholesky baseline measured in the same run where dense is
 * feasible. Prints a table and writes bench/results/solver.json.
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { printHessian, runHessianBench } from './costHessian.js';
import { printEngine, runEngineBench } from './engine.js';
import { printTwinRate, runTwinRateBench } from './twinRate.js';
import { printFirmware, runFirmwareBench } from './firmware.js';
import { printProtocol, runProtocolBench } from './protocol.js';
import { printSpectrum, runSpectrumBench } from './spectrum.js';
import { printDashboard, runDashboardBench } from './dashboard.js';
import { printStore, runStoreBench } from './store.js';
import { printSoak, runSoakBench } from './soak.js';
import { printSimRecord, runSimRecordBench } from './simRecord.js';
import { printNonlinear, runNonlinearBench } from './nonlinear.js';
import { printEnsembleQueue, runEnsembleQueueBench } from './ensembleQueue.js';
import { printEnsemblePool, runEnsemblePoolBench } from './ensemblePool.js';
import { printThermal, runThermalBench } from './thermal.js';
import { printSpringStep, runSpringStepBench } from './springStep.js';
import { printStartup, runStartupBench } from './startup.js';
import { printFactorKernels, runFactorKernelsBench } from './factorKernels.js';
import { printScipyCompare, runScipyCompare } from './scipyCompare.js';
import type { CaseResult } from './solverCase.js';
import { ms, ratio, table } from './timing.js';

const here = dirname(fileURLToPath(import.meta.url));
const cases: [string, number][] = [
  ['lattice', 4],
  ['lattice', 32],
  ['lattice', 128],
  ['lattice', 256],
  ['random', 1024],
  ['random', 16384],
  ['random', 65536],
];
const only = process.argv[2];
// the fault soak takes minutes to hours: only when asked for (`npm run bench -- soak [STEPS]`)
const SOAK = only === 'soak';
// `npm run bench -- startup [RUNS]`: only the start-up benchmark (bench/startup.ts); it also runs in the full run
const STARTUP = only === 'startup';

const results: CaseResult[] = [];
for (const [kind, size] of cases) {
  if (SOAK || STARTUP || (only && !`${kind}${size}`.includes(only))) continue;
  process.stderr.write(`bench: ${kind} ${size} ...\n`);
  const out = execFileSync(process.execPath, ['--max-old-space-size=8192', join(here, 'solverCase.js'), kind, String(size)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  results.push(JSON.parse(out));
}

const outDir = resolve(here, '../../bench/results');
mkdirSync(outDir, { recursive: true });
if (results.length > 0) {
const rows = results.map((r) => [
  r.name,
  String(r.nodes),
  String(r.edges),
  `${r.method}/${r.ordering}`,
  // with CG the Cholesky analysis was abandoned once fill passed a limit: nnz(L) is a lower bound
  r.method === 'cg' ? `>${r.nnzL}` : String(r.nnzL),
  ms(r.analysisMs),
  ms(r.factorMs),
  ms(r.solveMs),
  ms(r.stepMs),
  `${ms(r.stepReuseMs)} (${Number.isFinite(r.reuseFactorsPerStep) ? r.reuseFactorsPerStep.toFixed(2) : '—'}, ${Number.isFinite(r.reuseIterationsPerSolve) ? r.reuseIterationsPerSolve.toFixed(1) : '—'})`,
  ms(r.denseSolveMs),
  ratio(r.denseSolveMs === null ? null : r.denseSolveMs / (r.factorMs + r.solveMs)),
  ms(r.denseStepMs),
  ratio(r.denseStepMs === null ? null : r.denseStepMs / r.stepMs),
  r.peakRssMiB.toFixed(0),
  r.load.toFixed(1),
]);
process.stdout.write(
  '\nSolver and training step (times in ms, medians; dense = ml-matrix Cholesky on the same grounded Laplacian; ' +
    'step reuse = the step with factor reuse, with its factorisations per step and CG iterations per reused solve; load = 1-min load average)\n\n' +
    table(
      ['case', 'N', 'E', 'method', 'nnz(L)', 'analysis', 'factor', 'solve', 'step', 'step reuse (f/step, it/solve)', 'dense f+s', 'dense/sparse', 'dense step', 'dense/sparse', 'peak MiB', 'load'],
      rows,
    ) +
    '\n',
);
const target = results.find((r) => r.name.startsWith('lattice 128x128'));
if (target) {
  const best = Math.min(target.stepMs, target.stepReuseMs);
  process.stdout.write(
    `\ntarget (128x128 lattice with diagonals, 16,384 nodes): training step ${ms(best)} ms (<= 8 ms: ${best <= 8 ? 'met' : 'NOT met'}), ` +
      `every state's relative residual ${target.maxResidual.toExponential(1)} (<= 1e-12: ${target.maxResidual <= 1e-12 ? 'met' : 'NOT met'}), ` +
      `ordering + symbolic ${ms(target.analysisMs)} ms (<= 300 ms, issue 18: ${target.analysisMs <= 300 ? 'met' : 'NOT met'}; ` +
      `of it ordering ${ms(target.orderingMs)}, symbolic ${ms(target.symbolicMs)}; nnz(L) ${target.nnzL}; load ${loadavg().map((x) => x.toFixed(2)).join(' ')})\n`,
  );
}
const target256 = results.find((r) => r.name.startsWith('lattice 256x256'));
if (target256) {
  const best = Math.min(target256.stepMs, target256.stepReuseMs);
  process.stdout.write(
    `target (256x256 lattice with diagonals, 65,536 nodes): training step ${ms(best)} ms (<= 50 ms: ${best <= 50 ? 'met' : 'NOT met'}), ` +
      `every state's relative residual ${target256.maxResidual.toExponential(1)} (<= 1e-12: ${target256.maxResidual <= 1e-12 ? 'met' : 'NOT met'})\n`,
  );
}
writeFileSync(join(outDir, 'solver.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, results }, null, 2) + '\n');
process.stdout.write(`\nwrote ${join(outDir, 'solver.json')}\n`);
}

if (!only || STARTUP) {
  const st = await runStartupBench((s) => process.stderr.write(s + '\n'), STARTUP && process.argv[3] ? Number(process.argv[3]) : 5);
  process.stdout.write('\nStart-up: spawn of clln train to its first step (bench/startup.ts)\n\n' + printStartup(st));
  writeFileSync(join(outDir, 'startup.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, ...st }, null, 2) + '\n');
  process.stdout.write(`wrote ${join(outDir, 'startup.json')}\n`);
}

// The supernodal Cholesky's WebAssembly kernels against its JavaScript ones, interleaved (issue 18, point 1).
if (!only || only === 'kernels') {
  const kr = runFactorKernelsBench(undefined, (s) => process.stderr.write(s + '\n'));
  process.stdout.write('\nCholesky kernels: WebAssembly SIMD vs JavaScript, one process, interleaved (bench/factorKernels.ts; ms wall / CPU, medians)\n\n' + printFactorKernels(kr));
  writeFileSync(join(outDir, 'factorKernels.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, cases: kr }, null, 2) + '\n');
  process.stdout.write(`wrote ${join(outDir, 'factorKernels.json')}\n`);
}

// The CL step beside SciPy's (issue 18, point 5): with the lattice cases it is comparable to, or alone (`scipy`).
const scipyCases = [
  { side: 128, steps: 12 },
  { side: 256, steps: 5 },
].filter(({ side }) => !SOAK && (!only || only === 'scipy' || `lattice${side}`.includes(only)));
if (scipyCases.length > 0) {
  process.stderr.write('bench: CL step beside SciPy ...\n');
  const sr = runScipyCompare(scipyCases);
  process.stdout.write(printScipyCompare(sr));
  writeFileSync(join(outDir, 'scipy.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, ...sr }, null, 2) + '\n');
}

if (!only || only === 'protocol') {
  process.stderr.write('bench: protocol over a pty ...\n');
  const pr = await runProtocolBench();
  process.stdout.write('\nProtocol over a pseudo-terminal (twin in a child process, serial host here)\n\n' + printProtocol(pr));
  writeFileSync(join(outDir, 'protocol.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, ...pr }, null, 2) + '\n');
  process.stdout.write(`wrote ${join(outDir, 'protocol.json')}\n`);
}

if (!only || only === 'store') {
  process.stderr.write('bench: run store durability ...\n');
  const sr = await runStoreBench({ dir: outDir });
  process.stdout.write('\nRun store: cost of durability (5000 events of a 16-node board)\n\n' + printStore(sr));
  writeFileSync(join(outDir, 'store.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, ...sr }, null, 2) + '\n');
  process.stdout.write(`wrote ${join(outDir, 'store.json')}\n`);
}

if (!only || only === 'spectrum') {
  const sp = runSpectrumBench((s) => process.stderr.write(s + '\n'));
  process.stdout.write('\nSpectrum of the physical Hessian (bench/spectrum.ts)\n\n' + printSpectrum(sp));
  writeFileSync(join(outDir, 'spectrum.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, ...sp }, null, 2) + '\n');
  process.stdout.write(`wrote ${join(outDir, 'spectrum.json')}\n`);
}

if (!only || only === 'engine') {
  const er = await runEngineBench((s) => process.stderr.write(s + '\n'));
  process.stdout.write('\nTraining engine overhead per step (in-process ideal twin, host-stepped; medians)\n\n' + printEngine(er));
  writeFileSync(join(outDir, 'engine.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, ...er }, null, 2) + '\n');
  process.stdout.write(`wrote ${join(outDir, 'engine.json')}\n`);
}

// issue 18, point 3: `clln train --board twin` on penn-gen1 with the live check and the record (`npm run bench -- twinrate`)
if (!only || only === 'twinrate') {
  const tr = await runTwinRateBench((s) => process.stderr.write(s + '\n'));
  process.stdout.write('\nIn-process twin training rate (penn-gen1, clln train --board twin)\n\n' + printTwinRate(tr));
  writeFileSync(join(outDir, 'twinRate.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, ...tr }, null, 2) + '\n');
  process.stdout.write(`wrote ${join(outDir, 'twinRate.json')}\n`);
}

if (!only || only === 'hessian') {
  const hr = runHessianBench((s) => process.stderr.write(s + '\n'));
  process.stdout.write('\nCost Hessian (E x E, 40 examples, 2 sources, 2 targets, 1 ground; sparse vs dense ml-matrix baseline)\n\n' + printHessian(hr));
  writeFileSync(join(outDir, 'hessian.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, ...hr }, null, 2) + '\n');
  process.stdout.write(`wrote ${join(outDir, 'hessian.json')}\n`);
}

if (!only || only === 'nonlinear') {
  // `npm run bench -- nonlinear --no-spice`: clln alone (a quick look; the ngspice runs take minutes), results not written
  const spice = !(only === 'nonlinear' && process.argv[3] === '--no-spice');
  const nr = runNonlinearBench((s) => process.stderr.write(s + '\n'), { spice });
  process.stdout.write('\nNonlinear solve on 64x64 lattices against ngspice .op (bench/nonlinear.ts)\n\n' + printNonlinear(nr));
  if (spice) {
    writeFileSync(join(outDir, 'nonlinear.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, ...nr }, null, 2) + '\n');
    process.stdout.write(`wrote ${join(outDir, 'nonlinear.json')}\n`);
  }
}

if (!only || only === 'dashboard') {
  const dr = await runDashboardBench((s) => process.stderr.write(s + '\n'));
  process.stdout.write('\nDashboard under a 1 kHz step stream (bench/dashboard.ts; CPU per wall second)\n\n' + printDashboard(dr));
  writeFileSync(join(outDir, 'dashboard.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, ...dr }, null, 2) + '\n');
  process.stdout.write(`wrote ${join(outDir, 'dashboard.json')}\n`);
}

if (!only || only === 'simrecord') {
  const sr = await runSimRecordBench((s) => process.stderr.write(s + '\n'));
  process.stdout.write('\nRecording a simulated run (bench/simRecord.ts): per step, not recorded vs recorded (clln.sim-steps/1)\n\n' + printSimRecord(sr));
  writeFileSync(join(outDir, 'simrecord.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, ...sr }, null, 2) + '\n');
  process.stdout.write(`wrote ${join(outDir, 'simrecord.json')}\n`);
}

if (!only || only === 'firmware') {
  const fr = await runFirmwareBench((s) => process.stderr.write(s + '\n'));
  process.stdout.write('\nEmulated firmware throughput (bench/firmware.ts): clln-ref16 firmware in clln-emu vs the twin of the same model, both over a pty\n\n' + printFirmware(fr));
  writeFileSync(join(outDir, 'firmware.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, ...fr }, null, 2) + '\n');
  process.stdout.write(`wrote ${join(outDir, 'firmware.json')}\n`);
}

if (!only || only === 'queue') {
  const qr = await runEnsembleQueueBench((s) => process.stderr.write(s + '\n'));
  process.stdout.write('\nEnsemble job queue (bench/ensembleQueue.ts): overhead per member against the local pool, trivial members\n\n' + printEnsembleQueue(qr));
  if (!qr.skipped) {
    writeFileSync(join(outDir, 'ensembleQueue.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, ...qr }, null, 2) + '\n');
    process.stdout.write(`wrote ${join(outDir, 'ensembleQueue.json')}\n`);
  }
}

if (!only || only === 'ensemble') {
  // `npm run bench -- ensemble [ROUNDS] [STEPS] [MEMBERS]`: fewer rounds or steps for a quick look
  const arg = (i: number): number | undefined => (only === 'ensemble' && process.argv[i] !== undefined ? Number(process.argv[i]) : undefined);
  const pr = await runEnsemblePoolBench((s) => process.stderr.write(s + '\n'), { rounds: arg(3), steps: arg(4), members: arg(5) });
  process.stdout.write('\nLocal ensemble pool (bench/ensemblePool.ts): members/s with 1 and 2 worker threads, against runMember in a loop\n\n' + printEnsemblePool(pr));
  writeFileSync(join(outDir, 'ensemblePool.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, ...pr }, null, 2) + '\n');
  process.stdout.write(`wrote ${join(outDir, 'ensemblePool.json')}\n`);
}

if (!only || only === 'stiffalign') {
  // its own process, as the script is run by hand (`node dist/bench/stiffAlignment.js [gn|time]`); ~15 s
  process.stderr.write('bench: stiff alignment (GN vs full Hessian, matrix-free timing) ...\n');
  const text = execFileSync(process.execPath, [join(here, 'stiffAlignment.js'), 'both'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  process.stdout.write('\nStiff cost-mode alignment of ensemble members (bench/stiffAlignment.ts): Gauss-Newton vs full Hessian, matrix-free time on 64x64\n\n' + text);
  writeFileSync(join(outDir, 'stiffAlignment.txt'), `${new Date().toISOString()} node ${process.version}\n${text}`);
  process.stdout.write(`wrote ${join(outDir, 'stiffAlignment.txt')}\n`);
}

if (!only || only === 'thermal') {
  const tr = await runThermalBench((s) => process.stderr.write(s + '\n'));
  process.stdout.write('\nThermal analysis of jammed spring networks (bench/thermal.ts): sparse route vs dense normal modes (ms, medians)\n\n' + printThermal(tr));
  writeFileSync(join(outDir, 'thermal.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, ...tr }, null, 2) + '\n');
  process.stdout.write(`wrote ${join(outDir, 'thermal.json')}\n`);
}

if (!only || only === 'springstep') {
  const sr = await runSpringStepBench((s) => process.stderr.write(s + '\n'));
  process.stdout.write('\nSpring training step on jammed networks (bench/springStep.ts): sparse cl step vs a dense KKT step\n\n' + printSpringStep(sr));
  writeFileSync(join(outDir, 'springStep.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, ...sr }, null, 2) + '\n');
  process.stdout.write(`wrote ${join(outDir, 'springStep.json')}\n`);
}

if (SOAK) {
  const steps = process.argv[3] === undefined ? 20_000 : Number(process.argv[3]);
  const sk = await runSoakBench(steps, (s) => process.stderr.write(s + '\n'));
  process.stdout.write('\nFault soak over a pty (bench/soak.ts): clln train --board pty, clean and faulty, both update modes\n\n' + printSoak(sk));
  writeFileSync(join(outDir, 'soak.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, ...sk }, null, 2) + '\n');
  process.stdout.write(`wrote ${join(outDir, 'soak.json')}\n`);
}
