/**
 * What the host knows the board holds: the sources, clamps and edge settings the board acknowledged, and nothing
 * else (a call that rejected is never recorded). After a reconnect, a detected reset or a timeout (a command may
 * have taken effect without its reply arriving) the record is put back on the board, so that the board again holds
 * exactly what was acknowledged.
 */
import { formatPairs } from '../../firmware-protocol/codec.js';
import type { ProtocolCommands } from './ProtocolCommands.js';
import type { ReconnectingLink } from './ReconnectingLink.js';

export class HostRecord {
  /** Driven nodes and their voltages (V). */
  sources = new Map<number, number>();
  /** Clamped nodes and their voltages (V). */
  clamps = new Map<number, number>();
  /** Every edge's setting (tap or gate volts); null when unknown (after a requested reset, until read back). */
  edges: Float64Array | null = null;

  /** The board holds no sources and no clamps (it released them, or rebooted). */
  releaseChannels(): void {
    this.sources = new Map();
    this.clamps = new Map();
  }

  /** The board lost everything (it rebooted on request): nothing is known until read back. */
  forget(): void {
    this.releaseChannels();
    this.edges = null;
  }

  /**
   * Put the record back on the board on connection `gen`: every edge (or read them when unknown), then the
   * channels ({@link applyChannels}). The caller confirms the boot counter afterwards.
   */
  async putBack(link: ReconnectingLink, commands: ProtocolCommands, gen: number): Promise<void> {
    const edges = this.edges;
    const E = commands.identity.edges.length;
    if (edges) await commands.writeEdgePairs(gen, Array.from({ length: E }, (_, e) => [e, edges[e]] as [number, number]));
    else this.edges = await commands.readEdgeSettings(gen);
    await this.applyChannels(link, gen);
  }

  /**
   * Clamps released, then the recorded sources, then the recorded clamps: in that order, so that no node is ever
   * driven and clamped at once.
   */
  async applyChannels(link: ReconnectingLink, gen: number): Promise<void> {
    await link.cmd(gen, 'CLAMP', ['-']);
    await link.cmd(gen, 'SRC', [formatPairs(this.sources)]);
    if (this.clamps.size) await link.cmd(gen, 'CLAMP', [formatPairs(this.clamps)]);
  }
}
