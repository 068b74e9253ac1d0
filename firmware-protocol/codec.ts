/** The codec both sides of the wire use (PROTOCOL.md). */
export { crc16, crcHex } from './crc16.js';
export { encodeFrame, decodeFrame, MAX_LINE, MAX_BODY, type FrameError, type FrameResult } from './frame.js';
export { LineDecoder, type LinkCounters } from './LineDecoder.js';
export * from './messages.js';
export * from './identity.js';
