/* Deepest stack use of the firmware, measured in simavr: runs the .elf, types the lines of a script file into
 * UART0 (paced by the UART's XON/XOFF), prints what the firmware sends, and samples the stack pointer after every
 * instruction. Reports the lowest SP seen and the stack used below RAMEND. Not part of the build; run by
 * `make stack` (see the README). Usage: stackprobe FILE.elf SCRIPT [SECONDS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <simavr/sim_avr.h>
#include <simavr/sim_elf.h>
#include <simavr/avr_uart.h>

static char *script;
static size_t script_len, script_pos;
static int xoff, waiting, answered;
static avr_irq_t *uart_in;
static avr_t *avr;
static avr_cycle_count_t last_out;

static void on_out(struct avr_irq_t *irq, uint32_t value, void *param) {
    (void)irq; (void)param;
    putchar((int)(value & 0xFF));
    last_out = avr->cycle;
    if ((value & 0xFF) == '\n') answered = 1;
}
/* stop-and-wait like a host: one line, then wait for the answer (and 20 ms of silence for the events) */
static void feed(void) {
    while (!xoff && !waiting && script_pos < script_len) {
        char c = script[script_pos++];
        avr_raise_irq(uart_in, (uint8_t)c);
        if (c == '\n') { waiting = 1; answered = 0; }
    }
}
static void on_xon(struct avr_irq_t *irq, uint32_t value, void *param) {
    (void)irq; (void)value; (void)param;
    xoff = 0;
    feed();
}
static void on_xoff(struct avr_irq_t *irq, uint32_t value, void *param) {
    (void)irq; (void)value; (void)param;
    xoff = 1;
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: stackprobe FILE.elf SCRIPT [SECONDS]\n"); return 2; }
    double seconds = argc > 3 ? atof(argv[3]) : 5.0;
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
    uint32_t flags = 0;
    avr_ioctl(avr, AVR_IOCTL_UART_GET_FLAGS('0'), &flags);
    flags &= ~AVR_UART_FLAG_STDIO;
    avr_ioctl(avr, AVR_IOCTL_UART_SET_FLAGS('0'), &flags);
    uart_in = avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_INPUT);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUTPUT), on_out, NULL);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUT_XON), on_xon, NULL);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUT_XOFF), on_xoff, NULL);
    uint16_t min_sp = 0xFFFF;
    avr_cycle_count_t end = (avr_cycle_count_t)(seconds * avr->frequency);
    while (avr->cycle < end) {
        int st = avr_run(avr);
        if (st == cpu_Done || st == cpu_Crashed) break;
        uint16_t sp = (uint16_t)(avr->data[0x5D] | (avr->data[0x5E] << 8));
        if (sp < min_sp) min_sp = sp;
        if (waiting && answered && avr->cycle - last_out > avr->frequency / 50u) { waiting = 0; feed(); }
    }
    fflush(stdout);
    fprintf(stderr, "stackprobe: lowest SP 0x%04X, %u bytes of stack below RAMEND 0x%04X, %zu of %zu script bytes sent\n",
            min_sp, (unsigned)(avr->ramend - min_sp), (unsigned)avr->ramend, script_pos, script_len);
    return 0;
}
