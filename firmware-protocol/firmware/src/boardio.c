#include "boardio.h"
#include "../hal/hal.h"

/* SPI modes of HARDWARE.md: AD5206 mode 0, AD5328 and ADG714 mode 1. */
#define POT_MODE 0u
#define DAC_MODE 1u
#define SW_MODE 1u

uint16_t bio_dac_code(const clln_board *b, int32_t v_u) {
    if (v_u <= 0) return 0;
    int64_t top = ((int64_t)1 << b->dac_bits) - 1;
    /* round(V * 2^bits / fullscale) */
    int64_t code = (((int64_t)v_u << b->dac_bits) + b->dac_fullscale_u / 2) / b->dac_fullscale_u;
    return (uint16_t)(code > top ? top : code);
}

int32_t bio_volts_u(const clln_board *b, uint32_t sum, uint16_t n) {
    /* V = lo + (hi - lo) * sum / (n * 2^bits), all in integers: (hi - lo) <= ~1e7 uV, sum <= 1024 * 65535 */
    int64_t span = (int64_t)b->adc_hi_u - b->adc_lo_u;
    int64_t den = (int64_t)n << b->adc_bits;
    int64_t num = span * (int64_t)sum;
    return (int32_t)(b->adc_lo_u + (num + den / 2) / den);
}

void bio_tap(const clln_board *b, uint8_t edge, uint8_t tap) {
    uint8_t chip = (uint8_t)(edge / CLLN_POT_CHANNELS);
    uint8_t addr = (uint8_t)(edge % CLLN_POT_CHANNELS);
    /* 00000AAA DDDDDDDD: the chip keeps the last 11 bits */
    hal_spi_word(b->pot_cs[chip], POT_MODE, (uint16_t)(((uint16_t)addr << 8) | tap), 2);
}

static void dac_write(const clln_board *b, uint8_t ch, int32_t v_u) {
    uint16_t code = bio_dac_code(b, v_u);
    /* 0AAADDDD DDDDDDDD: bit 15 = 0 (data), channel, 12-bit code */
    uint16_t word = (uint16_t)(((uint16_t)(ch % CLLN_DAC_CHANNELS) << 12) | (code & 0x0FFFu));
    hal_spi_word(b->dac_cs[ch / CLLN_DAC_CHANNELS], DAC_MODE, word, 2);
}

void bio_channels(const clln_board *b, const uint8_t *drive_on, const int32_t *drive_u, const uint8_t *clamp_on,
                  const int32_t *clamp_u) {
    uint8_t mask[8] = {0};   /* one byte per switch chip, bit c = switch S(c+1) closed */
    for (uint8_t node = 0; node < b->nodes; node++) {
        uint8_t ch = CLLN_NO_CH;
        int32_t v = 0;
        if (drive_on[node] && b->drive_ch[node] != CLLN_NO_CH) { ch = b->drive_ch[node]; v = drive_u[node]; }
        else if (clamp_on[node] && b->clamp_ch[node] != CLLN_NO_CH) { ch = b->clamp_ch[node]; v = clamp_u[node]; }
        if (ch == CLLN_NO_CH) continue;
        dac_write(b, ch, v);
        mask[ch / 8u] = (uint8_t)(mask[ch / 8u] | (1u << (ch % 8u)));
    }
    for (uint8_t chip = 0; chip < b->sw_chips && chip < 8u; chip++) hal_spi_word(b->sw_cs[chip], SW_MODE, mask[chip], 1);
}

void (*bio_poll)(void);

uint8_t bio_measure(const clln_board *b, uint16_t n, uint32_t *sums) {
    for (uint8_t node = 0; node < b->nodes; node++) {
        if (bio_poll) bio_poll();
        if (hal_adc_sum(b->adc_ch[node], n, &sums[node])) return 1;
    }
    return 0;
}
