import type { BoardIdentity } from '../device/Board.js';
import type { Calibration } from '../calibration/Calibration.js';
import { referenceVoltage, settingsToConductance } from '../physics/edgeLaws.js';
import { knownEdgeLaw } from './boardEdgeLaw.js';

/** Edge settings (taps or gate volts) -> conductances (S); gate edges read the node voltages (raw readings, V) when given. */
export type ConductanceLaw = (settings: Float64Array, readings?: Float64Array | null) => Float64Array;

/**
 * Settings -> conductances (S) of a board: the calibration's per-edge law, else the board's nominal law (its ID, or
 * the board file's: boardEdgeLaw.ts); undefined when neither is known. Gate edges depend on the node voltages: the
 * given readings (calibrated through the calibration's ADC), or without them the nominal convention of
 * src/physics/edgeLaws.ts (every node at the middle of the ADC range).
 */
export function boardConductanceLaw(id: BoardIdentity, cal?: Calibration): ConductanceLaw | undefined {
  const edgeA = Int32Array.from(id.edges, (e) => e[0]);
  const edgeB = Int32Array.from(id.edges, (e) => e[1]);
  const mid = new Float64Array(id.nodes).fill(referenceVoltage(id.adc));
  if (cal) return (settings, readings) => cal.conductances(settings, readings ? cal.readingsToVolts(readings) : mid);
  const edge = knownEdgeLaw(id);
  if (!edge) return undefined;
  return (settings, readings) => settingsToConductance(edge, settings, { edgeA, edgeB, voltages: readings ?? mid });
}
