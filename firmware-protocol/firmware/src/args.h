/* Body and argument parsing (PROTOCOL.md 3, 3.3, 3.4): fields, keyed arguments, lists and pair lists. Only
 * spelling is judged here (400); ranges and state are the engine's (416, 409). */
#ifndef CLLN_ARGS_H
#define CLLN_ARGS_H
#include <stdint.h>
#include "numbers.h"

typedef struct {
    const char *p;
    uint16_t n;
} tok;

#define ARGS_MAX_FIELDS 12u   /* SCHED BEGIN, the longest command, has 9 */

typedef struct {
    tok f[ARGS_MAX_FIELDS];
    uint8_t n;          /* fields stored (at most ARGS_MAX_FIELDS) */
    uint8_t more;       /* there were more fields than stored */
    uint8_t empty;      /* some field is empty: a leading, trailing or doubled space */
} fields;

void split_fields(const char *body, uint16_t len, fields *out);
uint8_t tok_eq(tok t, const char *s);

/* Keyed arguments f[from..n): every field KEY=VALUE with KEY one of keys[], none twice, every key whose bit is
 * set in `required` present. Returns 0 when well formed (vals[i] set for present keys, bit i of *present), else 1
 * (400). */
uint8_t parse_keyed(const fields *fs, uint8_t from, const char *const *keys, uint8_t nkeys, uint8_t required,
                    tok *vals, uint8_t *present);

/* List iteration: `-` is the empty list; otherwise entries separated by ','; an empty entry is malformed.
 * list_check returns the entry count, or -1 when malformed. list_next gives the entry that starts at *pos (0 for
 * the first) and moves *pos to the next one: one pass over the list, so a 1019-byte list of ~250 entries costs
 * ~1000 character steps, not 250 x 1000 (tens of ms at 16 MHz, beyond the 50 ms latency bound). */
int16_t list_check(tok list);
tok list_next(tok list, uint16_t *pos);

/* An entry INDEX:VALUE of a pair list: exactly one ':' with an integer before it. */
uint8_t pair_split(tok entry, tok *index, tok *value);

#endif
