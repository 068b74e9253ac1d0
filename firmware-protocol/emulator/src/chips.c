#include "chips.h"
#include <string.h>

/* SPCR bits (ATmega2560 datasheet 21.2.1) */
#define SPCR_SPE 6
#define SPCR_DORD 5
#define SPCR_MSTR 4
#define SPCR_CPOL 3
#define SPCR_CPHA 2

void chips_init(chips_t *c, network_t *net)
{
	memset(c, 0, sizeof *c);
	c->net = net;
	chips_power_on(c);
}

void chips_power_on(chips_t *c)
{
	for (int i = 0; i < N_CHIPS; i++) {
		c->selected[i] = 0;
		c->bits[i] = 0;
		c->word[i] = 0;
		c->bad_mode[i] = 0;
	}
	network_power_on(c->net);
	c->changed = 1;
}

/* HARDWARE.md, "SPI transactions": AD5206 in mode 0, AD5328 and ADG714 in mode 1 (CPOL 0, CPHA 1) */
static int expected_cpha(int chip)
{
	return chip == CHIP_DAC || chip == CHIP_SW;
}

static void apply(chips_t *c, int chip)
{
	network_t *n = c->net;
	uint32_t w = c->word[chip];
	int bits = c->bits[chip];
	if (chip <= CHIP_POT3) {
		/* AD5206: an 11-bit shift register (3 address bits, 8 data bits); the board sends 16 bits */
		int addr = (w >> 8) & 7;
		if (bits != 16 || addr > 5) {
			c->malformed++;
			return;
		}
		int e = chip * 6 + addr;
		if (n->tap[e] != (w & 0xff))
			c->changed = 1;
		n->tap[e] = w & 0xff;
	} else if (chip == CHIP_DAC) {
		/* AD5328: bit 15 = 0 is a data word, bits 14..12 the channel, 11..0 the code (LDAC tied low: the
		 * output updates at SYNC rising) */
		if (bits != 16) {
			c->malformed++;
			return;
		}
		if (w & 0x8000) {
			c->dac_control++;
			return;
		}
		int ch = (w >> 12) & 7;
		if (n->dac[ch] != (w & 0xfff))
			c->changed = 1;
		n->dac[ch] = w & 0xfff;
	} else {
		/* ADG714: 8 bits, bit c closes S(c+1) */
		if (bits != 8) {
			c->malformed++;
			return;
		}
		if (n->sw != (w & 0xff))
			c->changed = 1;
		n->sw = w & 0xff;
	}
	c->words++;
}

void chips_select(chips_t *c, int chip, int level)
{
	if (!level && !c->selected[chip]) {
		c->selected[chip] = 1;
		c->bits[chip] = 0;
		c->word[chip] = 0;
		c->bad_mode[chip] = 0;
	} else if (level && c->selected[chip]) {
		c->selected[chip] = 0;
		if (!c->bits[chip])
			return;	/* a select pulse without data, e.g. pins set up at boot: no transaction */
		if (c->bad_mode[chip])
			c->malformed++;
		else
			apply(c, chip);
		if (c->changed)
			network_solve(c->net);
	}
}

void chips_spi_byte(chips_t *c, uint8_t byte, uint8_t spcr)
{
	int ok_master = (spcr >> SPCR_SPE & 1) && (spcr >> SPCR_MSTR & 1) && !(spcr >> SPCR_DORD & 1) &&
			!(spcr >> SPCR_CPOL & 1);
	for (int i = 0; i < N_CHIPS; i++) {
		if (!c->selected[i])
			continue;
		if (!ok_master || (spcr >> SPCR_CPHA & 1) != expected_cpha(i))
			c->bad_mode[i] = 1;
		/* keep the last 32 bits; lengths beyond that are malformed anyway */
		c->word[i] = (c->word[i] << 8) | byte;
		if (c->bits[i] < 64)
			c->bits[i] += 8;
	}
}
