/**
 * Issue 6, points 1d and 1g on board runs: a run record read back as conductance snapshots (checked against the
 * twin's hidden conductances), and the engine's learning-stability warning.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InProcessTwinBoard } from '../../src/device/InProcessTwinBoard.js';
import { settingsToConductance } from '../../src/physics/edgeLaws.js';
import { ruleStability } from '../../src/diagnostics/ruleStability.js';
import { spectrumEvolution } from '../../src/diagnostics/spectrumEvolution.js';
import { referenceTask } from '../../src/physics/generators/linearTask.js';
import { RunRecorder, trainingStart } from '../../src/pipeline/runRecord.js';
import { StepRecordLayout } from '../../src/pipeline/StepRecordLayout.js';
import { runSnapshots } from '../../src/pipeline/runSnapshots.js';
import { StabilityMonitor } from '../../src/pipeline/StabilityMonitor.js';
import { TrainingEngine, type EngineWarning } from '../../src/pipeline/TrainingEngine.js';
import { readRun } from '../../src/store/readRun.js';
import { RunWriter } from '../../src/store/RunWriter.js';
import { boardNetwork } from '../../twins/boardNetwork.js';
import { loadBoardModel } from '../../twins/BoardModel.js';
import { TwinBoardCore } from '../../twins/TwinBoardCore.js';

const task = referenceTask({ count: 10, test: 4 });

describe('a run record as conductance snapshots', () => {
  it('every recorded step, its settings turned into the conductances the board really had', async () => {
    const model = loadBoardModel('penn-gen1');
    const core = new TwinBoardCore(model, { ideal: true });
    const board = new InProcessTwinBoard(core);
    const id = await board.identify();
    const net = boardNetwork(model);
    const path = join(mkdtempSync(join(tmpdir(), 'clln-snap-')), 'run.jsonl');
    const plan = { task, steps: 40, order: 'sequential' as const };
    const layout = StepRecordLayout.forRun(id, task, { update: 'host', checked: false });
    const writer = RunWriter.create(path, trainingStart(plan, net, id, { spec: 'twin' }), layout.descriptor());
    await new TrainingEngine(board, plan, { recorder: new RunRecorder(writer, layout) }).run();
    await writer.stop('success');
    const rs = runSnapshots(readRun(path), (m) => (m === 'penn-gen1' ? model.edge : undefined));
    expect(rs.law).toBe('nominal');
    expect(rs.snapshots.map((s) => s.step)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    // the last snapshot is the board's present state: the ideal twin's hidden conductances
    const truth = core.trueConductances();
    const last = rs.snapshots[39].conductance;
    for (let e = 0; e < truth.length; e++) expect(last[e] / truth[e]).toBeCloseTo(1, 12);
    const ev = spectrumEvolution(rs.net, rs.snapshots, rs.task, { k: 3, maxSnapshots: 10 });
    expect(ev.steps).toHaveLength(10);
    expect(ev.steps[0]).toBe(1);
    expect(ev.steps[9]).toBe(40);
  });

  it('a file that is not a training run is refused naming the field', () => {
    expect(() => runSnapshots({ path: 'x.jsonl', start: { uid: 'u', time: 0 }, descriptor: {} as never, events: [], torn: false, status: 'complete' } as never, () => undefined)).toThrow(/start.*not a clln training run/);
  });
});

describe('the engine warns when the learning step is unstable', () => {
  async function run(alphaFactor: number): Promise<{ warnings: EngineWarning[]; monitor: StabilityMonitor; critical: number }> {
    const model = loadBoardModel('penn-gen2');
    const core = new TwinBoardCore(model, { ideal: true });
    const board = new InProcessTwinBoard(core);
    const id = await board.identify();
    const net = boardNetwork(model);
    const edgeA = net.edgeA;
    const edgeB = net.edgeB;
    if (model.edge.kind !== 'gate') throw new Error('gate model expected');
    const edge = model.edge;
    const law = (settings: Float64Array, readings: Float64Array | null): Float64Array =>
      settingsToConductance(edge, settings, { edgeA, edgeB, voltages: readings ?? new Float64Array(id.nodes).fill(0.5) });
    // the critical alpha at the power-on state, computed independently of the monitor
    const k0 = core.trueConductances();
    const critical = 2 / ruleStability({ ...net, conductance: k0 }, task, { rule: 'cl', eta: 0.1, alpha: 1 }).lambdaMax;
    const monitor = new StabilityMonitor(net, task, law, alphaFactor * critical, { rule: { rule: 'cl', eta: 0.1 }, every: 10 });
    const engine = new TrainingEngine(board, { task, steps: 30, order: 'sequential', eta: 0.1, amp: 0.05 }, { stability: monitor });
    const warnings: EngineWarning[] = [];
    engine.warnings$.subscribe((w) => warnings.push(w));
    await engine.run();
    return { warnings, monitor, critical };
  }

  it('no warning well below the critical rate; a warning naming the index above it', async () => {
    const calm = await run(0.2);
    expect(calm.warnings).toEqual([]);
    // checked after the first step and every 10 steps: steps 1, 10, 20, 30
    expect(calm.monitor.history.map((h) => h.step)).toEqual([1, 10, 20, 30]);
    const wild = await run(5);
    expect(wild.warnings.length).toBeGreaterThan(0);
    const w = wild.warnings[0];
    expect(w.type).toBe('stability');
    expect(w.index).toBeGreaterThan(2);
    // the index the engine reports is alpha * lambda_max at the board's conductances then, close to 5 x 2 = 10
    expect(w.index).toBeGreaterThan(8);
    expect(w.index).toBeLessThan(12);
    expect(w.message).toMatch(/unstable: alpha \* lambda_max = /);
  });
});
