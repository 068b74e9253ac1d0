/**
 * The second step of reading a calibration plan: {@link expandPlan} checks a structurally valid plan against a
 * board's identity and expands it into what is applied (every edge configuration, every source pattern, the
 * references), all defaults filled in; {@link sweepConfigurations} is the seeded sweep it uses.
 */
import type { BoardIdentity } from '../../firmware-protocol/identity.js';
import { show } from '../errors.js';
import { child, entries, expectNodeId, fail } from '../formats/jsonChecks.js';
import { Rng } from '../physics/Rng.js';
import type { CalibrationPattern, CalibrationPlan, ExpandedPlan } from './types.js';
import { PLAN_DEFAULTS } from './planDefaults.js';
import { parsePlan } from './parsePlan.js';
import { generatePatterns } from './generatePatterns.js';

/**
 * Check a plan against a board's identity and expand it: every edge configuration (Float64Array, one setting per
 * edge) and every source pattern, with the defaults filled in. The same patterns are applied in every
 * configuration.
 *
 * Sweeps give first one uniform configuration per level (every edge at that level, in the order given), then
 * `mixed` configurations drawn with the seeded Rng: when E >= levels, each is a shuffled round-robin assignment
 * (every level on at least floor(E / levels) edges), so every level is tied to every other in one configuration;
 * with fewer edges than levels, the edges get distinct random levels.
 *
 * @param source named in error messages (the plan file)
 * @throws InvalidInputError when the plan does not fit the board (model, settings, nodes, voltages, references)
 */
export function expandPlan(plan: CalibrationPlan, id: BoardIdentity, source = 'calibration plan'): ExpandedPlan {
  const p = parsePlan(plan, source);
  if (p.board !== id.model) {
    fail(
      source,
      'board',
      `the plan is written for board model ${show(p.board)}, but the board is a ${show(id.model)} (uid ${id.uid})`,
      `use a plan written for ${show(id.model)} ("board": ${show(id.model)}), or run \`clln calibrate\` without --plan to use the default plan of ${show(id.model)}`,
    );
  }
  const configurations = expandSettings(p.settings, id, source);
  const patterns = 'list' in p.patterns ? checkPatterns(p.patterns.list, id, source) : generatePatterns(p.patterns, id, source);
  const reference = expandReference(p.reference, id, configurations, source);
  return { board: id.model, samples: p.samples ?? PLAN_DEFAULTS.samples, configurations, patterns, reference };
}

function settingRule(id: BoardIdentity): { ok: (x: number) => boolean; rule: string; fix: string } {
  if (id.edge.kind === 'tap') {
    const top = id.edge.taps - 1;
    return {
      ok: (x) => Number.isInteger(x) && x >= 0 && x <= top,
      rule: `must be a tap, an integer in 0..${top} (board ${id.model} has ${id.edge.taps} taps per edge)`,
      fix: `use a tap in 0..${top}`,
    };
  }
  const { lo, hi } = id.edge;
  return {
    ok: (x) => x >= lo && x <= hi,
    rule: `must be a gate voltage within the board's gate range [${lo}, ${hi}] V (board ${id.model})`,
    fix: `use a gate voltage in [${lo}, ${hi}] V`,
  };
}

function expandSettings(settings: CalibrationPlan['settings'], id: BoardIdentity, source: string): Float64Array[] {
  const E = id.edges.length;
  const { ok, rule, fix } = settingRule(id);
  if ('configurations' in settings) {
    return settings.configurations.map((row, c) => {
      const f = child('settings.configurations', c);
      if (row.length !== E) {
        fail(source, f, `must have ${entries(E)} (one setting per edge; board ${id.model} has ${E} edges), got ${row.length}`, `give ${E} settings, in the order of the board's edges`);
      }
      row.forEach((x, e) => {
        if (!ok(x)) fail(source, child(f, e), `${rule}, got ${show(x)}`, fix);
      });
      return Float64Array.from(row);
    });
  }
  settings.levels.forEach((x, i) => {
    if (!ok(x)) fail(source, child('settings.levels', i), `${rule}, got ${show(x)}`, fix);
  });
  return sweepConfigurations(settings.levels, settings.mixed ?? PLAN_DEFAULTS.mixed, settings.seed ?? PLAN_DEFAULTS.seed, E);
}

/**
 * The configurations of a sweep over `levels` on `edges` edges: the uniform ones, then `mixed` seeded mixed ones
 * (each containing every level when edges >= levels).
 */
export function sweepConfigurations(levels: readonly number[], mixed: number, seed: number, edges: number): Float64Array[] {
  const out = levels.map((l) => new Float64Array(edges).fill(l));
  const L = levels.length;
  const rng = new Rng(seed);
  for (let m = 0; m < mixed; m++) {
    const c = new Float64Array(edges);
    if (edges >= L) {
      // Round-robin from a random start (which levels get the spare edges varies), then shuffled.
      const start = rng.int(L);
      for (let e = 0; e < edges; e++) c[e] = levels[(e + start) % L];
      rng.shuffle(c);
    } else {
      const order = rng.shuffle([...levels]);
      for (let e = 0; e < edges; e++) c[e] = order[e];
    }
    out.push(c);
  }
  return out;
}

function checkPatterns(list: CalibrationPattern[], id: BoardIdentity, source: string): CalibrationPattern[] {
  const drivable = new Set(id.drivable);
  const clampable = new Set(id.clampable);
  const { lo, hi } = id.dac;
  const board = `board ${id.model}`;
  return list.map((pat, i) => {
    const pf = child('patterns.list', i);
    if (pat.drive.length === 0) fail(source, child(pf, 'drive'), 'must drive at least one node', 'add a [node, volts] pair to "drive"');
    const seen = new Map<number, string>();
    for (const key of ['drive', 'clamp'] as const) {
      const allowed = key === 'drive' ? drivable : clampable;
      const list = key === 'drive' ? id.drivable : id.clampable;
      pat[key].forEach(([node, volts], j) => {
        const f = child(child(pf, key), j);
        expectNodeId(node, id.nodes, source, child(f, 0), board);
        if (!allowed.has(node)) {
          fail(
            source,
            child(f, 0),
            `node ${node} has no ${key} channel on ${board}; ${key === 'drive' ? 'drivable' : 'clampable'} nodes are ${show(list)}`,
            `${key} one of the ${key === 'drive' ? 'drivable' : 'clampable'} nodes instead`,
          );
        }
        const first = seen.get(node);
        if (first !== undefined) fail(source, child(f, 0), `node ${node} is listed twice in one pattern (also at ${first})`, `remove node ${node} from one of the two places`);
        seen.set(node, f);
        if (!(volts >= lo && volts <= hi)) {
          fail(source, child(f, 1), `commanded voltage must be within the DAC range [${lo}, ${hi}] V of ${board}, got ${show(volts)}`, `use a voltage in [${lo}, ${hi}] V`);
        }
      });
    }
    return { drive: pat.drive.map(([n, v]) => [n, v] as [number, number]), clamp: pat.clamp.map(([n, v]) => [n, v] as [number, number]) };
  });
}

function expandReference(
  ref: CalibrationPlan['reference'],
  id: BoardIdentity,
  configurations: Float64Array[],
  source: string,
): ExpandedPlan['reference'] {
  const voltage = ref?.voltage ?? PLAN_DEFAULTS.reference.voltage;
  const conductance = ref?.conductance ?? PLAN_DEFAULTS.reference.conductance;
  if (typeof voltage === 'object') {
    voltage.adc.forEach((a, i) => expectNodeId(a.node, id.nodes, source, `reference.voltage.adc[${i}].node`, `board ${id.model}`));
  }
  if (Array.isArray(conductance)) {
    const E = id.edges.length;
    conductance.forEach((c, i) => {
      const f = child('reference.conductance', i);
      if (c.edge >= E) fail(source, child(f, 'edge'), `unknown edge ${c.edge}: board ${id.model} has ${E} edges, so edge indices run 0..${E - 1}`, `use an edge index in 0..${E - 1}`);
      if ('s' in c) {
        if (id.edge.kind !== 'gate') {
          fail(source, f, `{edge, s} is a gate-board reference, but board ${id.model} has tap edges`, 'give tap-board references as {"edge": e, "setting": tap, "siemens": k}, or use "nominal-mean"');
        }
      } else {
        if (id.edge.kind !== 'tap') {
          fail(source, f, `{edge, setting, siemens} is a tap-board reference, but board ${id.model} has gate edges`, 'give gate-board references as {"edge": e, "s": S_per_V}, or use "nominal-mean"');
        }
        const visited = [...new Set(configurations.map((cfg) => cfg[c.edge]))].sort((a, b) => a - b);
        if (!visited.includes(c.setting)) {
          fail(
            source,
            child(f, 'setting'),
            `edge ${c.edge} never sits at tap ${c.setting} in this plan (it visits taps ${visited.join(', ')}), so the measurement would fix nothing`,
            `use one of the taps ${visited.join(', ')}, or add tap ${c.setting} to the plan's settings`,
          );
        }
      }
    });
  }
  return { voltage, conductance };
}

// ---------------------------------------------------------------------------------------------------------------
// Random patterns
