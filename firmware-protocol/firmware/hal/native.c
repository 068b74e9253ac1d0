/* Host build of the HAL (gcc): runs the portable core as `fw-native BOARD` for the native tests, with the board's
 * SPI chips decoded from their words (AD5206 pots, AD5328 DACs, ADG714 switches, as HARDWARE.md) and a resistor
 * network solved behind the ADC, deterministic and noise-free: enough for the loosely matched values of the
 * golden conversations, and a check that the core sends each chip the words HARDWARE.md specifies.
 *
 * stdin, one record after another:
 *   D <len>\n<len raw bytes>   bytes arriving on the UART; the firmware runs until it is idle (nothing left to
 *                              read, no credit left to step) before the next record is read
 *   P\n                        power cycle (MCU reset, chips back to power-on, EEPROM kept)
 *   E\n                        erase the EEPROM, then power cycle; writes the line "#E" on stdout first, so a test
 *                              can run several sessions through one process and split their output
 *   M\n                        writes the line "#M" on stdout (read only when the firmware is idle: a step marker)
 *   A <len>\n<len raw bytes>   bytes that arrive during the next ADC conversion (e.g. while a run step measures);
 *                              the next record is read at once (it should be the D record that starts the step)
 *   F\n                        toggles a dead ADC (every conversion times out, a hardware fault: 500); the next
 *                              record is read at once
 * stdout: every byte the device sends. EOF on stdin: exit 0. Bad usage or a bad record: exit 2 with one line on
 * stderr. A chip word that breaks HARDWARE.md (wrong mode, length, chip select): exit 3 naming it. */
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hal.h"
#include "../src/board.h"
#include "../src/firmware.h"
#include "../src/linereader.h"
#include "../src/numbers.h"
#include "../src/reply.h"

static const clln_board *NB;
static uint8_t eeprom[4096];
static jmp_buf power_jmp;

static uint8_t *chunk;
static size_t chunk_len, chunk_pos;
static uint8_t *later;        /* an A record's bytes, delivered at the next conversion */
static size_t later_len;
static int adc_dead;

/* chip state */
static uint8_t pot[16][CLLN_POT_CHANNELS];
static uint16_t dac[8][CLLN_DAC_CHANNELS];
static uint8_t sw[8];
static int solved;
static double volts[64];

static void die(int code, const char *msg, const char *arg) {
    fprintf(stderr, "fw-native: %s%s\n", msg, arg ? arg : "");
    exit(code);
}

int16_t hal_uart_getc(void) {
    if (chunk_pos < chunk_len) return chunk[chunk_pos++];
    return -1;
}

void hal_uart_write(const char *data, uint16_t n) { fwrite(data, 1, n, stdout); }
void hal_uart_flush(void) { fflush(stdout); }

static int find(const uint8_t *list, uint8_t n, uint8_t cs) {
    for (uint8_t i = 0; i < n; i++)
        if (list[i] == cs) return i;
    return -1;
}

void hal_spi_word(uint8_t cs, uint8_t mode, uint16_t word, uint8_t nbytes) {
    int i;
    solved = 0;
    if ((i = find(NB->pot_cs, NB->pot_chips, cs)) >= 0) {
        if (mode != 0 || nbytes != 2) die(3, "AD5206 word not 2 bytes in SPI mode 0", NULL);
        uint8_t addr = (uint8_t)((word >> 8) & 7u);
        if (addr >= CLLN_POT_CHANNELS) die(3, "AD5206 address beyond 5", NULL);
        pot[i][addr] = (uint8_t)word;
    } else if ((i = find(NB->dac_cs, NB->dac_chips, cs)) >= 0) {
        if (mode != 1 || nbytes != 2) die(3, "AD5328 word not 2 bytes in SPI mode 1", NULL);
        if (word & 0x8000u) die(3, "AD5328 control word (the firmware sends none)", NULL);
        dac[i][(word >> 12) & 7u] = word & 0x0FFFu;
    } else if ((i = find(NB->sw_cs, NB->sw_chips, cs)) >= 0) {
        if (mode != 1 || nbytes != 1) die(3, "ADG714 word not 1 byte in SPI mode 1", NULL);
        sw[i] = (uint8_t)word;
    } else {
        die(3, "SPI word to a chip select the board does not have", NULL);
    }
}

static double edge_ohms(uint8_t t) {
    double rmin = (double)NB->law_rmin_u * 1e-6, rmax = (double)NB->law_rmax_u * 1e-6;
    double x = (double)t / (double)(NB->taps - 1);
    if (NB->law == LAW_LINEAR) return rmax - (rmax - rmin) * x;
    return rmax * pow(rmin / rmax, x);
}

/* Node voltages: nodes whose drive or clamp switch is closed sit at their DAC voltage (ideal sources, switch
 * resistance neglected); the others follow Kirchhoff's current law, with a 1 fS leak to 0 V so a node with no
 * path to a source reads 0 instead of being undefined (small enough to move no connected node by 1e-9 LSB). Dense Gaussian elimination, at most 64 nodes. */
static void solve(void) {
    int n = NB->nodes;
    static double a[64][65];
    int fixed[64];
    double vfix[64];
    for (int i = 0; i < n; i++) {
        fixed[i] = 0;
        uint8_t chs[2] = {NB->drive_ch[i], NB->clamp_ch[i]};
        for (int k = 0; k < 2; k++) {
            uint8_t c = chs[k];
            if (c == CLLN_NO_CH || !(sw[c / 8u] & (1u << (c % 8u)))) continue;
            fixed[i] = 1;
            vfix[i] = (double)dac[c / 8u][c % 8u] * ((double)NB->dac_fullscale_u * 1e-6) / (double)(1u << NB->dac_bits);
        }
    }
    for (int i = 0; i < n; i++) {
        for (int j = 0; j <= n; j++) a[i][j] = 0;
        if (fixed[i]) { a[i][i] = 1; a[i][n] = vfix[i]; }
        else a[i][i] = 1e-15;
    }
    for (int e = 0; e < NB->edges; e++) {
        int p = NB->edge[e][0], q = NB->edge[e][1];
        double g = 1.0 / edge_ohms(pot[e / CLLN_POT_CHANNELS][e % CLLN_POT_CHANNELS]);
        if (!fixed[p]) { a[p][p] += g; a[p][q] -= g; }
        if (!fixed[q]) { a[q][q] += g; a[q][p] -= g; }
    }
    for (int c = 0; c < n; c++) {
        int piv = c;
        for (int r = c + 1; r < n; r++)
            if (fabs(a[r][c]) > fabs(a[piv][c])) piv = r;
        if (piv != c)
            for (int j = 0; j <= n; j++) { double t = a[c][j]; a[c][j] = a[piv][j]; a[piv][j] = t; }
        for (int r = 0; r < n; r++) {
            if (r == c || a[r][c] == 0) continue;
            double f = a[r][c] / a[c][c];
            for (int j = c; j <= n; j++) a[r][j] -= f * a[c][j];
        }
    }
    for (int i = 0; i < n; i++) volts[i] = a[i][n] / a[i][i];
    solved = 1;
}

uint8_t hal_adc_sum(uint8_t ch, uint16_t n, uint32_t *sum) {
    if (later && chunk_pos >= chunk_len) {
        free(chunk);
        chunk = later;
        chunk_len = later_len;
        chunk_pos = 0;
        later = NULL;
    }
    if (adc_dead) return 1;
    if (!solved) solve();
    int node = -1;
    for (int i = 0; i < NB->nodes; i++)
        if (NB->adc_ch[i] == ch) node = i;
    if (node < 0) die(3, "ADC channel of no node", NULL);
    double lo = NB->adc_lo_u * 1e-6, hi = NB->adc_hi_u * 1e-6;
    double top = (double)((1u << NB->adc_bits) - 1u);
    /* an ideal converter: code = floor(V / LSB); 1e-6 LSB of slack so that a voltage exactly on a code boundary
     * (2.5 V from one source through resistors) is not read one code low for a solver rounding error of 1e-16 */
    double code = floor((volts[node] - lo) / (hi - lo) * (double)(1u << NB->adc_bits) + 1e-6);
    if (code < 0) code = 0;
    if (code > top) code = top;
    *sum = (uint32_t)code * n;
    return 0;
}

void hal_eeprom_read(uint16_t addr, uint8_t *buf, uint8_t n) { memcpy(buf, eeprom + addr, n); }
void hal_eeprom_write(uint16_t addr, const uint8_t *buf, uint8_t n) { memcpy(eeprom + addr, buf, n); }

void hal_reboot(void) {
    fflush(stdout);
    longjmp(power_jmp, 1);   /* watchdog reset: the chips keep their state, the core starts over */
}

static void power_on_chips(void) {
    memset(pot, 128, sizeof pot);     /* AD5206 midscale */
    memset(dac, 0, sizeof dac);
    memset(sw, 0, sizeof sw);
    solved = 0;
}

static char *read_line(void) {
    static char line[64];
    if (!fgets(line, sizeof line, stdin)) return NULL;
    return line;
}

static uint8_t *read_bytes(const char *l, size_t *n) {
    char *end;
    unsigned long len = strtoul(l + 2, &end, 10);
    if (*end != '\n') die(2, "record \"D|A <len>\" needs a decimal length and a newline, got: ", l);
    uint8_t *b = malloc(len ? len : 1);
    if (!b) die(2, "out of memory", NULL);
    if (fread(b, 1, len, stdin) != len) die(2, "stdin ended inside a D or A record", NULL);
    *n = len;
    return b;
}

void hal_idle(void) {
    fflush(stdout);
    char *l = read_line();
    if (!l) exit(0);
    while (strcmp(l, "F\n") == 0) {
        adc_dead = !adc_dead;
        l = read_line();
        if (!l) exit(0);
    }
    if (l[0] == 'A' && l[1] == ' ') {
        free(later);
        later = read_bytes(l, &later_len);
        l = read_line();
        if (!l || l[0] != 'D') die(2, "an A record must be followed by a D record", NULL);
    }
    if (l[0] == 'D' && l[1] == ' ') {
        free(chunk);
        chunk = read_bytes(l, &chunk_len);
        chunk_pos = 0;
        return;
    }
    if (strcmp(l, "P\n") == 0) longjmp(power_jmp, 2);
    if (strcmp(l, "M\n") == 0) {
        fputs("#M\n", stdout);
        return;
    }
    if (strcmp(l, "E\n") == 0) {
        fputs("#E\n", stdout);
        memset(eeprom, 0xFF, sizeof eeprom);
        longjmp(power_jmp, 2);
    }
    die(2, "unknown record (expected \"D <len>\", \"P\" or \"E\"): ", l);
}

/* `fw-native --decode`: stdin bytes through the line reader; one output line per finished line: "FRAME CCCC BODY"
 * or "REJECT overlong|garbage|crc" (empty lines print nothing). `fw-native --encode`: each stdin line (without
 * its LF) is a body; prints its frame line BODY*CCCC. The core's codec, alone, for the golden frame vectors. */
static int codec(int decode) {
    if (decode) {
        static line_reader lr;
        lr_init(&lr);
        int c;
        while ((c = getchar()) != EOF) {
            lr_result r = lr_feed(&lr, (uint8_t)c);
            if (r == LR_FRAME) printf("FRAME %04X %s\n", lr.frame_crc, lr.buf);
            else if (r != LR_NONE) printf("REJECT %s\n", r == LR_OVERLONG ? "overlong" : r == LR_GARBAGE ? "garbage" : "crc");
        }
        return 0;
    }
    static char line[CLLN_MAX_LINE + 8];
    while (fgets(line, sizeof line, stdin)) {
        size_t n = strlen(line);
        if (n && line[n - 1] == '\n') line[--n] = '\0';
        reply_buf rb;
        rb_init(&rb, line, sizeof line);
        rb.len = (uint16_t)n;
        fwrite(line, 1, rb_close(&rb), stdout);
    }
    return 0;
}

/* `fw-native --numbers`: each stdin line "d TOKEN" (decimal) or "u TOKEN" (integer) prints "OK VALUE" (the
 * decimal's micro-units written back as the protocol writes numbers; the integer plainly), "BAD" (spelling, 400)
 * or "OVER" (spelled right, too large: 416). The number grammar of the core, alone. */
static int numbers(void) {
    static char line[CLLN_MAX_LINE + 8];
    while (fgets(line, sizeof line, stdin)) {
        size_t n = strlen(line);
        if (n && line[n - 1] == '\n') line[--n] = '\0';
        if (n < 2) die(2, "--numbers: a line is \"d TOKEN\" or \"u TOKEN\"", NULL);
        char out[32];
        uint8_t w = 0;
        num_status st;
        if (line[0] == 'd') {
            int64_t v;
            st = num_parse_micro(line + 2, (uint16_t)(n - 2), &v);
            if (st == NUM_OK) w = num_write_micro(out, v);
        } else {
            uint32_t v;
            st = num_parse_uint(line + 2, (uint16_t)(n - 2), &v);
            if (st == NUM_OK) w = num_write_uint(out, v);
        }
        if (st == NUM_OK) printf("OK %.*s\n", w, out);
        else puts(st == NUM_BAD ? "BAD" : "OVER");
    }
    return 0;
}

int main(int argc, char **argv) {
    static const clln_board *const boards[] = {&clln_ref16, &clln_penn_gen1};
    if (argc == 2 && strcmp(argv[1], "--numbers") == 0) return numbers();
    if (argc == 2 && strcmp(argv[1], "--decode") == 0) return codec(1);
    if (argc == 2 && strcmp(argv[1], "--encode") == 0) return codec(0);
    if (argc != 2) die(2, "usage: fw-native BOARD (clln-ref16 or penn-gen1) with records on stdin, or fw-native --decode|--encode|--numbers", NULL);
    for (size_t i = 0; i < sizeof boards / sizeof boards[0]; i++)
        if (strcmp(argv[1], boards[i]->name) == 0) NB = boards[i];
    if (!NB) die(2, "unknown board (known: clln-ref16, penn-gen1): ", argv[1]);
    memset(eeprom, 0xFF, sizeof eeprom);
    static int first = 1;
    /* 1: watchdog reboot (chips keep their state); 2: power cycle. Either way the UART's unread bytes are lost. */
    if (setjmp(power_jmp) != 1 || first) power_on_chips();
    first = 0;
    chunk_len = chunk_pos = 0;
    free(later);
    later = NULL;
    clln_firmware(NB);
    die(2, "the board does not fit this build's limits: ", NB->name);
    return 2;
}
