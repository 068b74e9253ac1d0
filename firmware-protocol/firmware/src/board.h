/* The board description: everything the protocol engine and the board I/O need to know about one board, as data,
 * so that the same core runs the reference board (clln-ref16, HARDWARE.md) on the MCU and other boards (e.g. the
 * twin model penn-gen1 of the golden vectors) in the native test build. Voltages are micro-volts, resistances
 * micro-ohms, eta millionths: the integer units of the wire (6 decimals). */
#ifndef CLLN_BOARD_H
#define CLLN_BOARD_H
#include <stdint.h>

#define CLLN_NO_CH 0xFFu        /* node without a drive / clamp channel */
#define CLLN_POT_CHANNELS 6u    /* AD5206: 6 rheostats per chip, addresses 0..5 */
#define CLLN_DAC_CHANNELS 8u    /* AD5328: 8 channels per chip; ADG714: 8 switches per chip */

enum { LAW_LINEAR = 0, LAW_GEOMETRIC = 1 };

typedef struct {
    const char *name;           /* board= */
    const char *fw;             /* fw= */
    uint8_t nodes;
    uint8_t edges;
    const uint8_t (*edge)[2];   /* edge e joins edge[e][0] and edge[e][1] */
    /* Per node: the channel (DAC channel = switch number, counted over all DAC/switch chips) that drives or
     * clamps it, CLLN_NO_CH if none; the ADC channel that reads it. */
    const uint8_t *drive_ch;
    const uint8_t *clamp_ch;
    const uint8_t *adc_ch;
    uint8_t adc_bits;
    int32_t adc_lo_u, adc_hi_u;     /* V = lo + (hi - lo) * code / 2^bits */
    int32_t dac_lo_u, dac_hi_u;     /* dac= of ID: the voltages SRC/CLAMP accept */
    uint8_t dac_bits;               /* code = round(V * 2^bits / fullscale), limited to 0..2^bits - 1 */
    int32_t dac_fullscale_u;
    uint16_t taps;                  /* edge=tap,COUNT */
    uint8_t tap_power_on;           /* written to every edge at boot */
    uint8_t law;                    /* LAW_LINEAR or LAW_GEOMETRIC, with its RMIN, RMAX */
    int64_t law_rmin_u, law_rmax_u;
    uint32_t rate;                  /* rate= (samples per second, all nodes together) */
    int32_t eta_lo_u, eta_hi_u;
    uint16_t sched;                 /* most examples in a schedule */
    uint16_t keep;                  /* frames kept for RESEND */
    /* chip selects, in the HAL's numbering */
    const uint8_t *pot_cs;
    uint8_t pot_chips;
    const uint8_t *dac_cs;
    uint8_t dac_chips;
    const uint8_t *sw_cs;
    uint8_t sw_chips;
} clln_board;

extern const clln_board clln_ref16;     /* the reference board of HARDWARE.md */
extern const clln_board clln_penn_gen1; /* twins/models/penn-gen1.json, for the golden conversations (native) */

#endif
