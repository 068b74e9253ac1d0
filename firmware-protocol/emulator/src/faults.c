#include "faults.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fail(const char *what)
{
	fprintf(stderr, "clln-emu: --faults: %s; write comma-separated garble=P,drop=P,power-every=S "
		"(P a probability 0..1 per byte, S seconds of MCU time > 0), e.g. --faults garble=0.001,drop=0.001\n",
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

int faults_apply(const faults_t *f, rng_t *r, uint8_t *byte)
{
	/* one uniform draw per byte and kind, always taken when the kind is on, so that the sequence of faults
	 * for a seed does not depend on the data */
	if (f->drop > 0 && rng_uniform(r) < f->drop)
		return FAULT_DROPPED;
	if (f->garble > 0 && rng_uniform(r) < f->garble) {
		*byte ^= (uint8_t)(1u << (rng_next(r) >> 61));
		return FAULT_GARBLED;
	}
	return FAULT_NONE;
}
