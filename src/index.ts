/**
 * clln — the public API. Everything not exported here is internal and may change.
 */
export { CllnError, InvalidInputError, IoError, NumericalError } from './errors.js';

// physics: networks, solver, states, rules, training
export type { Network } from './physics/Network.js';
export type { Example, Roles, Task } from './physics/Task.js';
export { Rng } from './physics/Rng.js';
export {
  LaplacianSystem,
  type LaplacianSystemOptions,
  type SolveDiagnostics,
  type SolveMethod,
  type SystemAnalysis,
} from './physics/LaplacianSystem.js';
export { StateSolver } from './physics/StateSolver.js';
export type { CircuitState, StateKind } from './physics/CircuitState.js';
export { solveCircuit, type CircuitSolution } from './physics/solveCircuit.js';
export { edgeDrops, edgeCurrents, nodeCurrentImbalance } from './physics/edgeDrops.js';
export { cost, costGradient, squaredError } from './physics/cost.js';
export type { LearningRule, RuleName, ContrastStates } from './physics/rules/LearningRule.js';
export { CoupledLearning } from './physics/rules/CoupledLearning.js';
export { EquilibriumPropagation } from './physics/rules/EquilibriumPropagation.js';
export { TapRule, geometricTaps } from './physics/rules/TapRule.js';
export { exampleIndex, type ExampleOrder } from './physics/exampleOrder.js';
export {
  Trainer,
  resolveTrainOptions,
  type TrainOptions,
  type TrainConfig,
  type TrainResult,
  type StepRecord,
} from './physics/Trainer.js';

// generators
export { latticeNetwork } from './physics/generators/lattice.js';
export { randomGraphNetwork } from './physics/generators/randomGraph.js';
export { linearTask } from './physics/generators/linearTask.js';

// file formats
export { parseNetwork, readNetworkFile, writeNetworkFile, networkToJson } from './formats/networkFile.js';
export { parseTask, readTaskFile, writeTaskFile, taskToJson } from './formats/taskFile.js';
export { findFloatingNodes } from './formats/connectivity.js';
export * as limits from './formats/limits.js';

// boards: the Board seam, the serial host, the in-process twin, connecting by spec
export type {
  Board,
  BoardIdentity,
  BoardEvent,
  CallOptions,
  DeviceStepResult,
  RunFrame,
  Schedule,
} from './device/Board.js';
export { SerialBoard, openSerialBoard, type SerialBoardOptions, type SerialBoardStats } from './device/SerialBoard.js';
export { InProcessTwinBoard } from './device/InProcessTwinBoard.js';
export { connectBoard, parseBoardSpec, type ConnectOptions } from './device/connectBoard.js';
export { listSerialPorts } from './device/listPorts.js';
export { BoardTimeoutError, BoardDisconnectedError, BoardProtocolError } from './errors.js';

// training on a board
export { trainOnBoard, type BoardTrainOptions, type BoardTrainResult, type UpdateSite } from './pipeline/trainOnBoard.js';

// the training engine, live checks, run records
export { TrainingEngine, type RunSummary, type EngineDeps, type StepChecker, type StepRecorder } from './pipeline/TrainingEngine.js';
export { resolvePlan, type TrainingPlan } from './pipeline/TrainingPlan.js';
export { runControl, type RunState } from './pipeline/runControl.js';
export { BoardStepChecker, type StepCheck } from './pipeline/BoardStepChecker.js';
export { ConsistencyChecker, type CheckResult, type ConsistencyOptions } from './diagnostics/ConsistencyChecker.js';
export { settingsToConductance } from './physics/edgeLaws.js';
export { RunWriter } from './store/RunWriter.js';
export { RunRecorder, trainingStart } from './pipeline/runRecord.js';
export { StepRecordLayout, STEP_LAYOUT, type StepLayoutOptions } from './pipeline/StepRecordLayout.js';
export { eventProblems, descriptorProblems } from './store/eventProblems.js';

// calibration: plans, records, the fit, a loaded calibration, acquiring and checking on a board
export type {
  CalibrationPlan,
  CalibrationRecord,
  CalibrationData,
  ExpandedPlan,
  IdentifiabilityReport,
  VoltageReference,
  ConductanceReference,
} from './calibration/types.js';
export { parsePlan, readPlanFile, expandPlan, defaultPlan, generatePatterns } from './calibration/planFile.js';
export { parseCalibrationRecord, readCalibrationFile, writeCalibrationFile } from './calibration/recordFile.js';
export { checkCalibrationPlausible, PLAUSIBLE } from './calibration/plausibility.js';
export { fitCalibration, type FitInput, type CalibrationFit } from './calibration/fitCalibration.js';
export { Calibration, type CalibrationSummary } from './calibration/Calibration.js';
export { levenbergMarquardt, type LeastSquaresProblem, type LmResult } from './calibration/levenbergMarquardt.js';
export { calibrateBoard, type CalibrateOptions } from './pipeline/calibrateBoard.js';
export { acquireCalibration } from './pipeline/acquireCalibration.js';
export { checkCalibration, type CalibrationCheckReport } from './pipeline/checkCalibration.js';
export { readRun } from './store/readRun.js';
export { listRuns } from './store/listRuns.js';
export { exportCsv } from './store/exportCsv.js';
export { exportParquet } from './store/parquet/exportParquet.js';
