/* The SPI chips of the clln-ref16 board at the bus level: each chip shifts in the bytes sent while its select
 * (PA0..PA5, active low) is low and acts on its word when the select rises, as HARDWARE.md and the datasheets say. */
#ifndef CLLN_CHIPS_H
#define CLLN_CHIPS_H
#include <stdint.h>
#include "network.h"

enum { CHIP_POT0, CHIP_POT1, CHIP_POT2, CHIP_POT3, CHIP_DAC, CHIP_SW, N_CHIPS };

typedef struct {
	network_t *net;
	uint8_t selected[N_CHIPS];	/* select line low */
	uint8_t bad_mode[N_CHIPS];	/* a byte of this word came with the wrong SPI mode or bit order */
	int bits[N_CHIPS];
	uint32_t word[N_CHIPS];
	uint64_t malformed;		/* words ignored: wrong length, mode, or an AD5206 address > 5 */
	uint64_t dac_control;		/* AD5328 control words (bit 15 = 1), recorded and ignored */
	uint64_t words;			/* words applied */
	int changed;			/* the network changed since the flag was last cleared */
} chips_t;

void chips_init(chips_t *c, network_t *net);
/* power-on: chips as network_power_on, every select high (a chip is selected only by a driven low pin) */
void chips_power_on(chips_t *c);
/* select line of chip `chip` is now `level` (0 = low = selected) */
void chips_select(chips_t *c, int chip, int level);
/* a byte left the SPI master; spcr is the SPCR register at that moment (mode, bit order) */
void chips_spi_byte(chips_t *c, uint8_t byte, uint8_t spcr);
#endif
