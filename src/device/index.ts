/**
 * `clln/device`: the Board seam and its transports. A {@link Board} is what the host drives: identify, apply sources
 * and clamps, measure, read and write edge settings, one on-device learning step, an uploaded schedule streamed back
 * with flow control, reset. Its doc comment (Board.ts) states the contract on timeout, cancel, disconnect and device
 * reset; the serial host ({@link SerialBoard}: PROTOCOL.md over any serial port, reconnecting, never applying a
 * command twice) and the in-process twin ({@link InProcessTwinBoard}) both implement it, and one contract suite runs
 * against both. {@link connectBoard} opens one from a spec: `twin[:MODEL]`, `pty[:MODEL]`, `emu[:MODEL]` or `serial:PATH`.
 * Everything else in this folder is internal.
 */
export type {
  Board,
  BoardIdentity,
  BoardEvent,
  CallOptions,
  DeviceStepResult,
  RunFrame,
  Schedule,
} from './Board.js';
export { SerialBoard, openSerialBoard, type SerialBoardOptions, type SerialBoardStats } from './SerialBoard.js';
export { InProcessTwinBoard, type InProcessTwinOptions } from './InProcessTwinBoard.js';
export { connectBoard, parseBoardSpec, boardLinkStats, type ConnectOptions } from './connectBoard.js';
export { listSerialPorts } from './listPorts.js';
export {
  BoardTimeoutError,
  BoardDisconnectedError,
  BoardProtocolError,
  BoardRefusedError,
  DifferentBoardError,
} from '../errors.js';
