import { ErrorCode } from '../firmware-protocol/codec.js';

/**
 * A command the twin board refuses, with the protocol error code the firmware answers with (PROTOCOL.md):
 * 400 malformed (non-integer tap, duplicate index, not a number), 409 not allowed in the present state
 * (e.g. clamping a node that is driven as a source), 416 out of range (node not drivable/clampable, voltage outside
 * the DAC range, tap outside 0..taps-1, gate voltage outside its range, sample count outside 1..1024).
 */
export class TwinError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.name = 'TwinError';
    this.code = code;
  }
}

/** Shorthands for the three codes the board model raises. */
export const badRequest = (msg: string): TwinError => new TwinError(ErrorCode.BadRequest, msg);
export const conflict = (msg: string): TwinError => new TwinError(ErrorCode.Conflict, msg);
export const outOfRange = (msg: string): TwinError => new TwinError(ErrorCode.OutOfRange, msg);
