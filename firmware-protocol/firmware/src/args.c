#include "args.h"

void split_fields(const char *body, uint16_t len, fields *out) {
    out->n = 0;
    out->more = 0;
    out->empty = 0;
    uint16_t start = 0;
    for (uint16_t i = 0; i <= len; i++) {
        if (i == len || body[i] == ' ') {
            if (i == start) out->empty = 1;
            if (out->n < ARGS_MAX_FIELDS) {
                out->f[out->n].p = body + start;
                out->f[out->n].n = (uint16_t)(i - start);
                out->n++;
            } else {
                out->more = 1;
            }
            start = (uint16_t)(i + 1);
        }
    }
}

uint8_t tok_eq(tok t, const char *s) {
    uint16_t i = 0;
    for (; i < t.n; i++) {
        if (s[i] == '\0' || s[i] != t.p[i]) return 0;
    }
    return (uint8_t)(s[i] == '\0');
}

uint8_t parse_keyed(const fields *fs, uint8_t from, const char *const *keys, uint8_t nkeys, uint8_t required,
                    tok *vals, uint8_t *present) {
    uint8_t seen = 0;
    if (fs->more) return 1;
    for (uint8_t i = from; i < fs->n; i++) {
        tok t = fs->f[i];
        uint16_t eq = 0;
        while (eq < t.n && t.p[eq] != '=') eq++;
        if (eq == t.n) return 1;                       /* a positional argument where keys are expected */
        tok key = {t.p, eq};
        uint8_t k = 0;
        while (k < nkeys && !tok_eq(key, keys[k])) k++;
        if (k == nkeys) return 1;                      /* unknown key (keys are case-sensitive) */
        if (seen & (1u << k)) return 1;                /* a key given twice */
        seen = (uint8_t)(seen | (1u << k));
        vals[k].p = t.p + eq + 1;
        vals[k].n = (uint16_t)(t.n - eq - 1);
    }
    if ((seen & required) != required) return 1;
    *present = seen;
    return 0;
}

int16_t list_check(tok list) {
    if (list.n == 1 && list.p[0] == '-') return 0;
    if (list.n == 0) return -1;
    int16_t count = 1;
    uint16_t start = 0;
    for (uint16_t i = 0; i <= list.n; i++) {
        if (i == list.n || list.p[i] == ',') {
            if (i == start) return -1;
            if (i < list.n) count++;
            start = (uint16_t)(i + 1);
        }
    }
    return count;
}

tok list_next(tok list, uint16_t *pos) {
    uint16_t i = *pos, j = i;
    while (j < list.n && list.p[j] != ',') j++;
    tok t = {list.p + i, (uint16_t)(j - i)};
    *pos = (uint16_t)(j + 1u);
    return t;
}

uint8_t pair_split(tok entry, tok *index, tok *value) {
    uint16_t c = 0;
    while (c < entry.n && entry.p[c] != ':') c++;
    if (c == entry.n) return 1;
    index->p = entry.p;
    index->n = c;
    value->p = entry.p + c + 1;
    value->n = (uint16_t)(entry.n - c - 1);
    /* a second ':' makes the value's spelling wrong; the number parsers refuse it */
    return 0;
}
