/* Line reader (PROTOCOL.md 1 and 2): bytes in, one of "nothing yet", "a rejected line (which counter)" or "a valid
 * frame body" out. Holds at most 1025 bytes of an unfinished line, never more, whatever the chunking. */
#ifndef CLLN_LINEREADER_H
#define CLLN_LINEREADER_H
#include <stdint.h>

#define CLLN_MAX_LINE 1024u          /* bytes of a line without LF and without the one dropped CR */
#define CLLN_MAX_BODY (CLLN_MAX_LINE - 5u)

typedef enum {
    LR_NONE = 0,    /* no line finished (or an empty line, which is ignored) */
    LR_FRAME,       /* a valid frame: body in lr->buf[0..body_len), its CRC in frame_crc */
    LR_OVERLONG,
    LR_GARBAGE,
    LR_CRC
} lr_result;

typedef struct {
    char buf[CLLN_MAX_LINE + 2];     /* 1025 bytes held at most (+1 spare for a terminating NUL) */
    uint16_t len;
    uint8_t discarding;              /* after an overlong line: drop everything up to and including the next LF */
    uint16_t body_len;
    uint16_t frame_crc;
} line_reader;

void lr_init(line_reader *lr);
lr_result lr_feed(line_reader *lr, uint8_t byte);

#endif
