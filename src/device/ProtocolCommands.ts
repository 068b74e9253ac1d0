/**
 * The protocol's reading and writing commands as typed calls on one link generation (PROTOCOL.md 1.1): `ID`,
 * `TOPO`, `STAT`, `EGET`, `ESET` split to the line limit. Holds the identity read at the last (re)connect, which
 * every later `ID` must match (same model and uid) and which sizes the replies.
 */
import { formatPairs, MAX_BODY, parseIdentity, parseTopology, type BoardIdentity } from '../../firmware-protocol/codec.js';
import { BoardDisconnectedError, BoardProtocolError, DifferentBoardError } from '../errors.js';
import type { ReconnectingLink } from './ReconnectingLink.js';
import { intField, parseValueList, stringField } from './replyParsers.js';
import type { WirePairs } from './validateBoardValues.js';

/** The board's `STAT` reply (PROTOCOL.md section 7.1): counters since boot and the autonomous run's state. */
export interface DeviceStat {
  boot: number;
  crc: number;
  overlong: number;
  garbage: number;
  /** Duplicates recognised (replayed, or refused as copies of older commands). */
  dup: number;
  /** Frames without a valid SEQ (never answered). */
  badseq: number;
  /** Learning steps performed: STEP commands and autonomous-run steps. */
  steps: number;
  /** State of the present or last autonomous run. */
  run: RunStateOnBoard;
  /** Steps completed by the present or last run (0 with none). */
  runStep: number;
  /** Error code with which the run failed (0 unless `run` is `failed`). */
  runError: number;
}

/** The run states of PROTOCOL.md section 8. */
export type RunStateOnBoard = 'none' | 'running' | 'done' | 'halted' | 'failed';
const RUN_STATES: readonly string[] = ['none', 'running', 'done', 'halted', 'failed'];

/** Reply size estimate of ID (bytes), which scales its timeout. */
const ID_REPLY_BYTES = 320;
/** Reply size estimate of TOPO (bytes). */
const TOPO_REPLY_BYTES = 4096;
/** Characters one number takes at most on the wire, with its separator (bytes). */
export const NUMBER_BYTES = 11;
/** Bodies are kept this far below the protocol limit when a command is split (ESET of many edges). */
const CHUNK_BODY = MAX_BODY - 64;

export class ProtocolCommands {
  private id: BoardIdentity | null = null;

  constructor(
    private readonly link: ReconnectingLink,
    private readonly path: string,
  ) {}

  /** The identity read at the last (re)connect, with the boot counter last seen; throws before the first. */
  get identity(): BoardIdentity {
    if (!this.id) throw new BoardDisconnectedError(`board at ${this.path} was never identified`);
    return this.id;
  }

  set identity(id: BoardIdentity) {
    this.id = id;
  }

  /** True once an identity was read. */
  get identified(): boolean {
    return this.id !== null;
  }

  /** `TOPO`: the board's edge list (needed to parse `ID` on the first connection). */
  async readTopology(gen: number): Promise<[number, number][]> {
    const topo = parseTopology(await this.link.cmd(gen, 'TOPO', [], { reply: TOPO_REPLY_BYTES }));
    if (!topo) throw new BoardProtocolError(0, `${this.path}: TOPO reply is not an edge list`);
    return topo;
  }

  /** `ID`, parsed with `edges`; a different model or uid than the known identity is a {@link DifferentBoardError}. */
  async readId(gen: number, edges: [number, number][]): Promise<BoardIdentity> {
    const payload = await this.link.cmd(gen, 'ID', [], { reply: ID_REPLY_BYTES });
    const id = parseIdentity(payload, edges);
    if (typeof id === 'string') throw new BoardProtocolError(0, `${this.path}: ${id}`);
    const known = this.id;
    if (known && (id.uid !== known.uid || id.model !== known.model)) throw new DifferentBoardError(this.path, known, id);
    return id;
  }

  async readStat(gen: number): Promise<DeviceStat> {
    const payload = await this.link.cmd(gen, 'STAT', []);
    const field = (k: string): number => intField('STAT', payload, k);
    const run = stringField('STAT', payload, 'run', RUN_STATES) as RunStateOnBoard;
    return {
      boot: field('boot'),
      crc: field('crc'),
      overlong: field('overlong'),
      garbage: field('garbage'),
      dup: field('dup'),
      badseq: field('badseq'),
      steps: field('steps'),
      run,
      runStep: field('runstep'),
      runError: field('runerr'),
    };
  }

  /** `EGET`: every edge's setting. */
  async readEdgeSettings(gen: number): Promise<Float64Array> {
    const E = this.identity.edges.length;
    const payload = await this.link.cmd(gen, 'EGET', [], { reply: E * NUMBER_BYTES });
    return parseValueList('EGET', payload, E);
  }

  /** ESET in as many commands as the line limit needs (settings are absolute, so splitting is harmless). */
  async writeEdgePairs(gen: number, pairs: WirePairs): Promise<void> {
    if (pairs.length === 0) return;
    let chunk: WirePairs = [];
    let len = 0;
    for (const p of pairs) {
      const l = formatPairs([p]).length + 1;
      if (chunk.length && len + l > CHUNK_BODY) {
        await this.link.cmd(gen, 'ESET', [formatPairs(chunk)]);
        chunk = [];
        len = 0;
      }
      chunk.push(p);
      len += l;
    }
    await this.link.cmd(gen, 'ESET', [formatPairs(chunk)]);
  }

  /** Device time for `samples` samples of every node at the board's sample rate, with a 50% margin, ms. */
  samplingMs(samples: number): number {
    const id = this.identity;
    return (1.5 * 1000 * samples * id.nodes) / id.maxSampleRate;
  }
}
