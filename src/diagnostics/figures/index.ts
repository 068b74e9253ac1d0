/**
 * Diagnostic figures (`clln diagnose --svg DIR`): pure functions returning standalone SVG documents.
 */
export { spectrumFigure, spectraFigure, type SpectrumSeries, type SpectrumPanel, type SpectrumFigureOptions } from './spectrumFigure.js';
export { trajectoryFigure, type TrajectorySeries, type TrajectoryFigureOptions } from './trajectoryFigure.js';
export { networkFigure, type NetworkFigureOptions } from './networkFigure.js';
export { svgToPng, PNG_DPI } from './png.js';
