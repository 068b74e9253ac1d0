/* Runs the firmware .elf in simavr like a host would and measures it: types the lines of a script into UART0
 * stop-and-wait (a line at the baud rate, then wait for the answer and 5 ms of silence, 300 ms after a RESET for
 * the reboot; a run's frames come ~65 ms apart, so the next line lands inside a run step), prints
 * everything the firmware sends on stdout, and reports on stderr
 *   - for each command line, its latency: simulated microseconds from the moment its LF was put on the wire to
 *     the first byte of the answer (one byte time more than PROTOCOL.md's "end of the LF", so conservative):
 *     "latency_us=N LINE"
 *   - the deepest stack: the lowest SP after any instruction: "stack: lowest SP 0x...., N bytes below RAMEND"
 *   - the UART0 setup the firmware left: "uart: UBRR0=N U2X0=B" (HARDWARE.md: 16 at 115200, 1 at 1 Mbaud, U2X0 1)
 * All times are simulated (cycle counts at 16 MHz), never wall-clock. Not part of the firmware build; used by
 * `make stack` and test/firmware/avrBuild.test.ts.
 * Usage: stackprobe FILE.elf SCRIPT [SECONDS [BAUD]] (defaults 10 s of MCU time, 115200 baud) */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <simavr/sim_avr.h>
#include <simavr/sim_elf.h>
#include <simavr/avr_uart.h>

static char *script;
static size_t script_len, script_pos, line_start;
static int xoff, waiting, answered;
static avr_irq_t *uart_in;
static avr_t *avr;
static avr_cycle_count_t last_out, lf_at;
static int timing;   /* waiting for the first byte of an answer */
static avr_cycle_count_t quiet;   /* silence that ends the wait for an answer */

static void on_out(struct avr_irq_t *irq, uint32_t value, void *param) {
    (void)irq; (void)param;
    putchar((int)(value & 0xFF));
    last_out = avr->cycle;
    if (timing) {
        timing = 0;
        unsigned long us = (unsigned long)((avr->cycle - lf_at) * 1000000ULL / avr->frequency);
        fprintf(stderr, "latency_us=%lu %.*s\n", us, (int)(script_pos - line_start - 1), script + line_start);
    }
    if ((value & 0xFF) == '\n') answered = 1;
}
static void on_xon(struct avr_irq_t *irq, uint32_t value, void *param) {
    (void)irq; (void)value; (void)param;
    xoff = 0;
}
static void on_xoff(struct avr_irq_t *irq, uint32_t value, void *param) {
    (void)irq; (void)value; (void)param;
    xoff = 1;
}

/* simavr's default sleep waits in real time for the simulated time asleep; a measurement has no use for that */
static void no_wait(avr_t *a, avr_cycle_count_t how_long) {
    (void)a; (void)how_long;
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: stackprobe FILE.elf SCRIPT [SECONDS [BAUD]]\n"); return 2; }
    double seconds = argc > 3 ? atof(argv[3]) : 10.0;
    double baud = argc > 4 ? atof(argv[4]) : 115200.0;
    FILE *f = fopen(argv[2], "rb");
    if (!f) { fprintf(stderr, "stackprobe: cannot read %s\n", argv[2]); return 2; }
    script = malloc(1 << 20);
    script_len = fread(script, 1, 1 << 20, f);
    fclose(f);
    elf_firmware_t fw;
    memset(&fw, 0, sizeof fw);
    if (elf_read_firmware(argv[1], &fw)) { fprintf(stderr, "stackprobe: cannot read %s\n", argv[1]); return 2; }
    avr = avr_make_mcu_by_name(fw.mmcu);
    if (!avr) { fprintf(stderr, "stackprobe: no .mmcu section in %s\n", argv[1]); return 2; }
    avr_init(avr);
    avr_load_firmware(avr, &fw);
    avr->log = 0;
    avr->sleep = no_wait;
    uint32_t flags = 0;
    avr_ioctl(avr, AVR_IOCTL_UART_GET_FLAGS('0'), &flags);
    flags &= ~(uint32_t)(AVR_UART_FLAG_STDIO | AVR_UART_FLAG_POLL_SLEEP);   /* no console echo, no real-time naps */
    avr_ioctl(avr, AVR_IOCTL_UART_SET_FLAGS('0'), &flags);
    uart_in = avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_INPUT);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUTPUT), on_out, NULL);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUT_XON), on_xon, NULL);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUT_XOFF), on_xoff, NULL);
    uint16_t min_sp = 0xFFFF;
    avr_cycle_count_t end = (avr_cycle_count_t)(seconds * avr->frequency);
    avr_cycle_count_t byte_cycles = (avr_cycle_count_t)(10.0 * avr->frequency / baud);
    avr_cycle_count_t next_byte = avr->frequency / 10u;   /* 100 ms for the boot and its banner */
    while (avr->cycle < end) {
        int st = avr_run(avr);
        if (st == cpu_Done || st == cpu_Crashed) break;
        uint16_t sp = (uint16_t)(avr->data[0x5D] | (avr->data[0x5E] << 8));
        if (sp < min_sp) min_sp = sp;
        if (waiting && answered && avr->cycle - last_out > quiet) {
            waiting = 0;
            next_byte = avr->cycle;
        }
        if (!waiting && !xoff && script_pos < script_len && avr->cycle >= next_byte) {
            if (script_pos == 0 || script[script_pos - 1] == '\n') line_start = script_pos;
            char c = script[script_pos++];
            avr_raise_irq(uart_in, (uint8_t)c);
            next_byte = avr->cycle + byte_cycles;
            if (c == '\n') {
                waiting = 1;
                answered = 0;
                timing = 1;
                lf_at = avr->cycle;
                quiet = memmem(script + line_start, script_pos - line_start, " RESET ", 7) ? avr->frequency * 3u / 10u
                                                                                           : avr->frequency / 200u;
            }
        }
    }
    fflush(stdout);
    fprintf(stderr, "stack: lowest SP 0x%04X, %u bytes below RAMEND 0x%04X; %zu of %zu script bytes sent\n", min_sp,
            (unsigned)(avr->ramend - min_sp), (unsigned)avr->ramend, script_pos, script_len);
    /* ATmega2560 data addresses: UCSR0A 0xC0, UBRR0L 0xC4, UBRR0H 0xC5 */
    fprintf(stderr, "uart: UBRR0=%u U2X0=%u\n", (unsigned)(avr->data[0xC4] | ((avr->data[0xC5] & 0x0F) << 8)),
            (unsigned)((avr->data[0xC0] >> 1) & 1u));
    return 0;
}
