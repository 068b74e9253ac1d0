/**
 * `clln/diagnostics`: what a network learned, from its physical Hessian (the weighted Laplacian H) and its cost
 * Hessian, plus the live consistency check of board measurements against the simulated Laplacian. Pure: no I/O.
 *
 * Typical use after training: `physicalSpectrum(result.network, { task })` for the eigenvalues (siemens) and
 * eigenvectors of the free state's H_FF, `costHessian(network, task)` for d2C/dk2, `modeCoupling` for how the two
 * line up, `diagnoseNetwork(network, task)` for all of it in one report. Everything else in this folder is internal.
 */
export {
  physicalSpectrum,
  laplacianMatvec,
  type PhysicalSpectrum,
  type SpectrumNetwork,
  type SpectrumOptions,
} from './physicalSpectrum.js';
export { symmetricEigen } from './symmetricEigen.js';
export { lanczos, type LanczosOptions, type LanczosResult } from './lanczos.js';
export { costHessian, type CostHessianOptions, type CostHessianResult } from './costHessian.js';
export { modeCoupling, type CouplingOptions, type CouplingResult } from './modeCoupling.js';
export { localiseModes, type LocalisationOptions, type LocalisedBasis } from './localisedModes.js';
export { binariseModes, boundaryFrequency, type ModeRegions, type BoundaryFrequency } from './modeRegions.js';
export { gradientFidelity, type FidelityRule, type FidelityResult } from './gradientFidelity.js';
export { nonlinearHessian, nonlinearTargetJacobian, nonlinearCostHessian, type NonlinearHessian, type NonlinearCostHessian } from './nonlinearDiagnostics.js';
export { ruleStability, type RuleStep, type RuleStabilityResult } from './ruleStability.js';
export { stepStability, type LearningStep, type StabilityVerdict } from './stepStability.js';
export { learningStability, type StabilityResult } from './learningStability.js';
export { spectrumEvolution, type ConductanceSnapshot, type SpectrumEvolution, type EvolutionOptions } from './spectrumEvolution.js';
export { diagnoseNetwork, type DiagnoseOptions, type DiagnosisReport } from './diagnoseNetwork.js';
export {
  kindSpectrum,
  kindSoftModes,
  kindCoupling,
  resistorKind,
  springKind,
  type NetworkKind,
  type KindHessian,
  type KindCost,
  type KindUnits,
} from './NetworkKind.js';
export { operatorSpectrum, type HessianOperator } from './physicalSpectrum.js';
export { springCostHessian, springFidelity, springContrastGradient } from './springCost.js';
export { diagnoseSprings, type SpringDiagnosisReport, type SpringDiagnoseOptions } from './diagnoseSprings.js';
export { ConsistencyChecker, type CheckResult, type ConsistencyOptions } from './ConsistencyChecker.js';
export { localiseFault, type FaultHypothesis } from './localiseFault.js';
export { spectrumFigure, trajectoryFigure, networkFigure } from './figures/index.js';
export { springCriticalRates, type SpringCriticalRates } from './springCost.js';
