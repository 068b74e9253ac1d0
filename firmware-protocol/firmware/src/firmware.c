#include "firmware.h"
#include "boardio.h"
#include "engine.h"
#include "linereader.h"
#include "../hal/hal.h"

static line_reader lr;
static uint8_t held;   /* a finished HALT line waits in lr for the end of the run step */

/* Between the node measurements of a run step: read what arrived and answer it now (PROTOCOL.md 9 bounds every
 * reply but HALT's to 50 ms, and a step measures for ~57 ms). A HALT stays in the line reader until the step is
 * done; no further bytes are read meanwhile (they wait in the UART's RX ring). */
static void poll_during_step(void) {
    while (!held) {
        int16_t c = hal_uart_getc();
        if (c < 0) return;
        lr_result r = lr_feed(&lr, (uint8_t)c);
        if (r == LR_NONE) continue;
        if (r == LR_FRAME && eng_is_halt(lr.buf, lr.body_len)) {
            held = 1;
            return;
        }
        eng_line(r, lr.buf, lr.body_len, lr.frame_crc);
    }
}

void clln_firmware(const clln_board *b) {
    lr_init(&lr);
    held = 0;
    bio_poll = 0;
    if (eng_boot(b)) return;
    for (;;) {
        if (held) {
            held = 0;
            eng_line(LR_FRAME, lr.buf, lr.body_len, lr.frame_crc);
            continue;
        }
        int16_t c = hal_uart_getc();
        if (c >= 0) {
            lr_result r = lr_feed(&lr, (uint8_t)c);
            if (r != LR_NONE) eng_line(r, lr.buf, lr.body_len, lr.frame_crc);
            continue;
        }
        /* one step at a time; lines that arrive meanwhile are answered between its measurements */
        if (eng_run_ready()) {
            bio_poll = poll_during_step;
            eng_run_step();
            bio_poll = 0;
            continue;
        }
        hal_idle();
    }
}
