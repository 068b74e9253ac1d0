/* simavr's .mmcu section (MCU name and clock), linked into the .elf only for the emulator; avr-objcopy -R .mmcu
 * leaves it out of the .hex a real board is flashed with. */
#include <avr/avr_mcu_section.h>

AVR_MCU(F_CPU, "atmega2560");
