#include "numbers.h"

static uint8_t is_digit(char c) { return (uint8_t)(c >= '0' && c <= '9'); }

num_status num_parse_uint(const char *s, uint16_t len, uint32_t *out) {
    if (len == 0) return NUM_BAD;
    if (s[0] == '0' && len > 1) return NUM_BAD;       /* no leading zeros */
    uint32_t v = 0;
    uint8_t over = 0;
    for (uint16_t i = 0; i < len; i++) {
        if (!is_digit(s[i])) return NUM_BAD;
        uint8_t d = (uint8_t)(s[i] - '0');
        if (v > (0xFFFFFFFFu - d) / 10u) over = 1;     /* keep scanning: a later bad char is still 400 */
        else v = v * 10u + d;
    }
    if (over) return NUM_OVER;
    *out = v;
    return NUM_OK;
}

num_status num_parse_micro(const char *s, uint16_t len, int64_t *out) {
    uint16_t i = 0;
    uint8_t neg = 0;
    if (i < len && s[i] == '-') { neg = 1; i++; }
    /* integer part: 0 | [1-9][0-9]* */
    uint16_t int_start = i;
    if (i >= len || !is_digit(s[i])) return NUM_BAD;
    if (s[i] == '0') i++;
    else while (i < len && is_digit(s[i])) i++;
    uint16_t int_end = i;
    uint16_t frac_start = i, frac_end = i;
    if (i < len && s[i] == '.') {
        i++;
        frac_start = i;
        while (i < len && is_digit(s[i])) i++;
        frac_end = i;
        if (frac_end == frac_start) return NUM_BAD;   /* "1." */
    }
    int32_t exp10 = 0;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        uint8_t eneg = 0;
        if (i < len && (s[i] == '+' || s[i] == '-')) { eneg = (uint8_t)(s[i] == '-'); i++; }
        if (i >= len || !is_digit(s[i])) return NUM_BAD;
        while (i < len && is_digit(s[i])) {
            /* saturate: beyond 1e7 the value is 0 or far out of range either way */
            if (exp10 < 10000000) exp10 = exp10 * 10 + (s[i] - '0');
            i++;
        }
        if (eneg) exp10 = -exp10;
    }
    if (i != len) return NUM_BAD;

    /* Value in micro-units = digits * 10^(power). The last integer digit has power shift = exp10 + 6; digits
     * are visited from the most significant down. Those of power >= 0 accumulate; the one of power -1 rounds. */
    int32_t shift = exp10 + 6;
    uint16_t nint = (uint16_t)(int_end - int_start);
    uint16_t nfrac = (uint16_t)(frac_end - frac_start);
    uint16_t ndig = (uint16_t)(nint + nfrac);
    uint64_t acc = 0;
    uint8_t over = 0, round_up = 0;
    for (uint16_t k = 0; k < ndig; k++) {
        char c = k < nint ? s[int_start + k] : s[frac_start + (k - nint)];
        uint8_t d = (uint8_t)(c - '0');
        int32_t power = (int32_t)nint - 1 - (int32_t)k + shift;
        if (power >= 0) {
            if (acc > (uint64_t)NUM_MICRO_LIMIT / 10u) { if (d || acc) over = 1; }
            else acc = acc * 10u + d;
            if (acc > (uint64_t)NUM_MICRO_LIMIT) over = 1;
        } else if (power == -1) {
            round_up = (uint8_t)(d >= 5);
        } else {
            break;   /* further digits are below the rounding digit */
        }
    }
    /* trailing powers of ten when the last digit sits above 10^0 (e.g. 1e3 -> 1000 * 10^6) */
    int32_t last_power = (int32_t)nint - 1 - (int32_t)(ndig - 1) + shift;
    for (int32_t p = last_power; p > 0 && acc != 0 && !over; p--) {
        acc *= 10u;
        if (acc > (uint64_t)NUM_MICRO_LIMIT) over = 1;
    }
    if (over) return NUM_OVER;
    acc += round_up;
    int64_t v = (int64_t)acc;
    *out = neg ? -v : v;
    return NUM_OK;
}

uint8_t num_write_uint(char *out, uint32_t v) {
    char tmp[10];
    uint8_t n = 0;
    do { tmp[n++] = (char)('0' + v % 10u); v /= 10u; } while (v);
    for (uint8_t i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
    return n;
}

uint8_t num_write_micro(char *out, int64_t micro) {
    uint8_t n = 0;
    uint64_t a;
    if (micro < 0) { out[n++] = '-'; a = (uint64_t)(-micro); }
    else a = (uint64_t)micro;
    uint64_t ip = a / 1000000u;
    uint32_t fp = (uint32_t)(a % 1000000u);
    /* integer part (may exceed 32 bits only for absurd values; written digit by digit) */
    char tmp[20];
    uint8_t t = 0;
    do { tmp[t++] = (char)('0' + (uint8_t)(ip % 10u)); ip /= 10u; } while (ip);
    while (t) out[n++] = tmp[--t];
    if (fp) {
        out[n++] = '.';
        char f[6];
        for (int8_t i = 5; i >= 0; i--) { f[i] = (char)('0' + fp % 10u); fp /= 10u; }
        uint8_t last = 6;
        while (last > 0 && f[last - 1] == '0') last--;
        for (uint8_t i = 0; i < last; i++) out[n++] = f[i];
    }
    return n;
}
