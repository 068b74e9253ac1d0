#include "faults.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fail(const char *what)
{
	fprintf(stderr, "clln-emu: --faults: %s; write comma-separated garble=P,drop=P,power-every=S "
		"(P a probability 0..1 per line, the bytes up to and including a LF, in each direction; S seconds of MCU time "
		"> 0), e.g. --faults garble=0.01,drop=0.001,power-every=5\n",
		what);
	exit(2);
}

void faults_parse(const char *spec, faults_t *f)
{
	memset(f, 0, sizeof *f);
	char *copy = strdup(spec), *save = NULL, what[300];
	int seen = 0;
	for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		if (!eq) {
			snprintf(what, sizeof what, "`%s` is not key=value", item);
			fail(what);
		}
		*eq = 0;
		char *end;
		errno = 0;
		double v = strtod(eq + 1, &end);
		if (end == eq + 1 || *end || errno || !isfinite(v)) {
			snprintf(what, sizeof what, "the value of `%s` is not a number", item);
			fail(what);
		}
		int bit;
		if (!strcmp(item, "garble") || !strcmp(item, "drop")) {
			if (v < 0 || v > 1) {
				snprintf(what, sizeof what, "`%s` must be a probability in 0..1", item);
				fail(what);
			}
			if (item[0] == 'g')
				f->garble = v, bit = 1;
			else
				f->drop = v, bit = 2;
		} else if (!strcmp(item, "power-every")) {
			if (v <= 0) {
				fail("`power-every` must be a number of seconds > 0");
			}
			f->power_every = v, bit = 4;
		} else {
			snprintf(what, sizeof what, "unknown fault `%s`", item);
			fail(what);
		}
		if (seen & bit) {
			snprintf(what, sizeof what, "`%s` given twice", item);
			fail(what);
		}
		seen |= bit;
	}
	if (!seen)
		fail("no fault given");
	free(copy);
}

void line_faults_init(line_faults_t *s, uint64_t seed, uint64_t stream)
{
	memset(s, 0, sizeof *s);
	rng_seed(&s->rng, seed, stream);
}

/* the line under way has ended (its LF, or LINE_MAX_BYTES): a garbled one is corrupted and released */
static size_t line_end(line_faults_t *s, uint8_t *out)
{
	size_t n = 0;
	if (s->fate == FAULT_GARBLED) {
		size_t at = (size_t)(s->pos * (double)s->len);
		if (at >= s->len)	/* pos < 1, so only by rounding */
			at = s->len - 1;
		s->held[at] ^= (uint8_t)(1u << s->bit);
		memcpy(out, s->held, s->len);
		n = s->len;
	}
	s->len = 0;
	return n;
}

size_t line_faults_feed(const faults_t *f, line_faults_t *s, const uint8_t *in, size_t n, uint8_t *out)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = in[i];
		if (s->len == 0) {
			/* a new line: its fate, with a fixed number of draws per line (those of the kinds that are on) */
			s->lines++;
			s->fate = FAULT_NONE;
			double u_drop = f && f->drop > 0 ? rng_uniform(&s->rng) : 1;
			if (f && f->garble > 0) {
				double u_garble = rng_uniform(&s->rng);
				s->pos = rng_uniform(&s->rng);
				s->bit = (unsigned)(rng_next(&s->rng) >> 61);
				if (u_garble < f->garble)
					s->fate = FAULT_GARBLED;
			}
			/* as the twin: a dropped line is not also counted as garbled */
			if (u_drop < (f ? f->drop : 0))
				s->fate = FAULT_DROPPED;
			if (s->fate == FAULT_GARBLED)
				s->garbled++;
			else if (s->fate == FAULT_DROPPED)
				s->dropped++;
		}
		if (s->fate == FAULT_DROPPED)
			s->dropped_bytes++;
		else if (s->fate == FAULT_GARBLED)
			s->held[s->len] = c;
		else
			out[k++] = c;
		s->len++;
		if (c == '\n' || s->len == LINE_MAX_BYTES)
			k += line_end(s, out + k);
	}
	return k;
}
