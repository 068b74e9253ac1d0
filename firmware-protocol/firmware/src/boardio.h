/* Board I/O: the board's chips as the protocol sees them (edge taps, drive and clamp channels, node readout),
 * turned into HAL calls with the SPI words of HARDWARE.md. */
#ifndef CLLN_BOARDIO_H
#define CLLN_BOARDIO_H
#include <stdint.h>
#include "board.h"

/* Sources and clamps: value[node] in uV where on[node] is set. Writes every active channel's DAC code first, then
 * the switch masks, so a switch never closes onto a stale code. */
void bio_channels(const clln_board *b, const uint8_t *drive_on, const int32_t *drive_u, const uint8_t *clamp_on,
                  const int32_t *clamp_u);
void bio_tap(const clln_board *b, uint8_t edge, uint8_t tap);
/* Called before each node's conversions when set (the main loop sets it during a run step, so commands are answered
 * within their 50 ms bound while a ~65 ms step is measuring: PROTOCOL.md 9). */
extern void (*bio_poll)(void);
/* sums[node] = sum of n conversions of the node's ADC channel; nonzero on a converter fault. */
uint8_t bio_measure(const clln_board *b, uint16_t n, uint32_t *sums);
/* Mean node voltage of a sum of n codes, uV rounded to the nearest (exact integer arithmetic). */
int32_t bio_volts_u(const clln_board *b, uint32_t sum, uint16_t n);
uint16_t bio_dac_code(const clln_board *b, int32_t v_u);

#endif
