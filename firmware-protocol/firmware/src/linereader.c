#include "linereader.h"
#include "crc16.h"

void lr_init(line_reader *lr) {
    lr->len = 0;
    lr->discarding = 0;
    lr->body_len = 0;
    lr->frame_crc = 0;
}

static int8_t hex_upper(char c) {
    if (c >= '0' && c <= '9') return (int8_t)(c - '0');
    if (c >= 'A' && c <= 'F') return (int8_t)(c - 'A' + 10);
    return -1; /* lower case a-f is a crc error (PROTOCOL.md 2) */
}

/* Judge a complete line of lr->len bytes (LF removed): garbage before crc. */
static lr_result judge(line_reader *lr) {
    uint16_t n = lr->len;
    const char *b = lr->buf;
    if (n > 0 && b[n - 1] == '\r') n--;      /* the one CR right before the LF is not part of the line */
    if (n == 0) return LR_NONE;               /* empty lines are ignored, not counted */
    if (n > CLLN_MAX_LINE) return LR_OVERLONG; /* 1025 bytes held, the last not a CR */
    for (uint16_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)b[i];
        if (c < 0x20 || c > 0x7E) return LR_GARBAGE;
    }
    /* BODY*CCCC: the only '*' exactly five bytes from the end */
    if (n < 5 || b[n - 5] != '*') return LR_CRC;
    uint16_t body = (uint16_t)(n - 5);
    uint16_t crc = CLLN_CRC_INIT;
    for (uint16_t i = 0; i < body; i++) {
        if (b[i] == '*') return LR_CRC;
        crc = crc16_update(crc, (uint8_t)b[i]);
    }
    uint16_t want = 0;
    for (uint16_t i = 0; i < 4; i++) {
        int8_t d = hex_upper(b[body + 1 + i]);
        if (d < 0) return LR_CRC;
        want = (uint16_t)((want << 4) | (uint16_t)d);
    }
    if (want != crc) return LR_CRC;
    lr->buf[body] = '\0';
    lr->body_len = body;
    lr->frame_crc = crc;
    return LR_FRAME;
}

lr_result lr_feed(line_reader *lr, uint8_t byte) {
    if (byte == '\n') {
        if (lr->discarding) {
            lr->discarding = 0;
            lr->len = 0;
            return LR_NONE;      /* already counted when it became overlong */
        }
        lr_result r = judge(lr);
        lr->len = 0;
        return r;
    }
    if (lr->discarding) return LR_NONE;
    if (lr->len >= CLLN_MAX_LINE + 1) {
        /* 1025 bytes held (1024 + room for a CR) and another non-LF byte: overlong, counted once */
        lr->discarding = 1;
        lr->len = 0;
        return LR_OVERLONG;
    }
    lr->buf[lr->len++] = (char)byte;
    return LR_NONE;
}
