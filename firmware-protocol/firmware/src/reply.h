/* Reply builder: appends fields to a body and closes it into a line `BODY*CCCC\n` (PROTOCOL.md 2). A body that
 * would pass the 1019-byte limit (or the buffer) is marked overflowed; the caller then answers 500. */
#ifndef CLLN_REPLY_H
#define CLLN_REPLY_H
#include <stdint.h>

typedef struct {
    char *buf;
    uint16_t cap;      /* bytes of buf, room for "*CCCC\n" included */
    uint16_t len;
    uint8_t overflow;
} reply_buf;

void rb_init(reply_buf *rb, char *buf, uint16_t cap);
void rb_char(reply_buf *rb, char c);
void rb_str(reply_buf *rb, const char *s);
void rb_mem(reply_buf *rb, const char *s, uint16_t n);
void rb_uint(reply_buf *rb, uint32_t v);
void rb_micro(reply_buf *rb, int64_t v);
/* Appends "*CCCC\n"; returns the line length. */
uint16_t rb_close(reply_buf *rb);

#endif
