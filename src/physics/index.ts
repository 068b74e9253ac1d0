/**
 * `clln/physics`: resistor networks and their exact simulation, pure and synchronous (no I/O).
 *
 * Conventions (docs/design.md): a network has N nodes, E edges e = (a_e, b_e) with conductances k_e in siemens; the
 * edge drop is dV_e = V[b_e] - V[a_e] in volts; the physical Hessian is the weighted Laplacian H = D^T diag(k) D. A
 * task imposes voltages at its sources and ground (the free state) and, while learning, at its targets too (the
 * clamped state). Everything else in this folder is internal and may change.
 */
export type { Network } from './Network.js';
export { edgeCount } from './Network.js';
export { type Example, type Roles, type Task, imposedNodes } from './Task.js';
export { Rng } from './Rng.js';

// the solver and the states
export {
  LaplacianSystem,
  type LaplacianSystemOptions,
  type SolveDiagnostics,
  type SolveMethod,
  type SystemAnalysis,
} from './LaplacianSystem.js';
export { solveCircuit, type CircuitSolution } from './solveCircuit.js';
export { StateSolver } from './StateSolver.js';
export type { CircuitState, StateKind } from './CircuitState.js';
export { edgeDrops, edgeCurrents, nodeCurrentImbalance } from './edgeDrops.js';
export { cost, costGradient, squaredError } from './cost.js';

// nonlinear edges (diodes, transistors, measured tables): the co-content and its Newton solver
export {
  type EdgeElement,
  type ResistorElement,
  type DiodeElement,
  type TransistorElement,
  type TableElement,
  DIODE_TEMPERATURE,
  THERMAL_VOLTAGE,
  type TwoTerminalLaw,
  elementLaw,
  NonlinearSolver,
  type NonlinearSolution,
  type NonlinearSolverOptions,
  solveNonlinearCircuit,
  NonlinearStateSolver,
  exactJacobian,
  nonlinearCostGradient,
  initialParameters,
  isNonlinear,
  withParameters,
  parameterKind,
  type ParameterKind,
} from './nonlinear/index.js';

// learning
export type { LearningRule, RuleName, ContrastStates, ContrastSolver } from './rules/LearningRule.js';
export { type EdgeSignals, linearSignals } from './rules/EdgeSignals.js';
export { CoupledLearning } from './rules/CoupledLearning.js';
export { EquilibriumPropagation } from './rules/EquilibriumPropagation.js';
export { GradientDescent } from './rules/GradientDescent.js';
export { TapRule, geometricTaps, nearestTap } from './rules/TapRule.js';
export { exampleIndex, type ExampleOrder } from './exampleOrder.js';
export { Trainer, resolveTrainOptions, type TrainOptions, type TrainConfig, type TrainResult, type StepRecord } from './Trainer.js';

// generators
export { latticeNetwork, type LatticeOptions } from './generators/lattice.js';
export { randomGraphNetwork, type RandomGraphOptions } from './generators/randomGraph.js';
export { linearTask, type LinearTaskOptions } from './generators/linearTask.js';
export { xorTask, polynomialTask, thresholdAccuracy, type XorTaskOptions, type PolynomialTaskOptions } from './generators/nonlinearTask.js';

// the board laws (one implementation each, used by the host, the calibration and the twin)
export {
  settingsToConductance,
  tapConductance,
  gateConductance,
  gateFloor,
  referenceVoltage,
  DEFAULT_GATE_CUTOFF,
  type EdgeLaw,
  type TapLaw,
  type GateLaw,
} from './edgeLaws.js';

// elastic (spring) networks, issue 17: the network, the strain task, the exact linear response and its gradients
export {
  type SpringNetwork,
  springCount,
  degreesOfFreedom,
  rigidBodyModeCount,
  referenceDistance,
} from './springs/SpringNetwork.js';
export { bondDirections, springExtensions, stiffnessMatrix, denseStiffnessMatrix, strainVector, stiffnessTimes } from './springs/stiffnessMatrix.js';
export { type StrainTask, type StrainDirection, strainDirections } from './springs/StrainTask.js';
export { rigidBodyModes } from './springs/rigidModes.js';
export { analyseZeroModes, type ZeroModeAnalysis } from './springs/zeroModes.js';
export {
  StrainSolver,
  type StrainConstraint,
  type StrainSolverOptions,
  type StrainSolverAnalysis,
  type LinearResponse,
  type ResponseDiagnostics,
  type StrainDirectionStates,
} from './springs/StrainSolver.js';
export { energyGradient, targetStrainGradient, strainCostGradient, type TargetStrainGradient, type StrainCostGradient } from './springs/strainGradient.js';
export {
  SpringTrainer,
  resolveSpringTrainOptions,
  DEFAULT_SPRING_ALPHA,
  DEFAULT_SPRING_BOUNDS,
  type SpringTrainOptions,
  type SpringTrainConfig,
  type SpringStepRecord,
  type SpringTrainResult,
} from './springs/SpringTrainer.js';
export { strainContrast, contrastGradient, SPRING_RULES, type SpringRuleName } from './springs/springRules.js';
