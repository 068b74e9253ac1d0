/**
 * The simulated board's physics and state, without any protocol: what a board's analog front end and
 * microcontroller would do for each command. Synchronous and deterministic given the seed and the calls made: the
 * twin keeps its own simulated time (advanced by what it does: settling and sampling for every measurement, the
 * update of every learning step, and idle time a test asks for) and never reads the wall clock, so the same calls
 * give the same readings whichever transport carries them and however loaded the machine is.
 *
 * Physics: node voltages by the Laplacian system with imposed = driven ∪ clamped nodes (docs/design.md); nodes in a
 * component without an imposed node read 0 V. Tap edges are linear resistors; gate edges follow the Ohmic law
 * k = s (V_G - V_T - (V_a + V_b)/2) (floored at a tiny cut-off conductance): each a transistor element of the network
 * solved by the host's nonlinear solver (src/physics/nonlinear/NonlinearSolver.ts; Kirchhoff's residual within 1e-11 of
 * the largest edge current, which on the shipped boards is a few 1e-11 V).
 *
 * Non-idealities (all seeded, all off with `ideal` except ADC quantisation, DAC resolution and tap granularity):
 * ADC noise per sample, ADC and DAC per-channel gain and offset errors, per-edge tolerance, slow drift of every edge's
 * conductance (multiplicative random walk in the simulated time).
 */
import { type BoardIdentity, cycleClamp, PROTOCOL_VERSION, type StepLimits, wireLaw, wireNumber } from '../firmware-protocol/codec.js';
import { gateConductance, gateEdgeElement, gateFloor, tapConductance } from '../src/physics/edgeLaws.js';
import { edgeContrast, gateStep, tapStep } from '../src/physics/edgeSteps.js';
import { LaplacianSystem } from '../src/physics/LaplacianSystem.js';
import { elementLaw } from '../src/physics/nonlinear/elementLaw.js';
import { NonlinearSolver } from '../src/physics/nonlinear/NonlinearSolver.js';
import { Rng } from '../src/physics/Rng.js';
import { ZigguratNormal } from '../src/physics/ZigguratNormal.js';
import { Float64Slab } from '../src/Float64Slab.js';
import { type BoardModel, parseBoard, STEP_LIMIT_DEFAULTS } from '../src/formats/boardFile.js';
import { badRequest, conflict, outOfRange } from './TwinError.js';

/** Options of {@link TwinBoardCore}. */
export interface TwinOptions {
  /** Seed of every random choice (tolerances, DAC errors, noise, drift). Default 0. */
  seed?: number;
  /**
   * No noise, no drift, no tolerance, no DAC/ADC gain-offset errors. ADC quantisation, DAC resolution and tap
   * granularity stay, so an in-process run and a run over the wire are bit-identical. Default false.
   */
  ideal?: boolean;
  /**
   * Protocol version the twin speaks (PROTOCOL.md section 10): `1.3` (default) reports the nominal edge law and
   * `keep=` in `ID`; `1.2` reports the law but not `keep=` (and keeps 256 frames, whatever the model says); `1.1`
   * reports neither, as a board with older firmware, for testing how a host copes without them.
   */
  protocol?: '1.1' | '1.2' | '1.3';
}

/** Counters since the last boot (for `STAT`). */
export interface TwinStats {
  /** Learning steps performed (STEP commands and autonomous-run steps). */
  steps: number;
  /** Measurements taken (MEAS, and the two inside every step). */
  measurements: number;
}

/** Samples per measurement inside a learning step. */
export const STEP_SAMPLES = 16;
/**
 * Simulated time (ms) the analog front end is given to settle before every measurement. Fixed, whether or not
 * anything changed, so that simulated time depends only on the measurements made: a host that sends extra
 * idempotent commands (the serial host's SRC/CLAMP on connect) sees the same drift as one that does not.
 */
export const SETTLE_MS = 1;
/** Simulated time (ms) a learning step spends updating its edges, after its two measurements. */
export const STEP_UPDATE_MS = 0.1;
/** Default samples per MEAS. */
export const DEFAULT_SAMPLES = 16;
/** Largest sample count per MEAS. */
export const MAX_SAMPLES = 1024;
/** Twin-only fault knob: an open edge keeps this fraction of the conductance it would have (see injectEdgeFault). */
export const OPEN_EDGE_FRACTION = 1e-9;
/** Twin-only fault knob: a shorted edge is a fixed 1 ohm path (siemens), whatever its setting (see injectEdgeFault). */
export const SHORT_EDGE_CONDUCTANCE = 1;

/** A hard fault of one edge (twin-only). */
export type EdgeFault = 'open' | 'short';

export class TwinBoardCore {
  readonly model: BoardModel;
  /** Protocol version this twin speaks (`ID` and the boot banner). */
  readonly protocol: string;
  /** Boot counter (non-volatile): 1 after construction, +1 per reboot. */
  bootCount = 1;
  /** Counters since the last boot. */
  readonly stats: TwinStats = { steps: 0, measurements: 0 };

  private readonly ideal: boolean;
  /** Simulated time since power-up of the twin (ms); survives reboots (the physics keeps drifting). */
  private simMs = 0;
  private readonly n: number;
  private readonly edgeA: Int32Array;
  private readonly edgeB: Int32Array;
  private readonly drivable: Uint8Array;
  private readonly clampable: Uint8Array;
  /** Commanded drive / clamp voltages (after wire rounding and DAC resolution). */
  private sources = new Map<number, number>();
  private clamps = new Map<number, number>();
  /** Edge settings: tap index or gate voltage. */
  private settings: Float64Array;
  /** Per-edge multiplicative factor on the conductance (tolerance x drift; drift only for a linear taper). */
  private readonly factor: Float64Array;
  /** Linear taper only: per-edge factor on the pot's resistance RAB (its tolerance); null otherwise. */
  private readonly span: Float64Array | null;
  private readonly driveGain: Float64Array;
  private readonly driveOffset: Float64Array;
  private readonly clampGain: Float64Array;
  private readonly clampOffset: Float64Array;
  /** ADC channel errors (manufacturing): reading = adcGain V + adcOffsetHw before quantisation. */
  private readonly adcGain: Float64Array;
  private readonly adcOffsetHw: Float64Array;
  /** ADC noise and drift: the fast normal draws (ziggurat), a stream each. */
  private readonly noiseRng: ZigguratNormal;
  private readonly driftRng: ZigguratNormal;
  /** Scratch: one measurement's noise draws (nodes x samples). */
  private noise = new Float64Array(0);
  private lastDriftMs: number;
  private readonly systems = new Map<string, LaplacianSystem>();
  /** Gate boards: the nonlinear solver of each set of imposed nodes (its ordering and analysis are kept). */
  private readonly gateSolvers = new Map<string, NonlinearSolver>();
  /** Physical node voltages of the present state, or null when something changed. */
  private cached: Float64Array | null = null;
  private readonly components: Int32Array;
  /** Twin-only faults: per edge 0 = none, 1 = open, 2 = short; per node an ADC offset (V). */
  private readonly edgeFault: Uint8Array;
  private readonly adcOffset: Float64Array;

  constructor(model: BoardModel, opts: TwinOptions = {}) {
    this.model = parseBoard(model, `board model ${JSON.stringify(model?.name ?? '?')}`);
    const m = this.model;
    this.ideal = opts.ideal ?? false;
    this.protocol = opts.protocol ?? PROTOCOL_VERSION;
    if (this.protocol !== '1.1' && this.protocol !== '1.2' && this.protocol !== '1.3') throw new RangeError(`TwinBoardCore: protocol must be '1.1', '1.2' or '1.3', got ${String(this.protocol)}`);
    const seed = opts.seed ?? 0;
    this.n = m.nodes;
    const E = m.edges.length;
    this.edgeA = Int32Array.from(m.edges, (e) => e[0]);
    this.edgeB = Int32Array.from(m.edges, (e) => e[1]);
    this.drivable = new Uint8Array(this.n);
    for (const i of m.drivable) this.drivable[i] = 1;
    this.clampable = new Uint8Array(this.n);
    for (const i of m.clampable) this.clampable[i] = 1;
    this.settings = new Float64Array(E).fill(m.edge.powerOn);

    // Fixed manufacturing errors, from their own stream so that noise and drift do not shift them.
    const hw = new Rng(seed);
    const tol = this.ideal ? 0 : m.edge.tolerance;
    this.factor = new Float64Array(E);
    for (let e = 0; e < E; e++) this.factor[e] = Math.max(0.05, 1 + tol * hw.normal());
    // A linear taper's tolerance is that of its pot (an AD5206's RAB, +-20 % rms between parts), not of the whole
    // edge: the series resistor and the wiper stay as they are. The pot's part of R(t) is RAB (taps - t) / taps
    // (HARDWARE.md: R(t) = RS + RW + RAB (256 - t)/256), so the same draw scales RAB, i.e. rMax - rMin and, by
    // RAB/taps, rMin itself; the conductance factor starts at 1 (drift only). Each edge has its own RMIN and RMAX.
    const em = m.edge;
    this.span = null;
    if (em.kind === 'tap' && em.taper === 'linear') {
      this.span = Float64Array.from(this.factor);
      this.factor.fill(1);
    }
    const g = this.ideal ? 0 : m.dac.gainSpread;
    const o = this.ideal ? 0 : m.dac.offsetSpread;
    this.driveGain = Float64Array.from({ length: this.n }, () => 1 + g * hw.normal());
    this.driveOffset = Float64Array.from({ length: this.n }, () => o * hw.normal());
    this.clampGain = Float64Array.from({ length: this.n }, () => 1 + g * hw.normal());
    this.clampOffset = Float64Array.from({ length: this.n }, () => o * hw.normal());
    // Drawn after the DAC errors, so that adding ADC errors to a model leaves every other seeded value as it was.
    const ag = this.ideal ? 0 : (m.adc.gainSpread ?? 0);
    const ao = this.ideal ? 0 : (m.adc.offsetSpread ?? 0);
    this.adcGain = Float64Array.from({ length: this.n }, () => (ag === 0 ? 1 : Math.max(0.5, 1 + ag * hw.normal())));
    this.adcOffsetHw = Float64Array.from({ length: this.n }, () => (ao === 0 ? 0 : ao * hw.normal()));
    this.noiseRng = new ZigguratNormal(seed * 7919 + 104729);
    this.driftRng = new ZigguratNormal(seed * 3571 + 15485863);
    this.lastDriftMs = 0;

    // Connected components of the board graph (every edge conducts a little, even a cut-off transistor).
    const parent = Int32Array.from({ length: this.n }, (_, i) => i);
    const find = (i: number): number => {
      while (parent[i] !== i) i = parent[i] = parent[parent[i]];
      return i;
    };
    for (let e = 0; e < E; e++) parent[find(this.edgeA[e])] = find(this.edgeB[e]);
    this.components = Int32Array.from({ length: this.n }, (_, i) => find(i));
    this.edgeFault = new Uint8Array(E);
    this.adcOffset = new Float64Array(this.n);
  }

  /** Simulated time since the twin was made (ms): what drift is driven by. Reboots do not reset it. */
  get simulatedMs(): number {
    return this.simMs;
  }

  /**
   * Let `ms` of simulated time pass with the board idle (twin-only: a real board's time passes by itself). The edges
   * drift over it, seen at the next measurement. For tests of drift and of checks against an aged calibration.
   */
  advanceTime(ms: number): void {
    if (!(Number.isFinite(ms) && ms >= 0)) throw new RangeError(`advanceTime: ms must be a finite number >= 0, got ${ms}`);
    this.simMs += ms;
  }

  /** What the board says in `ID` and `TOPO`. */
  identity(): BoardIdentity {
    const m = this.model;
    const id: BoardIdentity = {
      protocol: this.protocol,
      firmware: m.firmware,
      model: m.name,
      uid: m.uid,
      bootCount: this.bootCount,
      nodes: m.nodes,
      edges: m.edges.map(([a, b]) => [a, b] as [number, number]),
      drivable: [...m.drivable],
      clampable: [...m.clampable],
      adc: { bits: m.adc.bits, lo: m.adc.lo, hi: m.adc.hi },
      dac: { lo: m.dac.lo, hi: m.dac.hi },
      edge: m.edge.kind === 'tap' ? { kind: 'tap', taps: m.edge.taps } : { kind: 'gate', lo: m.edge.lo, hi: m.edge.hi },
      maxSampleRate: m.maxSampleRate,
      limits: this.limits(),
    };
    // the nominal law (protocol 1.2 `law=`), as the wire carries it, so that in-process and serial hosts see one value
    if (this.protocol !== '1.1') {
      const e = m.edge;
      id.law = wireLaw(e.kind === 'gate' ? { kind: 'gate', s: e.s, vt: e.vt } : e.taper === 'linear' ? { kind: 'tap', rMin: e.rMin, rMax: e.rMax, taper: 'linear' } : { kind: 'tap', rMin: e.rMin, rMax: e.rMax });
    }
    return id;
  }

  /** What `step` and schedules accept (the model's `step` block with its defaults), as `ID` reports it. */
  limits(): StepLimits {
    const m = this.model;
    const st = m.step ?? {};
    const eta = st.eta ?? STEP_LIMIT_DEFAULTS.eta;
    const out: StepLimits = { eta: { lo: eta[0], hi: eta[1] }, maxExamples: st.maxExamples ?? STEP_LIMIT_DEFAULTS.maxExamples };
    // keep= from protocol 1.3 on; a board speaking 1.1 or 1.2 keeps 256 frames (1.2's "at least 256", frameKeep),
    // whatever its model file says, as such a board's ID cannot say otherwise
    if (this.protocol !== '1.1' && this.protocol !== '1.2') out.keep = st.keep ?? STEP_LIMIT_DEFAULTS.keep;
    if (m.edge.kind === 'gate') {
      const amp = st.amp ?? STEP_LIMIT_DEFAULTS.amp;
      out.amp = { lo: amp[0], hi: amp[1] };
      out.gateStep = st.maxGateStep ?? m.edge.hi - m.edge.lo;
    }
    return out;
  }

  /** Drive exactly these nodes (node, volts); every other drive channel released. Atomic: all checked first. */
  setSources(pairs: readonly (readonly [number, number])[]): void {
    this.sources = this.checkChannels(pairs, 'drive', this.drivable, this.clamps);
    this.cached = null;
  }

  /** Clamp exactly these nodes (node, volts); every other clamp released. Atomic: all checked first. */
  setClamps(pairs: readonly (readonly [number, number])[]): void {
    this.clamps = this.checkChannels(pairs, 'clamp', this.clampable, this.sources);
    this.cached = null;
  }

  /** Presently driven nodes and their commanded voltages. */
  activeSources(): Map<number, number> {
    return new Map(this.sources);
  }

  /** Presently clamped nodes and their commanded voltages. */
  activeClamps(): Map<number, number> {
    return new Map(this.clamps);
  }

  /**
   * Node voltages (V), each the mean of `samples` ADC samples (noise added before quantisation), rounded to 1e-6 V
   * so that the value survives the wire's 6-decimal format exactly.
   */
  measure(samples: number = DEFAULT_SAMPLES): Float64Array {
    if (!Number.isInteger(samples)) throw badRequest(`sample count must be an integer, got ${samples}`);
    if (samples < 1 || samples > MAX_SAMPLES) throw outOfRange(`sample count must be in 1..${MAX_SAMPLES}, got ${samples}`);
    // settle, then sample every node `samples` times at the ADC's rate (one multiplexed converter); the readings
    // are those of the state at the end of the sampling
    this.simMs += SETTLE_MS + (1000 * samples * this.n) / this.model.maxSampleRate;
    const v = this.physicalVoltages();
    const { bits, lo, hi, noise } = this.model.adc;
    const top = 2 ** bits - 1;
    const lsb = (hi - lo) / top;
    const sigma = this.ideal ? 0 : noise;
    const out = slab.take(this.n);
    // every sample's noise at once (node by node, sample by sample), each sample quantised on its own
    let z = this.noise;
    if (sigma !== 0) {
      if (z.length < this.n * samples) z = this.noise = new Float64Array(this.n * samples);
      this.noiseRng.fill(z, this.n * samples);
    }
    for (let i = 0, t = 0; i < this.n; i++) {
      let sum = 0;
      const x = this.adcGain[i] * v[i] + this.adcOffsetHw[i] + this.adcOffset[i];
      if (sigma === 0) {
        sum = samples * adcCode(x, lo, lsb, top);
      } else {
        for (let s = 0; s < samples; s++) sum += adcCode(x + sigma * z[t++], lo, lsb, top);
      }
      out[i] = wire6(lo + (sum / samples) * lsb);
    }
    this.stats.measurements++;
    return out;
  }

  /** Every edge's setting: tap index or gate voltage (V). */
  edgeSettings(): Float64Array {
    return slab.copy(this.settings);
  }

  /**
   * Set the listed edges (edge, setting), absolute. Atomic: all checked first, spelling problems (400: a tap that is
   * not an integer, an edge twice) before range problems (416), as PROTOCOL.md section 5 orders them.
   */
  setEdges(pairs: readonly (readonly [number, number])[]): void {
    const E = this.settings.length;
    const em = this.model.edge;
    const seen = new Set<number>();
    for (const [e, s] of pairs) {
      if (!Number.isInteger(e) && Number.isFinite(e)) throw badRequest(`edge index must be an integer, got ${e}`);
      if (seen.has(e)) throw badRequest(`edge ${e} listed twice`);
      seen.add(e);
      if (Number.isNaN(s)) throw badRequest(`edge ${e}: setting must be a number, got ${s}`);
      if (em.kind === 'tap' && !Number.isInteger(s) && Number.isFinite(s)) throw badRequest(`edge ${e}: tap must be an integer, got ${s}`);
    }
    const next: [number, number][] = [];
    for (const [e, s] of pairs) {
      if (!(e >= 0 && e < E)) throw outOfRange(`edge ${e} does not exist (edges 0..${E - 1})`);
      if (em.kind === 'tap') {
        if (!(s >= 0 && s < em.taps)) throw outOfRange(`edge ${e}: tap ${s} outside 0..${em.taps - 1}`);
        next.push([e, s]);
      } else {
        const w = Number.isFinite(s) ? wire6(s) : s;
        if (!(w >= em.lo && w <= em.hi)) throw outOfRange(`edge ${e}: gate voltage ${s} V outside ${em.lo}..${em.hi} V`);
        next.push([e, w]);
      }
    }
    for (const [e, s] of next) this.settings[e] = s;
    this.cached = null;
  }

  /**
   * One coupled-learning step with the present sources (PROTOCOL.md `STEP`): release any clamps, measure the free
   * state, clamp each target at V_F + eta (V* - V_F) (through the DAC), measure, update every edge, release the
   * clamps. Tap edges move one tap by sign((dV_F)^2 - (dV_C)^2) (clipped to the tap range); gate edges move by
   * amp times that difference, limited to +-maxGateStep and then to the gate range (1 uV resolution). Measurements
   * use 16 samples. `eta` (and on gate boards `amp`) must lie within {@link limits} (416); tap boards ignore `amp`.
   */
  step(targets: readonly (readonly [number, number])[], eta: number, amp = 1): { freeTargets: Float64Array; changed: number } {
    const lim = this.limits();
    if (Number.isNaN(eta)) throw badRequest(`eta must be a number, got ${eta}`);
    if (!(eta >= lim.eta.lo && eta <= lim.eta.hi)) throw outOfRange(`eta must be in [${lim.eta.lo}, ${lim.eta.hi}], got ${eta}`);
    if (lim.amp) {
      if (Number.isNaN(amp)) throw badRequest(`amp must be a number, got ${amp}`);
      if (!(amp >= lim.amp.lo && amp <= lim.amp.hi)) throw outOfRange(`amp must be in [${lim.amp.lo}, ${lim.amp.hi}] V/V^2, got ${amp}`);
    }
    // check the targets as clamps (atomic), before touching anything
    this.checkChannels(targets, 'clamp', this.clampable, this.sources);
    this.clamps = new Map();
    this.cached = null;
    const vf = this.measure(STEP_SAMPLES);
    const { lo, hi } = this.model.dac;
    const clampPairs = targets.map(([node, desired]) => {
      const c = vf[node] + eta * (desired - vf[node]);
      return [node, Math.min(hi, Math.max(lo, c))] as [number, number];
    });
    this.setClamps(clampPairs);
    const vc = this.measure(STEP_SAMPLES);
    let changed = 0;
    const em = this.model.edge;
    for (let e = 0; e < this.settings.length; e++) {
      const diff = edgeContrast(vf, vc, this.edgeA[e], this.edgeB[e]);
      const old = this.settings[e];
      const s = em.kind === 'tap' ? tapStep(old, diff, em.taps - 1) : wireNumber(gateStep(old, diff, amp, lim.gateStep!, em.lo, em.hi));
      if (s !== old) {
        this.settings[e] = s;
        changed++;
      }
    }
    this.clamps = new Map();
    this.cached = null;
    this.simMs += STEP_UPDATE_MS;
    this.stats.steps++;
    return { freeTargets: Float64Array.from(targets, ([node]) => vf[node]), changed };
  }

  /**
   * A host-side measurement cycle (PROTOCOL.md 7.2 `CYCLE`): clamps released, exactly `sources` driven, every node
   * measured (`samples` samples), each target clamped at `cycleClamp` of its free reading (V_F + eta (V* - V_F),
   * limited to the DAC range, at the wire's 6 decimals), measured again, clamps released; the sources stay driven.
   * The calls and the noise draws are those of the separate sequence `setClamps([])`, `setSources`, `measure`,
   * `setClamps`, `measure`, `setClamps([])`, so the readings are the same. The caller checks eta and the roles.
   */
  cycle(sources: readonly (readonly [number, number])[], targets: readonly (readonly [number, number])[], eta: number, samples: number): { free: Float64Array; clamped: Float64Array; clamps: [number, number][] } {
    const { lo, hi } = this.model.dac;
    this.setClamps([]);
    this.setSources(sources);
    const free = this.measure(samples);
    const clamps = targets.map(([node, desired]) => [node, cycleClamp(free[node], desired, eta, lo, hi)] as [number, number]);
    this.setClamps(clamps);
    const clamped = this.measure(samples);
    this.setClamps([]);
    return { free, clamped, clamps };
  }

  /** Power cycle: sources and clamps released, edges to their power-on setting, counters cleared, bootCount + 1. */
  reboot(): void {
    this.sources = new Map();
    this.clamps = new Map();
    this.settings.fill(this.model.edge.powerOn);
    this.stats.steps = 0;
    this.stats.measurements = 0;
    this.bootCount += 1;
    this.cached = null;
  }

  /** Hidden truth: each edge's conductance (S) in the present state (gate edges at the present node voltages). */
  trueConductances(): Float64Array {
    if (this.model.edge.kind === 'tap') return this.tapConductances();
    return this.gateConductances(this.physicalVoltages(), new Float64Array(this.settings.length));
  }

  /** Hidden truth: the node voltages (V) before the ADC, in the present state. */
  trueVoltages(): Float64Array {
    return Float64Array.from(this.physicalVoltages());
  }

  /** Hidden truth: the voltage (V) each imposed node is actually held at (DAC gain and offset applied). */
  trueImposed(): Map<number, number> {
    const out = new Map<number, number>();
    for (const [i, v] of this.sources) out.set(i, this.driveGain[i] * v + this.driveOffset[i]);
    for (const [i, v] of this.clamps) out.set(i, this.clampGain[i] * v + this.clampOffset[i]);
    return out;
  }

  /** Hidden truth: each ADC channel's gain and offset (V): reading = gain V + offset (injected offsets included). */
  trueAdc(): { gain: Float64Array; offset: Float64Array } {
    return { gain: Float64Array.from(this.adcGain), offset: Float64Array.from(this.adcOffsetHw, (b, i) => b + this.adcOffset[i]) };
  }

  /** Hidden truth: each DAC channel's gain and offset (V): imposed = gain commanded + offset (drive and clamp channels). */
  trueDac(): { drive: { gain: Float64Array; offset: Float64Array }; clamp: { gain: Float64Array; offset: Float64Array } } {
    return {
      drive: { gain: Float64Array.from(this.driveGain), offset: Float64Array.from(this.driveOffset) },
      clamp: { gain: Float64Array.from(this.clampGain), offset: Float64Array.from(this.clampOffset) },
    };
  }

  /**
   * Hidden truth, linear taper only: each edge's own resistance at tap 0 and at the top tap (ohm), before drift
   * (which {@link trueEdgeFactors} carries); null for other laws.
   */
  trueLinearEdges(): { rMin: number; rMax: number }[] | null {
    const em = this.model.edge;
    if (!this.span || em.kind !== 'tap') return null;
    // R(t) = fixed + RAB (taps - t) / taps with RAB (taps - 1) / taps = rMax - rMin (nominal); RAB scales by f. A
    // law too steep for that form (fixed < 0: no series part) scales as a whole, R_e(t) = f R(t).
    const rab = ((em.rMax - em.rMin) * em.taps) / (em.taps - 1);
    const fixed = Math.max(0, em.rMax - rab);
    return Array.from(this.span, (f) => ({ rMin: fixed + f * (em.rMin - fixed), rMax: fixed + f * (em.rMax - fixed) }));
  }

  /**
   * Hidden truth: each edge's multiplicative factor on its nominal conductance (tap edges) or on s (gate edges):
   * tolerance x drift so far (drift only for a linear taper, whose tolerance is in {@link trueLinearEdges}).
   */
  trueEdgeFactors(): Float64Array {
    this.applyDrift();
    return Float64Array.from(this.factor);
  }

  // ---- twin-only fault knobs (not part of the Board interface; a real board has no such switch) ----

  /**
   * Break or short one edge, or repair it (`null`). `'open'`: the edge keeps {@link OPEN_EDGE_FRACTION} (1e-9) of
   * the conductance its setting, tolerance and drift give (a broken track: the graph stays connected numerically, the
   * edge carries no measurable current). `'short'`: the edge becomes a fixed {@link SHORT_EDGE_CONDUCTANCE} (1 S,
   * i.e. 1 ohm) path whatever its setting (a shorted potentiometer or transistor). The setting is still stored and
   * still updated by learning steps; only the physics changes. Faults are hardware: they survive `reboot()`.
   */
  injectEdgeFault(edge: number, fault: EdgeFault | null): void {
    if (!Number.isInteger(edge) || edge < 0 || edge >= this.edgeFault.length) {
      throw new RangeError(`injectEdgeFault: edge must be an integer in 0..${this.edgeFault.length - 1}, got ${edge}`);
    }
    if (fault !== null && fault !== 'open' && fault !== 'short') {
      throw new RangeError(`injectEdgeFault: fault must be 'open', 'short' or null, got ${String(fault)}`);
    }
    this.edgeFault[edge] = fault === 'open' ? FAULT_OPEN : fault === 'short' ? FAULT_SHORT : 0;
    this.cached = null;
  }

  /**
   * Offset (V) added to every ADC sample of one node's channel before quantisation (so it saturates at the range
   * ends like a real input offset); 0 removes it. The physical voltage (trueVoltages) is unaffected. Survives
   * `reboot()`.
   */
  injectAdcOffset(node: number, volts: number): void {
    if (!Number.isInteger(node) || node < 0 || node >= this.n) {
      throw new RangeError(`injectAdcOffset: node must be an integer in 0..${this.n - 1}, got ${node}`);
    }
    if (!Number.isFinite(volts)) throw new RangeError(`injectAdcOffset: volts must be a finite number, got ${volts}`);
    this.adcOffset[node] = volts;
  }

  /** The injected faults (hidden truth for tests): faulty edges and non-zero ADC offsets. */
  injectedFaults(): { edges: Map<number, EdgeFault>; adcOffsets: Map<number, number> } {
    const edges = new Map<number, EdgeFault>();
    this.edgeFault.forEach((f, e) => {
      if (f !== 0) edges.set(e, f === FAULT_OPEN ? 'open' : 'short');
    });
    const adcOffsets = new Map<number, number>();
    this.adcOffset.forEach((v, i) => {
      if (v !== 0) adcOffsets.set(i, v);
    });
    return { edges, adcOffsets };
  }

  // ---- internals ----

  private checkChannels(
    pairs: readonly (readonly [number, number])[],
    what: 'drive' | 'clamp',
    allowed: Uint8Array,
    other: Map<number, number>,
  ): Map<number, number> {
    const out = new Map<number, number>();
    const { lo, hi, bits } = this.model.dac;
    // PROTOCOL.md section 5: every spelling problem (400) before every range problem (416) before any conflict with
    // the present state (409), so the code does not depend on the order of the pairs.
    for (const [node, volts] of pairs) {
      if (!Number.isInteger(node) && Number.isFinite(node)) throw badRequest(`node must be an integer, got ${node}`);
      if (out.has(node)) throw badRequest(`node ${node} listed twice`);
      if (Number.isNaN(volts)) throw badRequest(`node ${node}: voltage must be a number, got ${volts}`);
      out.set(node, volts);
    }
    out.clear();
    for (const [node, volts] of pairs) {
      if (!(node >= 0 && node < this.n)) throw outOfRange(`node ${node} does not exist (nodes 0..${this.n - 1})`);
      if (!allowed[node]) throw outOfRange(`node ${node} cannot be ${what === 'drive' ? 'driven' : 'clamped'}`);
      // wire6 is wireNumber's value for every finite number (both: the 6-decimal text's value, -0 as 0), faster
      const v = Number.isFinite(volts) ? wire6(volts) : volts;
      if (!(v >= lo && v <= hi)) throw outOfRange(`node ${node}: ${volts} V outside the DAC range ${lo}..${hi} V`);
      out.set(node, v);
    }
    for (const node of out.keys()) {
      if (other.has(node)) {
        throw conflict(`node ${node} is ${what === 'drive' ? 'clamped' : 'driven as a source'}; release it first`);
      }
    }
    if (bits !== undefined) {
      const lsb = (hi - lo) / (2 ** bits - 1);
      for (const [node, v] of out) out.set(node, lo + Math.round((v - lo) / lsb) * lsb);
    }
    return out;
  }

  private tapConductances(out?: Float64Array): Float64Array {
    const em = this.model.edge;
    if (em.kind !== 'tap') throw new Error('not a tap board');
    const E = this.settings.length;
    const k = out ?? new Float64Array(E);
    // each edge's law at its setting, recomputed only for the settings that changed since (a step moves most
    // edges, a measurement none); tolerance and drift multiply it afresh every time
    let law = this.tapLaw;
    if (!law) {
      law = this.tapLaw = { settings: new Float64Array(E).fill(NaN), k: new Float64Array(E) };
    }
    let moved = false;
    for (let e = 0; e < E && !moved; e++) moved = law.settings[e] !== this.settings[e];
    const ends = moved ? this.trueLinearEdges() : null;
    for (let e = 0; e < E; e++) {
      const t = this.settings[e];
      if (law.settings[e] !== t) {
        if (ends) law.k[e] = tapConductance({ taps: em.taps, ...ends[e], taper: 'linear' }, t);
        else {
          // one law for every edge: a table per tap (settings are integers in 0..taps-1; anything else computed)
          const table = (this.tapTable ??= new Float64Array(em.taps).fill(NaN));
          const hit = Number.isInteger(t) && t >= 0 && t < table.length ? table[t] : NaN;
          law.k[e] = Number.isNaN(hit) ? tapConductance(em, t) : hit;
          if (Number.isNaN(hit) && Number.isInteger(t) && t >= 0 && t < table.length) table[t] = law.k[e];
        }
        law.settings[e] = t;
      }
      k[e] = this.factor[e] * law.k[e];
    }
    return this.applyEdgeFaults(k);
  }
  /** The imposed nodes (ascending) and values of the sources and clamps held, and their system once solved. */
  private held: { sources: Map<number, number>; clamps: Map<number, number>; nodes: Int32Array; values: Float64Array; set: ImposedSet } | null = null;
  /** Scratch of imposedState, and the last two imposed node sets with their systems. */
  private imposedWork: { volts: Float64Array; mark: Uint8Array; anchored: Uint8Array; recent: ImposedSet[] } | null = null;
  private kScratch: Float64Array | null = null;
  /** The shared tap law's conductance per tap (S), filled as taps are met (not a linear taper: its edges differ). */
  private tapTable: Float64Array | null = null;
  /** Each edge's tap law at the setting it was last evaluated at (tapConductances). */
  private tapLaw: { settings: Float64Array; k: Float64Array } | null = null;

  private gateConductances(v: Float64Array, out: Float64Array): Float64Array {
    const em = this.model.edge;
    if (em.kind !== 'gate') throw new Error('not a gate board');
    const floor = gateFloor(em);
    for (let e = 0; e < out.length; e++) {
      const vm = 0.5 * (v[this.edgeA[e]] + v[this.edgeB[e]]);
      out[e] = gateConductance(em.s * this.factor[e], this.settings[e], em.vt, vm, floor);
    }
    return this.applyEdgeFaults(out);
  }

  /** Twin-only faults on top of the healthy conductances (nothing changes when no fault is injected). */
  private applyEdgeFaults(k: Float64Array): Float64Array {
    for (let e = 0; e < k.length; e++) {
      const f = this.edgeFault[e];
      if (f === FAULT_OPEN) k[e] *= OPEN_EDGE_FRACTION;
      else if (f === FAULT_SHORT) k[e] = SHORT_EDGE_CONDUCTANCE;
    }
    return k;
  }

  private applyDrift(): void {
    const now = this.simMs;
    const dtHours = (now - this.lastDriftMs) / 3.6e6;
    if (this.ideal || this.model.drift === 0 || !(dtHours > 0)) {
      if (dtHours > 0 || !Number.isFinite(dtHours)) this.lastDriftMs = now;
      return;
    }
    this.lastDriftMs = now;
    const sd = this.model.drift * Math.sqrt(dtHours);
    const E = this.factor.length;
    if (this.noise.length < E) this.noise = new Float64Array(Math.max(E, this.noise.length));
    const z = this.driftRng.fill(this.noise, E);
    for (let e = 0; e < E; e++) this.factor[e] *= Math.exp(sd * z[e] - 0.5 * sd * sd);
    this.cached = null;
  }

  /** Node voltages of the present state (cached until something changes). */
  private physicalVoltages(): Float64Array {
    this.applyDrift();
    if (this.cached) return this.cached;
    // the imposed nodes and values, kept while the same sources and clamps are held (they are replaced, never
    // changed in place); the node set's structure (and its system) is kept per set, as a step alternates two sets
    let held = this.held;
    if (!held || held.sources !== this.sources || held.clamps !== this.clamps) held = this.held = this.imposedState();
    const { nodes, values } = held;
    let v: Float64Array;
    if (nodes.length === this.n) {
      v = new Float64Array(this.n);
      for (let t = 0; t < nodes.length; t++) v[nodes[t]] = values[t];
    } else if (this.model.edge.kind === 'tap') {
      const sys = (held.set.sys ??= this.system(nodes));
      // (the system copies the conductances: a scratch array will do)
      sys.setConductance(this.tapConductances((this.kScratch ??= new Float64Array(this.settings.length))));
      v = sys.solve(values).voltages;
    } else {
      v = this.solveGates(nodes, values);
    }
    this.cached = v;
    return v;
  }

  /**
   * The imposed nodes (ascending) and the voltages the board holds them at (trueImposed's: DAC gain and offset
   * applied; nodes of a component without an imposed node at 0 V: they float, and cannot affect the others), for
   * the sources and clamps held. The arrays of a node set seen last or the time before are reused (a step's free and
   * clamped states alternate two sets), with its system.
   */
  private imposedState(): NonNullable<TwinBoardCore['held']> {
    const n = this.n;
    const w = (this.imposedWork ??= { volts: new Float64Array(n), mark: new Uint8Array(n), anchored: new Uint8Array(n), recent: [] });
    const { volts, mark, anchored } = w;
    mark.fill(0);
    anchored.fill(0);
    for (const [i, v] of this.sources) {
      volts[i] = this.driveGain[i] * v + this.driveOffset[i];
      mark[i] = 1;
    }
    for (const [i, v] of this.clamps) {
      volts[i] = this.clampGain[i] * v + this.clampOffset[i];
      mark[i] = 1;
    }
    for (let i = 0; i < n; i++) if (mark[i]) anchored[this.components[i]] = 1;
    let count = 0;
    for (let i = 0; i < n; i++) {
      if (!mark[i] && !anchored[this.components[i]]) {
        mark[i] = 1;
        volts[i] = 0;
      }
      count += mark[i];
    }
    let set = w.recent.find((r) => r.nodes.length === count && r.nodes.every((i) => mark[i] === 1));
    if (!set) {
      const nodes = new Int32Array(count);
      for (let i = 0, t = 0; i < n; i++) if (mark[i]) nodes[t++] = i;
      set = { nodes, sys: null };
      w.recent.unshift(set);
      if (w.recent.length > 2) w.recent.pop();
    }
    const values = new Float64Array(count);
    for (let t = 0; t < count; t++) values[t] = volts[set.nodes[t]];
    return { sources: this.sources, clamps: this.clamps, nodes: set.nodes, values, set };
  }

  private system(imposed: Int32Array): LaplacianSystem {
    const key = imposed.join(',');
    let sys = this.systems.get(key);
    if (!sys) {
      if (this.systems.size > 256) this.systems.clear();
      sys = new LaplacianSystem(this.n, this.edgeA, this.edgeB, imposed, { method: 'cholesky' });
      this.systems.set(key, sys);
    }
    return sys;
  }

  /**
   * Gate board: every edge a transistor element (the Ohmic law with its factor and setting, edgeLaws.gateEdgeElement),
   * an open edge that element scaled by OPEN_EDGE_FRACTION, a shorted one a fixed SHORT_EDGE_CONDUCTANCE; solved by
   * the host's nonlinear solver from its default start (every free node at the mean imposed voltage), so that the
   * result depends on nothing but the state. Floating components are already imposed at 0 V by the caller.
   */
  private solveGates(nodes: Int32Array, values: Float64Array): Float64Array {
    const em = this.model.edge;
    if (em.kind !== 'gate') throw new Error('not a gate board');
    const floor = gateFloor(em);
    const laws = Array.from(this.settings, (vg, e) => {
      const f = this.edgeFault[e];
      const fault = f === FAULT_OPEN ? { scale: OPEN_EDGE_FRACTION } : f === FAULT_SHORT ? { fixed: SHORT_EDGE_CONDUCTANCE } : {};
      return elementLaw(gateEdgeElement(em.s * this.factor[e], em.vt, vg, floor), 0, fault);
    });
    const key = nodes.join(',');
    let solver = this.gateSolvers.get(key);
    if (!solver) {
      if (this.gateSolvers.size > 256) this.gateSolvers.clear();
      solver = new NonlinearSolver(this.n, this.edgeA, this.edgeB, laws, nodes, { method: 'cholesky' });
      this.gateSolvers.set(key, solver);
    } else solver.setLaws(laws);
    return solver.solve(values).voltages;
  }
}

/** A set of imposed nodes (ascending) and its Laplacian system once made. */
interface ImposedSet {
  nodes: Int32Array;
  sys: LaplacianSystem | null;
}

/** Readings and settings handed out (a fresh array each, as views of shared blocks: Float64Slab.ts). */
const slab = new Float64Slab();

const FAULT_OPEN = 1;
const FAULT_SHORT = 2;

/** ADC code of a voltage: nearest step, saturating at the range ends. */
function adcCode(v: number, lo: number, lsb: number, top: number): number {
  const c = Math.round((v - lo) / lsb);
  return c < 0 ? 0 : c > top ? top : c;
}

/**
 * A reading as the wire carries it (wireNumber: at most 6 decimals), for the finite values measure() makes: the
 * value of the protocol's 6-decimal text (toFixed(6): the trailing zeros wireNumber strips do not change the value;
 * its "-0" is 0), without its string clean-up, which was a measurable part of a measurement.
 */
function wire6(x: number): number {
  if (Number.isInteger(x)) return x === 0 ? 0 : x;
  // Fast path, the same value: toFixed(6) picks the integer n nearest to the exact |x| 1e6 (ties away from zero)
  // and Number() gives the double nearest to n / 1e6, which the division n / 1e6 also gives (n and 1e6 exact,
  // division correctly rounded). The product |x| 1e6 is within half an ulp (< 1e-8 below 1e7) of the exact one,
  // so its nearest integer is n unless it lies within 1e-6 of a tie; there, and for large values, the text.
  const a = Math.abs(x);
  if (a < 1e7) {
    const y = a * 1e6;
    const n = Math.round(y);
    const d = y - n;
    if (d < 0.5 - 1e-6 && d > -0.5 + 1e-6) {
      const v = n / 1e6;
      return v === 0 ? 0 : x < 0 ? -v : v;
    }
  }
  const v = Number(x.toFixed(6));
  return v === 0 ? 0 : v;
}
