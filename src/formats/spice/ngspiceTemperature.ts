/**
 * The temperature at which ngspice's diode thermal voltage equals clln's.
 *
 * clln's diode takes `V_T = k_B T / q` at T = 300 K with the exact SI (CODATA 2018) constants: 0.025851999786 V
 * (src/physics/nonlinear/EdgeElement.ts). ngspice (39, `src/include/ngspice/const.h`) computes `V_T` with the CODATA
 * 2014 values `k_B = 1.38064852e-23 J/K`, `q = 1.6021766208e-19 C`, whose ratio is 3.39e-7 smaller: at 300 K its V_T
 * is 3.4e-7 relative below ours, which moves a diode's voltage by the same fraction (1.8e-7 V at 0.54 V), far above
 * the 1e-6 / 1e-9 agreement the cross-checks hold. So the netlist states the temperature at which ngspice's V_T is
 * ours: `T = 300 K * (k_B/q)_clln / (k_B/q)_ngspice` = 300.000101827 K, i.e. `TEMP = 26.850101827 C`, and TNOM the
 * same, so that ngspice does not rescale IS with temperature (it does so whenever TEMP != TNOM). The cross-check test
 * measures ngspice's V_T from a diode's voltage and holds it to 1e-9 of ours.
 */
import { DIODE_TEMPERATURE, THERMAL_VOLTAGE } from '../../physics/nonlinear/EdgeElement.js';

/** ngspice's Boltzmann constant (J/K), CODATA 2014. */
export const NGSPICE_BOLTZMANN = 1.38064852e-23;
/** ngspice's elementary charge (C), CODATA 2014. */
export const NGSPICE_CHARGE = 1.6021766208e-19;
/** ngspice's offset from degrees Celsius to kelvin. */
export const NGSPICE_CELSIUS_TO_KELVIN = 273.15;
/** ngspice's default TEMP and TNOM (degrees Celsius): what a netlist without `.options TEMP` means. */
export const NGSPICE_DEFAULT_CELSIUS = 27;

/** ngspice's thermal voltage (V) at `celsius`. */
export function ngspiceThermalVoltage(celsius: number): number {
  return (NGSPICE_BOLTZMANN * (celsius + NGSPICE_CELSIUS_TO_KELVIN)) / NGSPICE_CHARGE;
}

/** The TEMP (degrees Celsius) at which ngspice's V_T equals clln's {@link THERMAL_VOLTAGE}: 26.850101827. */
export const CLLN_DIODE_CELSIUS = (THERMAL_VOLTAGE * NGSPICE_CHARGE) / NGSPICE_BOLTZMANN - NGSPICE_CELSIUS_TO_KELVIN;

/** Nominal temperature of clln's diode in degrees Celsius (300 K), for messages. */
export const CLLN_DIODE_NOMINAL_CELSIUS = DIODE_TEMPERATURE - NGSPICE_CELSIUS_TO_KELVIN;
