/* Number grammar of PROTOCOL.md 3.3 in exact integer arithmetic. Decimal numbers become int64 micro-units (the
 * value rounded to 6 decimals); no floating point touches a wire value (avr-gcc's double is a 32-bit float). */
#ifndef CLLN_NUMBERS_H
#define CLLN_NUMBERS_H
#include <stdint.h>

typedef enum {
    NUM_OK = 0,
    NUM_BAD,    /* spelling: 400 */
    NUM_OVER    /* spelled right but too large for the receiver: 416 wherever a range applies */
} num_status;

/* Largest magnitude kept, in micro-units (1e9 units): far beyond every range of the protocol, so anything larger
 * is reported NUM_OVER and judged out of range. */
#define NUM_MICRO_LIMIT 1000000000000000LL

/* `0|[1-9][0-9]*`, value up to 4294967295 (else NUM_OVER). */
num_status num_parse_uint(const char *s, uint16_t len, uint32_t *out);
/* JSON number grammar, rounded to the nearest multiple of 1e-6 (half away from zero); -0 is 0. */
num_status num_parse_micro(const char *s, uint16_t len, int64_t *out);

/* Writers: return the number of chars written into out (no NUL). out needs 21 bytes. */
uint8_t num_write_uint(char *out, uint32_t v);
/* Fixed point, at most 6 decimals, no trailing zeros or '.', "0" for zero, never "-0". */
uint8_t num_write_micro(char *out, int64_t micro);

#endif
