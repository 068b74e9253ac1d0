/**
 * Diagnostic figures (`clln diagnose --svg DIR`): pure functions returning standalone SVG documents.
 */
export { spectrumFigure, type SpectrumSeries, type SpectrumFigureOptions } from './spectrumFigure.js';
export { trajectoryFigure, type TrajectorySeries, type TrajectoryFigureOptions } from './trajectoryFigure.js';
export { networkFigure, type NetworkFigureOptions } from './networkFigure.js';
