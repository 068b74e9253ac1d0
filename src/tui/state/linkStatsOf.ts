import type { SerialBoardStats } from '../../device/SerialBoard.js';
import type { LinkStats } from './types.js';

/**
 * A serial board's counters as the connection panel shows them: retries are resends after a missing reply, CRC
 * errors the lines the host's decoder rejected for a bad checksum, resets those detected by a changed boot counter
 * (requested ones not counted), reconnects the successful ones; rttMs as the board smooths it (null before the first
 * command answered at the first try).
 */
export function linkStatsOf(s: Pick<SerialBoardStats, 'rttMs' | 'retries' | 'linkErrors' | 'resetsDetected' | 'reconnects'>): LinkStats {
  return { rttMs: s.rttMs, retries: s.retries, crcErrors: s.linkErrors.crc, resets: s.resetsDetected, reconnects: s.reconnects };
}
