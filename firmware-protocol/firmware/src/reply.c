#include "reply.h"
#include "crc16.h"
#include "linereader.h"
#include "numbers.h"

void rb_init(reply_buf *rb, char *buf, uint16_t cap) {
    rb->buf = buf;
    rb->cap = cap;
    rb->len = 0;
    rb->overflow = 0;
}

static uint16_t body_cap(const reply_buf *rb) {
    uint16_t c = (uint16_t)(rb->cap - 6u);
    return c < CLLN_MAX_BODY ? c : CLLN_MAX_BODY;
}

void rb_mem(reply_buf *rb, const char *s, uint16_t n) {
    for (uint16_t i = 0; i < n; i++) {
        if (rb->len >= body_cap(rb)) { rb->overflow = 1; return; }
        rb->buf[rb->len++] = s[i];
    }
}

void rb_char(reply_buf *rb, char c) { rb_mem(rb, &c, 1); }

void rb_str(reply_buf *rb, const char *s) {
    while (*s) rb_char(rb, *s++);
}

void rb_uint(reply_buf *rb, uint32_t v) {
    char t[12];
    rb_mem(rb, t, num_write_uint(t, v));
}

void rb_micro(reply_buf *rb, int64_t v) {
    char t[24];
    rb_mem(rb, t, num_write_micro(t, v));
}

uint16_t rb_close(reply_buf *rb) {
    static const char hex[] = "0123456789ABCDEF";
    uint16_t crc = crc16(rb->buf, rb->len);
    char *p = rb->buf + rb->len;
    p[0] = '*';
    p[1] = hex[(crc >> 12) & 15];
    p[2] = hex[(crc >> 8) & 15];
    p[3] = hex[(crc >> 4) & 15];
    p[4] = hex[crc & 15];
    p[5] = '\n';
    rb->len = (uint16_t)(rb->len + 6u);
    return rb->len;
}
