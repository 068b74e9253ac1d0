/* Board descriptions. clln_ref16 is HARDWARE.md's board, the one the MCU build runs. clln_penn_gen1 mirrors the
 * twin model twins/models/penn-gen1.json (nodes, edges, channels, ADC, tap count, law, limits) so the native test
 * build can replay the golden conversations; its chips (6 pots of 6 channels, 4 DACs, 4 switch chips) are the
 * ref16 parts multiplied, a layout of this file only. */
#include "board.h"

#ifndef CLLN_NATIVE_BOARDS
#define CLLN_NATIVE_BOARDS 0
#endif

/* ref16: for each node (4 * row + col): the edge to the right (col < 3), then the edge down (row < 3). */
static const uint8_t ref16_edges[][2] = {
    {0, 1}, {0, 4}, {1, 2}, {1, 5}, {2, 3}, {2, 6}, {3, 7}, {4, 5},
    {4, 8}, {5, 6}, {5, 9}, {6, 7}, {6, 10}, {7, 11}, {8, 9}, {8, 12},
    {9, 10}, {9, 13}, {10, 11}, {10, 14}, {11, 15}, {12, 13}, {13, 14}, {14, 15},
};
static const uint8_t ref16_drive[16] = {0, 1, 2, 3, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255};
/* DAC channels E..H (4..7) through switches S5..S8 to nodes 12..15 */
static const uint8_t ref16_clamp[16] = {255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 4, 5, 6, 7};
static const uint8_t ref16_adc[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
/* chip selects: PA0..PA3 pots, PA4 DAC SYNC, PA5 switch SYNC (hal/atmega2560.c maps cs n to PAn) */
static const uint8_t ref16_pot_cs[4] = {0, 1, 2, 3};
static const uint8_t ref16_dac_cs[1] = {4};
static const uint8_t ref16_sw_cs[1] = {5};

const clln_board clln_ref16 = {
    .name = "clln-ref16",
    .fw = "clln-fw-1.0.0",
    .nodes = 16,
    .edges = 24,
    .edge = ref16_edges,
    .drive_ch = ref16_drive,
    .clamp_ch = ref16_clamp,
    .adc_ch = ref16_adc,
    .adc_bits = 10, .adc_lo_u = 0, .adc_hi_u = 5000000,        /* AVCC reference: V = 5 * code / 1024 */
    .dac_lo_u = 0, .dac_hi_u = 4998779,                         /* 5 * 4095 / 4096 V, rounded to 1 uV */
    .dac_bits = 12, .dac_fullscale_u = 5000000,                 /* AD5328, 5.000 V reference, gain 1 */
    .taps = 256, .tap_power_on = 128,                           /* AD5206 codes; midscale at boot */
    .law = LAW_LINEAR, .law_rmin_u = 1084062500LL, .law_rmax_u = 11045000000LL,  /* 1084.0625 .. 11045 ohm */
    .rate = 9000,
    .eta_lo_u = 1, .eta_hi_u = 1000000,
    .sched = 48, .keep = 32,
    .pot_cs = ref16_pot_cs, .pot_chips = 4,
    .dac_cs = ref16_dac_cs, .dac_chips = 1,
    .sw_cs = ref16_sw_cs, .sw_chips = 1,
};

#if CLLN_NATIVE_BOARDS
/* penn-gen1 (twins/models/penn-gen1.json): triangulated 4x4 lattice, 33 edges. */
static const uint8_t pg1_edges[][2] = {
    {0, 1}, {0, 4}, {0, 5}, {1, 2}, {1, 5}, {1, 6}, {2, 3}, {2, 6},
    {2, 7}, {3, 7}, {4, 5}, {4, 8}, {4, 9}, {5, 6}, {5, 9}, {5, 10},
    {6, 7}, {6, 10}, {6, 11}, {7, 11}, {8, 9}, {8, 12}, {8, 13}, {9, 10},
    {9, 13}, {9, 14}, {10, 11}, {10, 14}, {10, 15}, {11, 15}, {12, 13}, {13, 14},
    {14, 15},
};
/* every node drivable (channels 0..15) and clampable (channels 16..31) */
static const uint8_t pg1_drive[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
static const uint8_t pg1_clamp[16] = {16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};
static const uint8_t pg1_pot_cs[6] = {0, 1, 2, 3, 4, 5};
static const uint8_t pg1_dac_cs[4] = {6, 7, 8, 9};
static const uint8_t pg1_sw_cs[4] = {10, 11, 12, 13};

const clln_board clln_penn_gen1 = {
    .name = "penn-gen1",
    .fw = "clln-fw-native-1.0.0",
    .nodes = 16,
    .edges = 33,
    .edge = pg1_edges,
    .drive_ch = pg1_drive,
    .clamp_ch = pg1_clamp,
    .adc_ch = ref16_adc,
    .adc_bits = 12, .adc_lo_u = 0, .adc_hi_u = 5000000,
    .dac_lo_u = 0, .dac_hi_u = 5000000,
    .dac_bits = 12, .dac_fullscale_u = 5000000,
    .taps = 100, .tap_power_on = 50,
    .law = LAW_GEOMETRIC, .law_rmin_u = 40000000LL, .law_rmax_u = 32000000000LL,   /* 40 .. 32000 ohm */
    .rate = 10000,
    .eta_lo_u = 1, .eta_hi_u = 1000000,
    .sched = 65535, .keep = 256,
    .pot_cs = pg1_pot_cs, .pot_chips = 6,
    .dac_cs = pg1_dac_cs, .dac_chips = 4,
    .sw_cs = pg1_sw_cs, .sw_chips = 4,
};
#endif
