#include "engine.h"
#include "args.h"
#include "boardio.h"
#include "numbers.h"
#include "reply.h"
#include "../hal/hal.h"

/* ---- error codes (PROTOCOL.md 5) ---- */
#define E_BAD 400u
#define E_VERB 404u
#define E_STATE 409u
#define E_RANGE 416u
#define E_FAILED 424u
#define E_FAULT 500u
#define E_BUSY 503u

#define STEP_SAMPLES 16u
#define MEAS_DEFAULT 16u
#define MEAS_MAX 1024u
#define MAX_STEPS 1000000000UL
#define MAX_CREDITS 65535u

#define EEPROM_BOOT 0x000u
#define EEPROM_UID 0x010u

enum { RUN_NONE = 0, RUN_RUNNING, RUN_DONE, RUN_HALTED, RUN_FAILED };
enum { SCH_NONE = 0, SCH_OPEN, SCH_CLOSED };

#define MAX_INDEX (CLLN_MAX_NODES > CLLN_MAX_EDGES ? CLLN_MAX_NODES : CLLN_MAX_EDGES)

static const clln_board *B;

/* counters (STAT), since boot, wrapping */
static uint32_t boot_count, n_crc, n_overlong, n_garbage, n_dup, n_badseq, n_steps;

/* duplicate history: SEQ and CRC of the last 16 executed commands, ring with the most recent at hist_head - 1 */
static uint16_t hist_seq[CLLN_HISTORY], hist_crc[CLLN_HISTORY];
static uint8_t hist_n, hist_head;
static char last_reply[CLLN_REPLY_CAP];
static uint16_t last_len;

static char event_buf[CLLN_EVENT_CAP];

/* board state */
static uint8_t tap[CLLN_MAX_EDGES];
static uint8_t driven[CLLN_MAX_NODES], clamped[CLLN_MAX_NODES];
static int32_t drive_u[CLLN_MAX_NODES], clamp_u[CLLN_MAX_NODES];

/* schedule */
static uint8_t sch_state;
static uint32_t sch_steps;
static uint16_t sch_examples;
static uint8_t sch_nsrc, sch_ntgt;
static uint8_t sch_src[CLLN_MAX_NODES], sch_tgt[CLLN_MAX_NODES];
static int32_t sch_eta;
static uint8_t sch_have[(CLLN_MAX_SCHED + 7u) / 8u];
static int32_t sch_pool[CLLN_SCHED_POOL];

/* run */
static uint8_t run_state;
static uint32_t run_done;       /* steps completed by the present or last run */
static uint16_t run_credits;
static uint16_t run_fail;
static uint16_t fr_ex[CLLN_MAX_KEEP], fr_changed[CLLN_MAX_KEEP];
static int32_t fr_vf[CLLN_FRAME_POOL];

/* scratch */
static uint8_t p_set[MAX_INDEX];
static int32_t p_val[MAX_INDEX];
static uint8_t p_order[MAX_INDEX];
static uint8_t p_count;
static uint32_t sums_f[CLLN_MAX_NODES], sums_c[CLLN_MAX_NODES];
static int32_t step_vf[CLLN_MAX_NODES];
static uint16_t step_changed;

/* the error message of the present command (flash text), and the failed-run detail for 424 */
static const char *err_msg;

static uint16_t fail(uint16_t code, const char *msg) {
    err_msg = msg;
    return code;
}
#define FAIL(code, text) fail((code), CLLN_FSTR(text))

static void rb_fstr(reply_buf *rb, const char *f) {
    char c;
    while ((c = hal_fbyte(f)) != '\0') {
        rb_char(rb, c);
        f++;
    }
}

static void send(reply_buf *rb) {
    uint16_t n = rb_close(rb);
    hal_uart_write(rb->buf, n);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* parsing helpers that return a protocol code (0, 400 or 416) */

static uint16_t parse_u32(tok t, uint32_t *v) {
    num_status s = num_parse_uint(t.p, t.n, v);
    if (s == NUM_BAD) return FAIL(E_BAD, "an integer is required (digits, no sign, no leading zero)");
    if (s == NUM_OVER) return FAIL(E_RANGE, "integer out of range");
    return 0;
}

static uint8_t in_dac(int64_t v) { return (uint8_t)(v >= B->dac_lo_u && v <= B->dac_hi_u); }
static uint8_t in_eta(int64_t v) { return (uint8_t)(v >= B->eta_lo_u && v <= B->eta_hi_u); }

/* A pair list INDEX:VALUE with indices below `limit`. Spelling errors (400) first, whatever comes later in the
 * list; an index at or beyond `limit` or a value too large for the receiver is remembered and reported as 416
 * once the whole list is spelled right. On success p_set/p_val hold the pairs, p_order the listed order. */
static uint16_t parse_pairs(tok list, uint16_t limit, uint8_t int_values) {
    for (uint16_t i = 0; i < limit; i++) p_set[i] = 0;
    p_count = 0;
    int16_t n = list_check(list);
    if (n < 0) return FAIL(E_BAD, "malformed list (empty entry or space)");
    uint8_t range = 0;
    uint32_t far[8];      /* indices beyond the limit, kept to find one listed twice */
    uint8_t nfar = 0;
    uint16_t pos = 0;
    for (uint16_t k = 0; k < (uint16_t)n; k++) {
        tok e = list_next(list, &pos), it, vt;
        if (pair_split(e, &it, &vt)) return FAIL(E_BAD, "a pair INDEX:VALUE is required");
        uint32_t idx;
        num_status s = num_parse_uint(it.p, it.n, &idx);
        if (s == NUM_BAD) return FAIL(E_BAD, "a pair's index must be an integer");
        int32_t val = 0;
        if (int_values) {
            uint32_t u;
            num_status vs = num_parse_uint(vt.p, vt.n, &u);
            if (vs == NUM_BAD) return FAIL(E_BAD, "a tap must be written as an integer");
            if (vs == NUM_OVER || u > 0x7FFFFFFFu) range = 1;
            else val = (int32_t)u;
        } else {
            int64_t v;
            num_status vs = num_parse_micro(vt.p, vt.n, &v);
            if (vs == NUM_BAD) return FAIL(E_BAD, "malformed number (JSON grammar)");
            if (vs == NUM_OVER || v > 0x7FFFFFFFLL || v < -0x7FFFFFFFLL) range = 1;
            else val = (int32_t)v;
        }
        if (s == NUM_OVER || idx >= limit) {
            range = 1;
            if (s == NUM_OK) {
                for (uint8_t j = 0; j < nfar; j++)
                    if (far[j] == idx) return FAIL(E_BAD, "an index listed twice");
                if (nfar < 8u) far[nfar++] = idx;
            }
            continue;
        }
        if (p_set[idx]) return FAIL(E_BAD, "an index listed twice");
        p_set[idx] = 1;
        p_val[idx] = val;
        p_order[p_count++] = (uint8_t)idx;
    }
    if (range) return FAIL(E_RANGE, "index or value out of range");
    return 0;
}

/* A node pair list NODE:VOLTS (SRC, CLAMP, STEP's tgt= and src=, CYCLE) in its listed order. */
typedef struct {
    uint8_t n;
    uint8_t node[CLLN_MAX_NODES];
    int32_t v[CLLN_MAX_NODES];
} node_pairs;

/* parse_pairs over the board's nodes, copied out of the shared scratch (a command may parse two lists). */
static uint16_t parse_node_pairs(tok list, node_pairs *out) {
    uint16_t r = parse_pairs(list, B->nodes, 0);
    out->n = 0;
    if (r) return r;
    for (uint8_t k = 0; k < p_count; k++) {
        out->node[k] = p_order[k];
        out->v[k] = p_val[p_order[k]];
    }
    out->n = p_count;
    return 0;
}

/* Two node pair lists (src= and tgt=): the spelling of both first, so a 400 in either wins over a 416 in the other
 * (PROTOCOL.md 5), then the first list's 416, then the second's. */
static uint16_t parse_two_pairs(tok a, node_pairs *pa, tok b, node_pairs *pb) {
    uint16_t ra = parse_node_pairs(a, pa);
    if (ra == E_BAD) return ra;
    const char *ma = err_msg;
    uint16_t rb = parse_node_pairs(b, pb);
    if (rb == E_BAD) return rb;
    if (ra) {
        err_msg = ma;
        return ra;
    }
    return rb;
}

/* The values of node pairs as SRC (is_clamp 0) or CLAMP and STEP's targets (is_clamp 1) check them (416): the node
 * has that channel, the volts are within dac=. */
static uint16_t check_pairs(const node_pairs *p, uint8_t is_clamp) {
    const uint8_t *ch = is_clamp ? B->clamp_ch : B->drive_ch;
    for (uint8_t k = 0; k < p->n; k++) {
        if (ch[p->node[k]] == CLLN_NO_CH)
            return is_clamp ? FAIL(E_RANGE, "node has no clamp channel") : FAIL(E_RANGE, "node has no drive channel");
        if (!in_dac(p->v[k])) return FAIL(E_RANGE, "voltage outside the dac= range");
    }
    return 0;
}

/* Whether a node of `a` is also in `b` (a node driven and clamped at once: 409). */
static uint8_t pairs_overlap(const node_pairs *a, const node_pairs *b) {
    for (uint8_t i = 0; i < a->n; i++)
        for (uint8_t k = 0; k < b->n; k++)
            if (a->node[i] == b->node[k]) return 1;
    return 0;
}

/* A list of decimal numbers: spelling only (the count is returned through *count). */
static uint16_t check_values(tok list, int16_t *count) {
    int16_t n = list_check(list);
    if (n < 0) return FAIL(E_BAD, "malformed list (empty entry or space)");
    uint16_t pos = 0;
    for (uint16_t k = 0; k < (uint16_t)n; k++) {
        tok e = list_next(list, &pos);
        int64_t v;
        if (num_parse_micro(e.p, e.n, &v) == NUM_BAD) return FAIL(E_BAD, "malformed number (JSON grammar)");
    }
    *count = n;
    return 0;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* board actions */

static void apply_channels(void) { bio_channels(B, driven, drive_u, clamped, clamp_u); }

static void set_tap(uint8_t e, uint8_t t) {
    tap[e] = t;
    bio_tap(B, e, t);
}

static int32_t div_round(int64_t num, int64_t den) {
    /* half away from zero */
    return (int32_t)(num >= 0 ? (num + den / 2) / den : -((-num + den / 2) / den));
}

/* Where a target is clamped (STEP (3), CYCLE (4)): V_F + eta (V* - V_F) with V_F as reported (uV), eta in
 * millionths, exact in integers and rounded half away from zero to 1 uV, then limited to dac=. The same rule as the
 * host's cycleClamp (firmware-protocol/messages.ts), so a host computes the same clamp from a CYCLE reply. */
static int32_t clamp_target(int32_t vf, int32_t desired, int32_t eta) {
    int32_t c = vf + div_round((int64_t)eta * ((int64_t)desired - vf), 1000000);
    if (c < B->dac_lo_u) c = B->dac_lo_u;
    if (c > B->dac_hi_u) c = B->dac_hi_u;
    return c;
}

/* The free and the clamped state (STEP (1)-(4), (6); CYCLE (3)-(6)): every clamp released, `samples` conversions
 * per node summed into sums_f; targets[k] clamped at clamp_target of its free reading toward desired[k];
 * `samples` conversions again into sums_c; clamps released. step_vf[k] is target k's free reading (uV). On a
 * converter fault the clamps are released and 500 is returned. */
static uint16_t two_states(const uint8_t *targets, uint8_t n, const int32_t *desired, int32_t eta, uint16_t samples) {
    for (uint8_t i = 0; i < B->nodes; i++) clamped[i] = 0;
    apply_channels();
    if (bio_measure(B, samples, sums_f)) { return FAIL(E_FAULT, "ADC did not respond"); }
    for (uint8_t k = 0; k < n; k++) {
        uint8_t node = targets[k];
        step_vf[k] = bio_volts_u(B, sums_f[node], samples);
        clamped[node] = 1;
        clamp_u[node] = clamp_target(step_vf[k], desired[k], eta);
    }
    apply_channels();
    uint8_t fault = bio_measure(B, samples, sums_c);
    for (uint8_t i = 0; i < B->nodes; i++) clamped[i] = 0;
    apply_channels();
    if (fault) return FAIL(E_FAULT, "ADC did not respond");
    return 0;
}

/* One coupled-learning step (PROTOCOL.md 7, STEP) with targets[0..n) at desired[k] (uV), eta in millionths, with
 * the present sources. Fills step_vf (free voltages of the targets, in their order) and step_changed. On a
 * converter fault the clamps are released, no edge moves, and 500 is returned. */
static uint16_t learning_step(const uint8_t *targets, uint8_t n, const int32_t *desired, int32_t eta) {
    uint16_t r = two_states(targets, n, desired, eta, STEP_SAMPLES);
    if (r) return r;
    /* each edge one tap by sign(dV_F^2 - dV_C^2), on the sums of 16 codes: the same scale on both sides, exact */
    step_changed = 0;
    for (uint8_t e = 0; e < B->edges; e++) {
        int64_t df = (int64_t)sums_f[B->edge[e][0]] - (int64_t)sums_f[B->edge[e][1]];
        int64_t dc = (int64_t)sums_c[B->edge[e][0]] - (int64_t)sums_c[B->edge[e][1]];
        int64_t d = df * df - dc * dc;
        int16_t t = tap[e];
        if (d > 0 && t < (int16_t)(B->taps - 1)) t++;
        else if (d < 0 && t > 0) t--;
        if (t != tap[e]) {
            set_tap(e, (uint8_t)t);
            step_changed++;
        }
    }
    n_steps++;
    return 0;
}

/* The sources and clamps, saved before a STEP or CYCLE and put back when it fails on the hardware (500): a refused
 * command changes nothing on the board (PROTOCOL.md 5). */
typedef struct {
    uint8_t driven[CLLN_MAX_NODES], clamped[CLLN_MAX_NODES];
    int32_t drive_u[CLLN_MAX_NODES], clamp_u[CLLN_MAX_NODES];
} channel_state;

static void channels_save(channel_state *c) {
    for (uint8_t i = 0; i < B->nodes; i++) {
        c->driven[i] = driven[i];
        c->clamped[i] = clamped[i];
        c->drive_u[i] = drive_u[i];
        c->clamp_u[i] = clamp_u[i];
    }
}

static void channels_restore(const channel_state *c) {
    for (uint8_t i = 0; i < B->nodes; i++) {
        driven[i] = c->driven[i];
        clamped[i] = c->clamped[i];
        drive_u[i] = c->drive_u[i];
        clamp_u[i] = c->clamp_u[i];
    }
    apply_channels();
}

/* ---------------------------------------------------------------------------------------------------------- */
/* commands: each returns 0 (the OK payload appended to rb) or an error code (err_msg set) */

static void rb_list_u8(reply_buf *rb, const uint8_t *ch_of_node, uint8_t want_channel) {
    uint8_t first = 1;
    for (uint8_t i = 0; i < B->nodes; i++) {
        if ((ch_of_node[i] != CLLN_NO_CH) != want_channel) continue;
        if (!first) rb_char(rb, ',');
        rb_uint(rb, i);
        first = 0;
    }
    if (first) rb_char(rb, '-');
}

static void rb_uid(reply_buf *rb) {
    uint8_t u[8];
    hal_eeprom_read(EEPROM_UID, u, 8);
    uint8_t erased = 1;
    for (uint8_t i = 0; i < 8; i++)
        if (u[i] != 0xFF) erased = 0;
    /* big-endian hex, upper case, no leading zeros; erased reads as 0 */
    static const char hex[] = "0123456789ABCDEF";
    uint8_t started = 0;
    for (uint8_t i = 0; i < 16 && !erased; i++) {
        uint8_t d = (uint8_t)((i & 1) ? (u[i / 2] & 15) : (u[i / 2] >> 4));
        if (!started && d == 0) continue;
        started = 1;
        rb_char(rb, hex[d]);
    }
    if (!started) rb_char(rb, '0');
}

static uint16_t cmd_id(reply_buf *rb) {
    rb_fstr(rb, CLLN_FSTR(" proto=" CLLN_PROTO " fw="));
    rb_str(rb, B->fw);
    rb_fstr(rb, CLLN_FSTR(" board="));
    rb_str(rb, B->name);
    rb_fstr(rb, CLLN_FSTR(" uid="));
    rb_uid(rb);
    rb_fstr(rb, CLLN_FSTR(" boot="));
    rb_uint(rb, boot_count);
    rb_fstr(rb, CLLN_FSTR(" nodes="));
    rb_uint(rb, B->nodes);
    rb_fstr(rb, CLLN_FSTR(" edges="));
    rb_uint(rb, B->edges);
    rb_fstr(rb, CLLN_FSTR(" drive="));
    rb_list_u8(rb, B->drive_ch, 1);
    rb_fstr(rb, CLLN_FSTR(" clamp="));
    rb_list_u8(rb, B->clamp_ch, 1);
    rb_fstr(rb, CLLN_FSTR(" adc="));
    rb_uint(rb, B->adc_bits);
    rb_char(rb, ',');
    rb_micro(rb, B->adc_lo_u);
    rb_char(rb, ',');
    rb_micro(rb, B->adc_hi_u);
    rb_fstr(rb, CLLN_FSTR(" dac="));
    rb_micro(rb, B->dac_lo_u);
    rb_char(rb, ',');
    rb_micro(rb, B->dac_hi_u);
    rb_fstr(rb, CLLN_FSTR(" edge=tap,"));
    rb_uint(rb, B->taps);
    rb_fstr(rb, B->law == LAW_LINEAR ? CLLN_FSTR(" law=linear,") : CLLN_FSTR(" law=geometric,"));
    rb_micro(rb, B->law_rmin_u);
    rb_char(rb, ',');
    rb_micro(rb, B->law_rmax_u);
    rb_fstr(rb, CLLN_FSTR(" rate="));
    rb_uint(rb, B->rate);
    rb_fstr(rb, CLLN_FSTR(" eta="));
    rb_micro(rb, B->eta_lo_u);
    rb_char(rb, ',');
    rb_micro(rb, B->eta_hi_u);
    rb_fstr(rb, CLLN_FSTR(" sched="));
    rb_uint(rb, B->sched);
    rb_fstr(rb, CLLN_FSTR(" keep="));
    rb_uint(rb, B->keep);
    return 0;
}

static uint16_t cmd_topo(reply_buf *rb) {
    rb_char(rb, ' ');
    if (B->edges == 0) rb_char(rb, '-');
    for (uint8_t e = 0; e < B->edges; e++) {
        if (e) rb_char(rb, ',');
        rb_uint(rb, B->edge[e][0]);
        rb_char(rb, '-');
        rb_uint(rb, B->edge[e][1]);
    }
    return 0;
}

static uint16_t cmd_stat(reply_buf *rb) {
    static const char st0[] = "none", st1[] = "running", st2[] = "done", st3[] = "halted", st4[] = "failed";
    static const char *const states[] = {st0, st1, st2, st3, st4};
    rb_fstr(rb, CLLN_FSTR(" boot="));
    rb_uint(rb, boot_count);
    rb_fstr(rb, CLLN_FSTR(" crc="));
    rb_uint(rb, n_crc);
    rb_fstr(rb, CLLN_FSTR(" overlong="));
    rb_uint(rb, n_overlong);
    rb_fstr(rb, CLLN_FSTR(" garbage="));
    rb_uint(rb, n_garbage);
    rb_fstr(rb, CLLN_FSTR(" dup="));
    rb_uint(rb, n_dup);
    rb_fstr(rb, CLLN_FSTR(" badseq="));
    rb_uint(rb, n_badseq);
    rb_fstr(rb, CLLN_FSTR(" steps="));
    rb_uint(rb, n_steps);
    rb_fstr(rb, CLLN_FSTR(" run="));
    rb_str(rb, states[run_state]);
    rb_fstr(rb, CLLN_FSTR(" runstep="));
    rb_uint(rb, run_done);
    rb_fstr(rb, CLLN_FSTR(" runerr="));
    rb_uint(rb, run_state == RUN_FAILED ? run_fail : 0u);
    return 0;
}

/* SRC and CLAMP (PROTOCOL.md 7): absolute, all or nothing. */
static uint16_t cmd_channels(const fields *fs, uint8_t is_clamp) {
    if (fs->n != 3 || fs->more) return FAIL(E_BAD, "expected one list NODE:VOLTS,... or -");
    node_pairs p;
    uint16_t r = parse_node_pairs(fs->f[2], &p);
    if (r) return r;
    r = check_pairs(&p, is_clamp);
    if (r) return r;
    const uint8_t *other = is_clamp ? driven : clamped;
    for (uint8_t k = 0; k < p.n; k++) {
        if (other[p.node[k]])
            return is_clamp ? FAIL(E_STATE, "node is driven (SRC it off first)")
                            : FAIL(E_STATE, "node is clamped (CLAMP it off first)");
    }
    uint8_t *on = is_clamp ? clamped : driven;
    int32_t *val = is_clamp ? clamp_u : drive_u;
    for (uint8_t i = 0; i < B->nodes; i++) {
        on[i] = 0;
        val[i] = 0;
    }
    for (uint8_t k = 0; k < p.n; k++) {
        on[p.node[k]] = 1;
        val[p.node[k]] = p.v[k];
    }
    apply_channels();
    return 0;
}

/* CYCLE's and STEP src='s sources: every clamp released and exactly these nodes driven, as SRC would (PROTOCOL.md
 * 7.2); the caller applies the channels. */
static void drive_exactly(const node_pairs *src) {
    for (uint8_t i = 0; i < B->nodes; i++) {
        driven[i] = clamped[i] = 0;
        drive_u[i] = clamp_u[i] = 0;
    }
    for (uint8_t k = 0; k < src->n; k++) {
        driven[src->node[k]] = 1;
        drive_u[src->node[k]] = src->v[k];
    }
}

/* Every node's reading of `samples` conversions summed in `sums`, in node order (as MEAS writes them). */
static void rb_nodes(reply_buf *rb, const uint32_t *sums, uint16_t samples) {
    for (uint8_t i = 0; i < B->nodes; i++) {
        if (i) rb_char(rb, ',');
        rb_micro(rb, bio_volts_u(B, sums[i], samples));
    }
}

static uint16_t cmd_meas(const fields *fs, reply_buf *rb) {
    static const char k_n[] = "n";
    static const char *const keys[] = {k_n};
    tok vals[1];
    uint8_t present = 0;
    if (parse_keyed(fs, 2, keys, 1, 0, vals, &present)) return FAIL(E_BAD, "MEAS takes only n=SAMPLES");
    uint32_t n = MEAS_DEFAULT;
    if (present & 1u) {
        uint16_t r = parse_u32(vals[0], &n);
        if (r) return r;
        if (n < 1 || n > MEAS_MAX) return FAIL(E_RANGE, "n must be in 1..1024");
    }
    if (bio_measure(B, (uint16_t)n, sums_f)) return FAIL(E_FAULT, "ADC did not respond");
    rb_char(rb, ' ');
    rb_nodes(rb, sums_f, (uint16_t)n);
    return 0;
}

/* Every edge's tap in edge order, as EGET and STEP's set= write them. */
static void rb_taps(reply_buf *rb) {
    if (B->edges == 0) rb_char(rb, '-');
    for (uint8_t e = 0; e < B->edges; e++) {
        if (e) rb_char(rb, ',');
        rb_uint(rb, tap[e]);
    }
}

static uint16_t cmd_eget(reply_buf *rb) {
    rb_char(rb, ' ');
    rb_taps(rb);
    return 0;
}

static uint16_t cmd_eset(const fields *fs) {
    if (fs->n != 3 || fs->more) return FAIL(E_BAD, "expected one list EDGE:TAP,... or -");
    uint16_t r = parse_pairs(fs->f[2], B->edges, 1);
    if (r) return r;
    for (uint8_t k = 0; k < p_count; k++)
        if (p_val[p_order[k]] >= (int32_t)B->taps) return FAIL(E_RANGE, "tap outside 0..COUNT-1");
    for (uint8_t k = 0; k < p_count; k++) set_tap(p_order[k], (uint8_t)p_val[p_order[k]]);
    return 0;
}

static void rb_vf(reply_buf *rb, const int32_t *vf, uint8_t n) {
    for (uint8_t k = 0; k < n; k++) {
        if (k) rb_char(rb, ',');
        rb_micro(rb, vf[k]);
    }
}

/* STEP eta=X tgt=LIST [src=LIST] (PROTOCOL.md 7, 7.2): with src=, every clamp released and exactly those sources
 * driven first; all or nothing, so the old sources and clamps stay until every check has passed (and come back if
 * the hardware fails, 500). The reply ends with set= (protocol 1.4). */
static uint16_t cmd_step(const fields *fs, reply_buf *rb) {
    static const char k_eta[] = "eta", k_tgt[] = "tgt", k_src[] = "src";
    static const char *const keys[] = {k_eta, k_tgt, k_src};
    tok vals[3];
    uint8_t present = 0;
    /* a tap board knows no amp=: an unknown key, 400 */
    if (parse_keyed(fs, 2, keys, 3, 3u, vals, &present))
        return FAIL(E_BAD, "STEP takes eta=X tgt=LIST [src=LIST] (no amp on a tap board)");
    uint8_t with_src = (uint8_t)((present & 4u) != 0);
    int64_t eta;
    num_status es = num_parse_micro(vals[0].p, vals[0].n, &eta);
    if (es == NUM_BAD) return FAIL(E_BAD, "malformed eta");
    if (list_check(vals[1]) == 0) return FAIL(E_BAD, "tgt must list at least one NODE:VOLTS");
    node_pairs tgt, src;
    src.n = 0;
    uint16_t r = with_src ? parse_two_pairs(vals[2], &src, vals[1], &tgt) : parse_node_pairs(vals[1], &tgt);
    if (r) return r;
    if (es == NUM_OVER || !in_eta(eta)) return FAIL(E_RANGE, "eta outside the eta= range");
    r = check_pairs(&src, 0);
    if (r) return r;
    r = check_pairs(&tgt, 1);
    if (r) return r;
    if (with_src) {
        if (pairs_overlap(&tgt, &src)) return FAIL(E_STATE, "a target is also in src= (a node is driven or clamped, not both)");
    } else {
        for (uint8_t k = 0; k < tgt.n; k++)
            if (driven[tgt.node[k]]) return FAIL(E_STATE, "target is driven");
    }
    channel_state before;
    channels_save(&before);
    if (with_src) drive_exactly(&src);   /* learning_step applies the channels as it releases the clamps */
    r = learning_step(tgt.node, tgt.n, tgt.v, (int32_t)eta);
    if (r) {
        channels_restore(&before);
        return r;
    }
    rb_fstr(rb, CLLN_FSTR(" vf="));
    rb_vf(rb, step_vf, tgt.n);
    rb_fstr(rb, CLLN_FSTR(" changed="));
    rb_uint(rb, step_changed);
    rb_fstr(rb, CLLN_FSTR(" set="));
    rb_taps(rb);
    return 0;
}

/* The most nodes whose two states fit one reply line (PROTOCOL.md 7.2: 2 N numbers of up to 11 bytes). */
#define CYCLE_MAX_NODES 45u

/* CYCLE eta=X src=LIST tgt=LIST [n=SAMPLES] (PROTOCOL.md 7.2): clamps released, exactly the sources driven, every
 * node measured, each target clamped at clamp_target of its reported free reading, measured again, clamps
 * released; the sources stay driven, no edge moves, STAT steps does not count it. All or nothing. */
static uint16_t cmd_cycle(const fields *fs, reply_buf *rb) {
    static const char k_eta[] = "eta", k_src[] = "src", k_tgt[] = "tgt", k_n[] = "n";
    static const char *const keys[] = {k_eta, k_src, k_tgt, k_n};
    tok vals[4];
    uint8_t present = 0;
    /* 400: the spelling of every argument first */
    if (parse_keyed(fs, 2, keys, 4, 7u, vals, &present))
        return FAIL(E_BAD, "CYCLE takes eta=X src=LIST tgt=LIST [n=SAMPLES]");
    int64_t eta;
    num_status es = num_parse_micro(vals[0].p, vals[0].n, &eta);
    if (es == NUM_BAD) return FAIL(E_BAD, "malformed eta");
    uint32_t n = MEAS_DEFAULT;
    num_status ns = NUM_OK;
    if (present & 8u) {
        ns = num_parse_uint(vals[3].p, vals[3].n, &n);
        if (ns == NUM_BAD) return FAIL(E_BAD, "n must be an integer (digits, no sign, no leading zero)");
    }
    if (list_check(vals[2]) == 0) return FAIL(E_BAD, "tgt must list at least one NODE:VOLTS");
    node_pairs src, tgt;
    uint16_t r = parse_two_pairs(vals[1], &src, vals[2], &tgt);
    if (r) return r;
    /* 416: values */
    if (B->nodes > CYCLE_MAX_NODES) return FAIL(E_RANGE, "this board's two states do not fit one line (use SRC, CLAMP, MEAS)");
    if (es == NUM_OVER || !in_eta(eta)) return FAIL(E_RANGE, "eta outside the eta= range");
    if (ns == NUM_OVER || n < 1 || n > MEAS_MAX) return FAIL(E_RANGE, "n must be in 1..1024");
    r = check_pairs(&src, 0);
    if (r) return r;
    r = check_pairs(&tgt, 1);
    if (r) return r;
    /* 409: state */
    if (pairs_overlap(&tgt, &src)) return FAIL(E_STATE, "a target is also in src= (a node is driven or clamped, not both)");
    channel_state before;
    channels_save(&before);
    drive_exactly(&src);   /* two_states applies the channels as it releases the clamps */
    r = two_states(tgt.node, tgt.n, tgt.v, (int32_t)eta, (uint16_t)n);
    if (r) {
        channels_restore(&before);
        return r;
    }
    rb_fstr(rb, CLLN_FSTR(" vf="));
    rb_nodes(rb, sums_f, (uint16_t)n);
    rb_fstr(rb, CLLN_FSTR(" vc="));
    rb_nodes(rb, sums_c, (uint16_t)n);
    return 0;
}

/* A node list of SCHED BEGIN: integers, none twice (p_set shared between src and tgt, so a node in both is found
 * too); nodes beyond the board are remembered in *range. */
static uint16_t parse_nodes(tok list, uint8_t *out, uint8_t *count, uint8_t *range) {
    int16_t n = list_check(list);
    if (n < 0) return FAIL(E_BAD, "malformed node list");
    *count = 0;
    uint16_t pos = 0;
    for (uint16_t k = 0; k < (uint16_t)n; k++) {
        tok e = list_next(list, &pos);
        uint32_t v;
        num_status s = num_parse_uint(e.p, e.n, &v);
        if (s == NUM_BAD) return FAIL(E_BAD, "a node must be an integer");
        if (s == NUM_OVER || v >= B->nodes) { *range = 1; continue; }
        if (p_set[v]) return FAIL(E_BAD, "a node listed twice (in src, in tgt or in both)");
        p_set[v] = 1;
        out[(*count)++] = (uint8_t)v;
    }
    return 0;
}

static void drop_schedule(void) {
    sch_state = SCH_NONE;
    run_state = RUN_NONE;
    run_done = 0;
    run_credits = 0;
    run_fail = 0;
}

static uint16_t sched_begin(const fields *fs) {
    static const char k0[] = "steps", k1[] = "examples", k2[] = "src", k3[] = "tgt", k4[] = "eta";
    static const char *const keys[] = {k0, k1, k2, k3, k4};
    tok v[5];
    uint8_t present = 0;
    if (parse_keyed(fs, 3, keys, 5, 0x1Fu, v, &present))
        return FAIL(E_BAD, "SCHED BEGIN takes steps= examples= src= tgt= eta= (no amp on a tap board)");
    uint32_t steps, examples;
    num_status s1 = num_parse_uint(v[0].p, v[0].n, &steps);
    num_status s2 = num_parse_uint(v[1].p, v[1].n, &examples);
    if (s1 == NUM_BAD || s2 == NUM_BAD) return FAIL(E_BAD, "steps and examples must be integers");
    int64_t eta;
    num_status s3 = num_parse_micro(v[4].p, v[4].n, &eta);
    if (s3 == NUM_BAD) return FAIL(E_BAD, "malformed eta");
    uint8_t range = 0, src[CLLN_MAX_NODES], tgt[CLLN_MAX_NODES], nsrc, ntgt;
    for (uint8_t i = 0; i < B->nodes; i++) p_set[i] = 0;
    uint16_t r = parse_nodes(v[2], src, &nsrc, &range);
    if (r) return r;
    r = parse_nodes(v[3], tgt, &ntgt, &range);
    if (r) return r;
    if (list_check(v[3]) == 0) return FAIL(E_BAD, "tgt must list at least one node");
    if (s1 == NUM_OVER || steps < 1 || steps > MAX_STEPS) return FAIL(E_RANGE, "steps must be in 1..1000000000");
    if (s2 == NUM_OVER || examples < 1 || examples > B->sched) return FAIL(E_RANGE, "examples must be in 1..sched");
    if (range) return FAIL(E_RANGE, "node does not exist");
    for (uint8_t k = 0; k < nsrc; k++)
        if (B->drive_ch[src[k]] == CLLN_NO_CH) return FAIL(E_RANGE, "src node has no drive channel");
    for (uint8_t k = 0; k < ntgt; k++)
        if (B->clamp_ch[tgt[k]] == CLLN_NO_CH) return FAIL(E_RANGE, "tgt node has no clamp channel");
    if (s3 == NUM_OVER || !in_eta(eta)) return FAIL(E_RANGE, "eta outside the eta= range");
    drop_schedule();
    sch_state = SCH_OPEN;
    sch_steps = steps;
    sch_examples = (uint16_t)examples;
    sch_nsrc = nsrc;
    sch_ntgt = ntgt;
    for (uint8_t k = 0; k < nsrc; k++) sch_src[k] = src[k];
    for (uint8_t k = 0; k < ntgt; k++) sch_tgt[k] = tgt[k];
    sch_eta = (int32_t)eta;
    for (uint16_t i = 0; i < sizeof sch_have; i++) sch_have[i] = 0;
    return 0;
}

static uint16_t store_values(tok list, int32_t *dst) {
    int16_t n = list_check(list);
    uint16_t pos = 0;
    for (uint16_t k = 0; k < (uint16_t)n; k++) {
        tok e = list_next(list, &pos);
        int64_t v;
        if (num_parse_micro(e.p, e.n, &v) != NUM_OK || !in_dac(v)) return FAIL(E_RANGE, "voltage outside the dac= range");
        dst[k] = (int32_t)v;
    }
    return 0;
}

static uint16_t sched_ex(const fields *fs) {
    static const char k0[] = "in", k1[] = "out";
    static const char *const keys[] = {k0, k1};
    tok v[2];
    uint8_t present = 0;
    if (fs->n < 4) return FAIL(E_BAD, "SCHED EX I in=VOLTS out=VOLTS");
    uint32_t idx;
    num_status si = num_parse_uint(fs->f[3].p, fs->f[3].n, &idx);
    if (si == NUM_BAD) return FAIL(E_BAD, "the example index must be an integer");
    if (parse_keyed(fs, 4, keys, 2, 3u, v, &present)) return FAIL(E_BAD, "SCHED EX I in=VOLTS out=VOLTS");
    int16_t nin, nout;
    uint16_t r = check_values(v[0], &nin);
    if (r) return r;
    r = check_values(v[1], &nout);
    if (r) return r;
    /* outside an upload there is nothing to judge the counts, index and voltages against */
    if (sch_state != SCH_OPEN) return FAIL(E_STATE, "no schedule upload open (SCHED BEGIN first)");
    if (nin != sch_nsrc || nout != sch_ntgt) return FAIL(E_BAD, "in= needs one voltage per src node, out= one per tgt node");
    if (si == NUM_OVER || idx >= sch_examples) return FAIL(E_RANGE, "example index beyond the schedule");
    uint16_t width = (uint16_t)(sch_nsrc + sch_ntgt);
    int32_t tmp[2u * CLLN_MAX_NODES];
    r = store_values(v[0], tmp);
    if (r) return r;
    r = store_values(v[1], tmp + sch_nsrc);
    if (r) return r;
    int32_t *dst = sch_pool + (uint32_t)idx * width;
    for (uint16_t k = 0; k < width; k++) dst[k] = tmp[k];
    sch_have[idx / 8u] = (uint8_t)(sch_have[idx / 8u] | (1u << (idx % 8u)));
    return 0;
}

static uint16_t cmd_sched(const fields *fs, reply_buf *rb) {
    if (fs->n < 3) return FAIL(E_BAD, "SCHED BEGIN|EX|END");
    tok sub = fs->f[2];
    if (tok_eq(sub, "BEGIN")) return sched_begin(fs);
    if (tok_eq(sub, "EX")) return sched_ex(fs);
    if (!tok_eq(sub, "END")) return FAIL(E_BAD, "SCHED BEGIN|EX|END (upper case)");
    if (fs->n != 3 || fs->more) return FAIL(E_BAD, "SCHED END takes no arguments");
    if (sch_state != SCH_OPEN) return FAIL(E_STATE, "no schedule upload open");
    for (uint16_t i = 0; i < sch_examples; i++)
        if (!(sch_have[i / 8u] & (1u << (i % 8u)))) return FAIL(E_STATE, "an example is missing");
    sch_state = SCH_CLOSED;
    rb_fstr(rb, CLLN_FSTR(" examples="));
    rb_uint(rb, sch_examples);
    return 0;
}

static uint16_t run_failed(void) { return E_FAILED; /* message built by the caller from run_done, run_fail */ }

static uint16_t cmd_run(reply_buf *rb) {
    if (sch_state != SCH_CLOSED) return FAIL(E_STATE, "RUN needs a closed schedule (SCHED BEGIN ... SCHED END)");
    run_state = RUN_RUNNING;
    run_done = 0;
    run_credits = 0;
    run_fail = 0;
    rb_fstr(rb, CLLN_FSTR(" steps="));
    rb_uint(rb, sch_steps);
    return 0;
}

static uint16_t one_positional(const fields *fs, uint32_t *v, num_status *st) {
    if (fs->n != 3 || fs->more) return FAIL(E_BAD, "expected one integer argument");
    *st = num_parse_uint(fs->f[2].p, fs->f[2].n, v);
    if (*st == NUM_BAD) return FAIL(E_BAD, "an integer is required (digits, no sign, no leading zero)");
    return 0;
}

static uint16_t cmd_grant(const fields *fs, reply_buf *rb) {
    uint32_t k;
    num_status st;
    uint16_t r = one_positional(fs, &k, &st);
    if (r) return r;
    if (st == NUM_OVER || k > MAX_CREDITS) return FAIL(E_RANGE, "K must be in 0..65535");
    if (run_state == RUN_RUNNING && (uint32_t)run_credits + k > MAX_CREDITS) return FAIL(E_RANGE, "credits would exceed 65535");
    if (run_state == RUN_NONE) return FAIL(E_STATE, "no run (RUN first)");
    if (run_state == RUN_FAILED) return run_failed();
    if (run_state == RUN_RUNNING) run_credits = (uint16_t)(run_credits + k);
    rb_fstr(rb, CLLN_FSTR(" credits="));
    rb_uint(rb, run_state == RUN_RUNNING ? run_credits : 0u);
    return 0;
}

static uint16_t cmd_halt(reply_buf *rb) {
    if (run_state == RUN_FAILED) return run_failed();
    if (run_state == RUN_RUNNING) {
        run_state = RUN_HALTED;
        run_credits = 0;
    }
    rb_fstr(rb, CLLN_FSTR(" step="));
    rb_uint(rb, run_done);
    return 0;
}

static void rb_frame(reply_buf *rb, uint32_t s) {
    uint16_t slot = (uint16_t)(s % B->keep);
    rb_uint(rb, s);
    rb_fstr(rb, CLLN_FSTR(" ex="));
    rb_uint(rb, fr_ex[slot]);
    rb_fstr(rb, CLLN_FSTR(" vf="));
    rb_vf(rb, fr_vf + (uint32_t)slot * sch_ntgt, sch_ntgt);
    rb_fstr(rb, CLLN_FSTR(" changed="));
    rb_uint(rb, fr_changed[slot]);
}

static uint16_t cmd_resend(const fields *fs, reply_buf *rb) {
    uint32_t s;
    num_status st;
    uint16_t r = one_positional(fs, &s, &st);
    if (r) return r;
    if (st == NUM_OVER) s = 0xFFFFFFFFu;
    if (run_state == RUN_NONE) return FAIL(E_STATE, "no run");
    if (run_state == RUN_FAILED && s >= run_done) return run_failed();
    if (s >= run_done) return FAIL(E_RANGE, "frame not yet produced");
    if (run_done - s > B->keep) return FAIL(E_RANGE, "frame no longer kept (keep= in ID)");
    rb_char(rb, ' ');
    rb_frame(rb, s);
    return 0;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* dispatch */

enum { V_PING, V_ID, V_TOPO, V_STAT, V_SRC, V_CLAMP, V_MEAS, V_EGET, V_ESET, V_STEP, V_SCHED, V_RUN, V_GRANT,
       V_HALT, V_RESEND, V_RESET, V_CYCLE, V_COUNT };
static const char v0[] = "PING", v1[] = "ID", v2[] = "TOPO", v3[] = "STAT", v4[] = "SRC", v5[] = "CLAMP",
                  v6[] = "MEAS", v7[] = "EGET", v8[] = "ESET", v9[] = "STEP", v10[] = "SCHED", v11[] = "RUN",
                  v12[] = "GRANT", v13[] = "HALT", v14[] = "RESEND", v15[] = "RESET", v16[] = "CYCLE";
static const char *const verbs[V_COUNT] = {v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15, v16};

static uint8_t allowed_while_running(uint8_t v) {
    return (uint8_t)(v == V_PING || v == V_ID || v == V_STAT || v == V_GRANT || v == V_HALT || v == V_RESEND);
}

static uint8_t reboot_now;

static uint16_t cmd_reset(const fields *fs, reply_buf *rb) {
    static const char k0[] = "boot";
    static const char *const keys[] = {k0};
    tok v[1];
    uint8_t present = 0;
    if (parse_keyed(fs, 2, keys, 1, 1u, v, &present)) return FAIL(E_BAD, "RESET boot=N (N from ID or STAT)");
    uint32_t n;
    num_status st = num_parse_uint(v[0].p, v[0].n, &n);
    if (st == NUM_BAD) return FAIL(E_BAD, "boot must be an integer");
    /* a different N (or one beyond 32 bits): the board has already rebooted since the host read it */
    if (st == NUM_OK && n == boot_count) reboot_now = 1;
    rb_fstr(rb, CLLN_FSTR(" boot="));
    rb_uint(rb, boot_count);
    return 0;
}

static uint16_t execute(const fields *fs, reply_buf *rb) {
    if (fs->empty || fs->n < 2) return FAIL(E_BAD, "malformed body: SEQ VERB [ARG ...] separated by single spaces");
    uint8_t v = 0;
    while (v < V_COUNT && !tok_eq(fs->f[1], verbs[v])) v++;
    if (v == V_COUNT) return FAIL(E_VERB, "unknown verb (verbs are upper case)");
    if (run_state == RUN_RUNNING && !allowed_while_running(v)) return FAIL(E_BUSY, "busy: a run is active (HALT first)");
    uint8_t no_args = (uint8_t)(fs->n == 2 && !fs->more);
    switch (v) {
    case V_PING: return no_args ? 0 : FAIL(E_BAD, "PING takes no arguments");
    case V_ID: return no_args ? cmd_id(rb) : FAIL(E_BAD, "ID takes no arguments");
    case V_TOPO: return no_args ? cmd_topo(rb) : FAIL(E_BAD, "TOPO takes no arguments");
    case V_STAT: return no_args ? cmd_stat(rb) : FAIL(E_BAD, "STAT takes no arguments");
    case V_SRC: return cmd_channels(fs, 0);
    case V_CLAMP: return cmd_channels(fs, 1);
    case V_MEAS: return cmd_meas(fs, rb);
    case V_EGET: return no_args ? cmd_eget(rb) : FAIL(E_BAD, "EGET takes no arguments");
    case V_ESET: return cmd_eset(fs);
    case V_STEP: return cmd_step(fs, rb);
    case V_SCHED: return cmd_sched(fs, rb);
    case V_RUN: return no_args ? cmd_run(rb) : FAIL(E_BAD, "RUN takes no arguments");
    case V_GRANT: return cmd_grant(fs, rb);
    case V_HALT: return no_args ? cmd_halt(rb) : FAIL(E_BAD, "HALT takes no arguments");
    case V_RESEND: return cmd_resend(fs, rb);
    case V_CYCLE: return cmd_cycle(fs, rb);
    default: return cmd_reset(fs, rb);
    }
}

static uint8_t valid_seq(tok t, uint16_t *seq) {
    uint32_t v;
    if (num_parse_uint(t.p, t.n, &v) != NUM_OK || v < 1 || v > 65535u) return 0;
    *seq = (uint16_t)v;
    return 1;
}

static void frame(const char *body, uint16_t len, uint16_t crc) {
    fields fs;
    split_fields(body, len, &fs);
    uint16_t seq;
    if (!valid_seq(fs.f[0], &seq)) {
        n_badseq++;    /* nothing to address a reply to */
        return;
    }
    /* duplicate check: SEQ and CRC against the history, newest first */
    for (uint8_t k = 0; k < hist_n; k++) {
        uint8_t i = (uint8_t)((hist_head + CLLN_HISTORY - 1u - k) % CLLN_HISTORY);
        if (hist_seq[i] != seq || hist_crc[i] != crc) continue;
        n_dup++;
        if (k == 0) {
            hal_uart_write(last_reply, last_len);   /* byte for byte */
        } else {
            reply_buf eb;
            rb_init(&eb, event_buf, sizeof event_buf);
            rb_uint(&eb, seq);
            rb_fstr(&eb, CLLN_FSTR(" ERR 409 duplicate of an earlier command"));
            send(&eb);
        }
        return;
    }
    reply_buf rb;
    rb_init(&rb, last_reply, sizeof last_reply);
    rb_uint(&rb, seq);
    rb_fstr(&rb, CLLN_FSTR(" OK"));
    uint16_t prefix = rb.len;
    reboot_now = 0;
    err_msg = 0;
    uint16_t code = execute(&fs, &rb);
    if (code == 0 && rb.overflow) code = FAIL(E_FAULT, "reply too long");
    if (code) {
        rb.len = (uint16_t)(prefix - 2u);   /* back to "SEQ " */
        rb.overflow = 0;
        rb_fstr(&rb, CLLN_FSTR("ERR "));
        rb_uint(&rb, code);
        if (code == E_FAILED) {
            rb_fstr(&rb, CLLN_FSTR(" run failed at step "));
            rb_uint(&rb, run_done);
            rb_fstr(&rb, CLLN_FSTR(": "));
            rb_uint(&rb, run_fail);
            rb_fstr(&rb, run_fail == E_STATE ? CLLN_FSTR(" a source node was clamped")
                                            : CLLN_FSTR(" the ADC did not respond"));
        } else if (err_msg) {
            rb_char(&rb, ' ');
            rb_fstr(&rb, err_msg);
        }
    }
    send(&rb);
    if (reboot_now) {
        /* the reply leaves the wire before the watchdog bites; the history does not survive, so none is kept */
        hal_uart_flush();
        hal_reboot();
    }
    last_len = rb.len;
    hist_seq[hist_head] = seq;
    hist_crc[hist_head] = crc;
    hist_head = (uint8_t)((hist_head + 1u) % CLLN_HISTORY);
    if (hist_n < CLLN_HISTORY) hist_n++;
}

uint8_t eng_is_halt(const char *body, uint16_t len) {
    fields fs;
    split_fields(body, len, &fs);
    return (uint8_t)(fs.n >= 2 && tok_eq(fs.f[1], verbs[V_HALT]));
}

void eng_line(lr_result r, const char *body, uint16_t len, uint16_t crc) {
    switch (r) {
    case LR_OVERLONG: n_overlong++; break;
    case LR_GARBAGE: n_garbage++; break;
    case LR_CRC: n_crc++; break;
    case LR_FRAME: frame(body, len, crc); break;
    default: break;
    }
}

/* ---------------------------------------------------------------------------------------------------------- */
/* run */

uint8_t eng_run_ready(void) { return (uint8_t)(run_state == RUN_RUNNING && run_credits > 0); }

static void event_done(uint8_t failed) {
    reply_buf eb;
    rb_init(&eb, event_buf, sizeof event_buf);
    rb_fstr(&eb, CLLN_FSTR("! DONE steps="));
    rb_uint(&eb, run_done);
    if (failed) {
        rb_fstr(&eb, CLLN_FSTR(" fail="));
        rb_uint(&eb, run_fail);
    }
    send(&eb);
}

void eng_run_step(void) {
    uint32_t s = run_done;
    uint16_t ex = (uint16_t)(s % sch_examples);
    const int32_t *vals = sch_pool + (uint32_t)ex * (uint16_t)(sch_nsrc + sch_ntgt);
    uint16_t code = 0;
    /* the SRC part: exactly the schedule's sources, as SRC would (a clamped source node is 409) */
    for (uint8_t k = 0; k < sch_nsrc && !code; k++)
        if (clamped[sch_src[k]]) code = E_STATE;
    if (!code) {
        for (uint8_t i = 0; i < B->nodes; i++) driven[i] = 0;
        for (uint8_t k = 0; k < sch_nsrc; k++) {
            driven[sch_src[k]] = 1;
            drive_u[sch_src[k]] = vals[k];
        }
        apply_channels();
        code = learning_step(sch_tgt, sch_ntgt, vals + sch_nsrc, sch_eta);
    }
    if (code) {
        run_state = RUN_FAILED;
        run_fail = code;
        run_credits = 0;
        event_done(1);
        return;
    }
    uint16_t slot = (uint16_t)(s % B->keep);
    fr_ex[slot] = ex;
    fr_changed[slot] = step_changed;
    for (uint8_t k = 0; k < sch_ntgt; k++) fr_vf[(uint32_t)slot * sch_ntgt + k] = step_vf[k];
    run_done++;
    run_credits--;
    reply_buf eb;
    rb_init(&eb, event_buf, sizeof event_buf);
    rb_fstr(&eb, CLLN_FSTR("! FRAME "));
    rb_frame(&eb, s);
    send(&eb);
    if (run_done >= sch_steps) {
        run_state = RUN_DONE;
        run_credits = 0;
        event_done(0);
    }
}

/* ---------------------------------------------------------------------------------------------------------- */
/* boot */

static uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint8_t count_channels(const uint8_t *ch) {
    uint8_t n = 0;
    for (uint8_t i = 0; i < B->nodes; i++)
        if (ch[i] != CLLN_NO_CH) n++;
    return n;
}

/* a function, not an inline comparison: with the native limits some checks are always false for their types */
static uint8_t above(uint32_t v, uint32_t max) { return (uint8_t)(v > max); }

uint8_t eng_boot(const clln_board *b) {
    B = b;
    uint8_t ndrive = count_channels(b->drive_ch), nclamp = count_channels(b->clamp_ch);
    if (above(b->nodes, CLLN_MAX_NODES) || above(b->edges, CLLN_MAX_EDGES) || above(b->sched, CLLN_MAX_SCHED) ||
        (uint32_t)b->sched * (ndrive + nclamp) > CLLN_SCHED_POOL || b->keep == 0 || b->keep > CLLN_MAX_KEEP ||
        (uint32_t)b->keep * nclamp > CLLN_FRAME_POOL || b->taps > 256u || b->sw_chips > 8u)
        return 1;
    n_crc = n_overlong = n_garbage = n_dup = n_badseq = n_steps = 0;
    hist_n = hist_head = 0;
    last_len = 0;
    drop_schedule();
    /* boot counter: u32 and its complement; a torn or erased pair restarts at 0; +1 at every boot, wrapping */
    uint8_t e[8];
    hal_eeprom_read(EEPROM_BOOT, e, 8);
    uint32_t c = le32(e), cc = le32(e + 4);
    if (c != (uint32_t)~cc) c = 0;
    c++;
    for (uint8_t i = 0; i < 4; i++) {
        e[i] = (uint8_t)(c >> (8 * i));
        e[4 + i] = (uint8_t)(~c >> (8 * i));
    }
    hal_eeprom_write(EEPROM_BOOT, e, 8);
    boot_count = c;
    /* power-on state: everything released, every edge at its power-on tap whatever the pot did */
    for (uint8_t i = 0; i < b->nodes; i++) {
        driven[i] = clamped[i] = 0;
        drive_u[i] = clamp_u[i] = 0;
    }
    apply_channels();
    for (uint8_t i = 0; i < b->edges; i++) set_tap(i, b->tap_power_on);
    reply_buf eb;
    rb_init(&eb, event_buf, sizeof event_buf);
    rb_fstr(&eb, CLLN_FSTR("! BOOT fw="));
    rb_str(&eb, b->fw);
    rb_fstr(&eb, CLLN_FSTR(" proto=" CLLN_PROTO " board="));
    rb_str(&eb, b->name);
    rb_fstr(&eb, CLLN_FSTR(" boot="));
    rb_uint(&eb, boot_count);
    send(&eb);
    return 0;
}
