export * from './EdgeElement.js';
export * from './TwoTerminalLaw.js';
export { DiodeLaw, JUNCTION_ARG_MAX } from './diode.js';
export { TableLaw } from './tableLaw.js';
export { TransistorLaw } from './transistorLaw.js';
export { elementLaw } from './elementLaw.js';
export { convexLineSearch, type LineFunction } from './lineSearch.js';
export { NonlinearSolver, type NonlinearSolution, type NonlinearSolverOptions } from './NonlinearSolver.js';
export { solveNonlinearCircuit } from './solveNonlinearCircuit.js';
