#include "firmware.h"
#include "engine.h"
#include "linereader.h"
#include "../hal/hal.h"

static line_reader lr;

void clln_firmware(const clln_board *b) {
    lr_init(&lr);
    if (eng_boot(b)) return;
    for (;;) {
        int16_t c = hal_uart_getc();
        if (c >= 0) {
            lr_result r = lr_feed(&lr, (uint8_t)c);
            if (r != LR_NONE) eng_line(r, lr.buf, lr.body_len, lr.frame_crc);
            continue;
        }
        /* one step at a time, so PING, STAT, GRANT, HALT and RESEND are answered between steps */
        if (eng_run_ready()) {
            eng_run_step();
            continue;
        }
        hal_idle();
    }
}
