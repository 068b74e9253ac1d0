/**
 * Spring networks at finite temperature (issue 17, point 4): harmonic statistics from the normal modes (dense) or the
 * pinned sparse Cholesky (large networks), T*, and the
 * independent Langevin route on the full nonlinear network. See README.md in this folder.
 */
export {
  type CrossoverReason,
  crossoverOnGrid,
  DENSE_MAX_DOF,
  defaultTemperatures,
  type GridCrossing,
  type HarmonicOptions,
  type HarmonicStrainThermal,
  harmonicStrainThermal,
  logTemperatureGrid,
  type StrainStatistics,
  strainStatisticsAt,
  type ThermalAnalysis,
  type ThermalAnalysisOptions,
  thermalAnalysis,
  type ThermalDirection,
  type ThermalRoute,
} from './harmonicThermal.js';
export { SPARSE_COUPLING_TOLERANCE, type SparseGramOptions, sparseStrainPairGram } from './sparseGram.js';
export { frequencyBound, type LangevinOptions, type LangevinResult, langevinStrainRun } from './langevin.js';
export { DEFAULT_BLOCKS, type SeriesStatistics, seriesStatistics } from './seriesStatistics.js';
export {
  assertUnstressed,
  checkedStrain,
  DEFAULT_ZERO_TOLERANCE,
  type DenseEigenSolver,
  type DenseGramOptions,
  denseStrainPairGram,
  type ModeSummary,
  type NodePair,
  PRESTRESS_TOLERANCE,
  rigidBasis,
  type StrainPairGram,
} from './strainGram.js';
