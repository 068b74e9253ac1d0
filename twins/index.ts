/**
 * `clln/twins`: simulated boards that speak the real protocol, for work without hardware (and CI). A twin is a board
 * model (`clln.board/1`: topology, edge law, converters; shipped: penn-gen1 tap board, penn-gen2 gate board) with
 * seeded non-idealities (tolerances, noise, drift on simulated time, converter errors) behind the firmware's protocol
 * handler. Serve it on a pseudo-terminal or a serial device for any host (`clln twin serve`), or bind it to a
 * serialport binding of its own ({@link TwinBinding}) in the same process. Everything else in this folder is internal.
 */
export { loadBoardModel, listBoardModels, type BoardModel } from './BoardModel.js';
export { boardNetwork } from './boardNetwork.js';
export { TwinBoardCore, type TwinOptions, type TwinStats, type EdgeFault } from './TwinBoardCore.js';
export { TwinFirmware } from './TwinFirmware.js';
export { parseFaults, serveSerialPort, type FaultSpec, type TwinServerOptions, type TwinServerStats, type ServedTwin } from './TwinServer.js';
export { servePty, type PtyOptions, type ServedPty } from './servePty.js';
export { TwinBinding, type BoundTwin, type TwinOpenOptions } from './TwinBinding.js';
