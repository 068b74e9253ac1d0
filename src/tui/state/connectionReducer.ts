/**
 * The connection panel's slice: where the board is, what it is, the state of the link and its counters.
 *
 * Events it takes (every other event leaves the slice as it is, the same object):
 * - `identity`: the board's identity (from the controller's identify()); a link still `connecting` is `connected`.
 * - `board` events (Board.events):
 *   - `connected`: identity, link `connected`, reason / attempt / retryAt cleared; a connect after a `disconnected`
 *     or `reconnecting` link counts as a reconnect.
 *   - `disconnected`: link `disconnected` with its reason; attempt and retryAt cleared.
 *   - `reconnecting`: link `reconnecting`, attempt, retryAt = at + delayMs (the reason stays the disconnect's).
 *   - `reset-detected`: one more reset; `retry`: one more retry; `link-error` of kind `crc`: one more CRC error
 *     (the event may stand for several rejected lines, so this is a lower bound until the next link-stats).
 *   - `state-restored`: nothing here (the log has it).
 * - `link-stats`: the polled counters. Counters only grow, so each is the larger of the polled value and the one
 *   counted from events (the events are never ahead of the board's own counters, so a poll settles them without the
 *   numbers going back and forth); rttMs is the polled one. Equal numbers leave the slice as it is.
 */
import type { BoardEvent, BoardIdentity } from '../../device/Board.js';
import type { ConnectionState, DashboardEvent, DashboardSetup, LinkStats } from './types.js';

/** Counters all zero, round trip unknown. */
export function emptyLinkStats(): LinkStats {
  return { rttMs: null, retries: 0, crcErrors: 0, resets: 0, reconnects: 0 };
}

/** Before anything is known: link `connecting`, no identity, zero counters. */
export function initialConnection(setup: Pick<DashboardSetup, 'port'>): ConnectionState {
  return { port: setup.port, identity: null, link: 'connecting', reason: null, attempt: null, retryAt: null, stats: emptyLinkStats() };
}

/** The identity fields the panel shows. */
function identityOf(id: BoardIdentity): NonNullable<ConnectionState['identity']> {
  return { model: id.model, firmware: id.firmware, uid: id.uid, protocol: id.protocol, nodes: id.nodes, edges: id.edges.length };
}

function sameIdentity(a: ConnectionState['identity'], b: NonNullable<ConnectionState['identity']>): boolean {
  return (
    a !== null &&
    a.model === b.model &&
    a.firmware === b.firmware &&
    a.uid === b.uid &&
    a.protocol === b.protocol &&
    a.nodes === b.nodes &&
    a.edges === b.edges
  );
}

function sameStats(a: LinkStats, b: LinkStats): boolean {
  return a.rttMs === b.rttMs && a.retries === b.retries && a.crcErrors === b.crcErrors && a.resets === b.resets && a.reconnects === b.reconnects;
}

/** One more of counter `key`. */
function bump(state: ConnectionState, key: Exclude<keyof LinkStats, 'rttMs'>): ConnectionState {
  return { ...state, stats: { ...state.stats, [key]: state.stats[key] + 1 } };
}

function onBoard(state: ConnectionState, e: BoardEvent, at: number): ConnectionState {
  switch (e.type) {
    case 'connected': {
      const identity = identityOf(e.identity);
      const wasDown = state.link === 'disconnected' || state.link === 'reconnecting';
      const stats = wasDown ? { ...state.stats, reconnects: state.stats.reconnects + 1 } : state.stats;
      if (!wasDown && state.link === 'connected' && sameIdentity(state.identity, identity)) return state;
      return {
        ...state,
        identity: sameIdentity(state.identity, identity) ? state.identity : identity,
        link: 'connected',
        reason: null,
        attempt: null,
        retryAt: null,
        stats,
      };
    }
    case 'disconnected':
      return { ...state, link: 'disconnected', reason: e.reason, attempt: null, retryAt: null };
    case 'reconnecting':
      return { ...state, link: 'reconnecting', attempt: e.attempt, retryAt: at + e.delayMs };
    case 'reset-detected':
      return bump(state, 'resets');
    case 'retry':
      return bump(state, 'retries');
    case 'link-error':
      return e.kind === 'crc' ? bump(state, 'crcErrors') : state;
    case 'state-restored':
      return state;
  }
}

/** Pure: see the file comment. Returns `state` itself when the event changes nothing. */
export function connectionReducer(state: ConnectionState, event: DashboardEvent): ConnectionState {
  switch (event.type) {
    case 'identity': {
      const identity = identityOf(event.identity);
      const link = state.link === 'connecting' ? 'connected' : state.link;
      if (link === state.link && sameIdentity(state.identity, identity)) return state;
      return { ...state, identity: sameIdentity(state.identity, identity) ? state.identity : identity, link };
    }
    case 'board':
      return onBoard(state, event.event, event.at);
    case 'link-stats': {
      const p = event.stats;
      const s = state.stats;
      const stats: LinkStats = {
        rttMs: p.rttMs,
        retries: Math.max(s.retries, p.retries),
        crcErrors: Math.max(s.crcErrors, p.crcErrors),
        resets: Math.max(s.resets, p.resets),
        reconnects: Math.max(s.reconnects, p.reconnects),
      };
      return sameStats(s, stats) ? state : { ...state, stats };
    }
    default:
      return state;
  }
}
