/**
 * clln — the public API of the lab controller and digital twin for contrastive local learning networks.
 *
 * - `clln` (this module): the everyday workflow — read networks and tasks, connect a board (`twin`, `pty`,
 *   `serial:PATH`), train on it or in simulation (recorded, resumable), calibrate and check it, read, resume, export
 *   and diagnose run records.
 * - `clln/physics`: networks and their exact simulation, learning rules, generators.
 * - `clln/diagnostics`: physical-Hessian spectra, cost Hessian, mode coupling, localisation, stability.
 * - `clln/device`: the Board seam and its transports.
 * - `clln/twins`: simulated boards that speak the real protocol.
 *
 * Units: volts, siemens, ohms, seconds unless a name says otherwise. Everything not exported from these entry points
 * is internal and may change (deep imports into the package are closed by its `exports` map).
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
export { GradientDescent } from './physics/rules/GradientDescent.js';
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
export { BoardTimeoutError, BoardDisconnectedError, BoardProtocolError, BoardRefusedError, DifferentBoardError } from './errors.js';

// training on a board
export { trainOnBoard, type BoardTrainOptions, type BoardTrainResult, type BoardStepRecord, type UpdateSite } from './pipeline/trainOnBoard.js';
// a board run as the CLI and the dashboard assemble it: checks, calibration, live checker, record, resume
export { openBoardRun, type OpenBoardRunRequest, type NewBoardRunRequest, type BoardRun, type BoardRunFiles } from './pipeline/openBoardRun.js';
export { boardEdgeLaw, knownEdgeLaw, identityWithLaw, type BoardFile } from './pipeline/boardEdgeLaw.js';
export { readBoardFile, parseBoard, BOARD_FORMAT, type BoardModel } from './formats/boardFile.js';
export { imposedNodes } from './physics/Task.js';
export { referenceTask } from './physics/generators/linearTask.js';

// simulated training on the same engine, recorded and resumable
export { openSimulatedRun, resumeSimulatedRun, runSimulated, type SimulatedRun, type SimulatedRunOptions } from './pipeline/simulatedRun.js';
// a run record (board or simulated) as the diagnostics take it
export { diagnoseRun, type DiagnoseRunOptions, type RunDiagnosis } from './pipeline/diagnoseRun.js';

// the training engine, live checks, run records
export { TrainingEngine, type RunSummary, type EngineDeps, type StepChecker, type StepRecorder } from './pipeline/TrainingEngine.js';
export { resolvePlan, type TrainingPlan } from './pipeline/TrainingPlan.js';
export { runControl, type RunState } from './pipeline/runControl.js';
export { BoardStepChecker, type StepCheck } from './pipeline/BoardStepChecker.js';
export { ConsistencyChecker, type CheckResult, type ConsistencyOptions } from './diagnostics/ConsistencyChecker.js';
export { settingsToConductance, type EdgeLaw } from './physics/edgeLaws.js';
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
