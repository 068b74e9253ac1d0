#include "model.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *g_file;

static void fail(int line, const char *what, const char *fix)
{
	if (line)
		fprintf(stderr, "clln-emu: model %s line %d: %s; %s\n", g_file, line, what, fix);
	else
		fprintf(stderr, "clln-emu: model %s: %s; %s\n", g_file, what, fix);
	exit(2);
}

/* a finite decimal number and nothing else */
static int parse_number(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v))
		return 0;
	*out = v;
	return 1;
}

enum { K_BOARD, K_LATTICE, K_RS, K_RW, K_RAB, K_RON, K_LEAK, K_NOISE, K_VREF, K_COUNT };
static const char *const key_names[K_COUNT] = {
	"board", "lattice", "rs", "rw", "rab", "switch_ron", "leak", "adc_noise", "vref"
};

void model_read(const char *file, model_t *m)
{
	g_file = file;
	FILE *f = fopen(file, "r");
	if (!f) {
		char what[300];
		snprintf(what, sizeof what, "cannot be read (%s)", strerror(errno));
		fail(0, what, "give --model an existing model file, e.g. firmware-protocol/emulator/models/clln-ref16.model");
	}
	memset(m, 0, sizeof *m);
	int seen[K_COUNT] = { 0 };
	char buf[512], what[700];
	int line = 0;
	while (fgets(buf, sizeof buf, f)) {
		line++;
		if (!strchr(buf, '\n') && !feof(f))
			fail(line, "line longer than 510 characters", "keep each `key value [sigma]` on one short line");
		char *hash = strchr(buf, '#');
		if (hash)
			*hash = 0;
		char *tok[5];
		int n = 0;
		for (char *t = strtok(buf, " \t\r\n"); t; t = strtok(NULL, " \t\r\n")) {
			if (n == 4)
				fail(line, "too many words", "write `key value [sigma]`, comments after #");
			tok[n++] = t;
		}
		if (!n)
			continue;
		int k;
		for (k = 0; k < K_COUNT; k++)
			if (!strcmp(tok[0], key_names[k]))
				break;
		if (k == K_COUNT) {
			snprintf(what, sizeof what, "unknown key `%s`", tok[0]);
			fail(line, what, "use one of board, lattice, rs, rw, rab, switch_ron, leak, adc_noise, vref");
		}
		if (seen[k]) {
			snprintf(what, sizeof what, "key `%s` given twice (first on line %d)", tok[0], seen[k]);
			fail(line, what, "keep one line per key");
		}
		seen[k] = line;
		double v[3] = { 0, 0, 0 };
		if (k == K_BOARD) {
			if (n != 2 || strlen(tok[1]) >= sizeof m->board)
				fail(line, "`board` takes one name of at most 63 characters", "write e.g. `board clln-ref16`");
			strcpy(m->board, tok[1]);
			continue;
		}
		if (k == K_LATTICE) {
			if (n != 3 || !parse_number(tok[1], &v[0]) || !parse_number(tok[2], &v[1]))
				fail(line, "`lattice` takes two integers, rows and cols", "write `lattice 4 4`");
			if (v[0] != 4 || v[1] != 4)
				fail(line, "the clln-ref16 board wires a 4 x 4 lattice (16 ADC inputs, 24 pot channels)",
				     "write `lattice 4 4`");
			m->rows = 4;
			m->cols = 4;
			continue;
		}
		int with_sigma = (k == K_RS || k == K_RW || k == K_RAB);
		if (n < 2 || n > (with_sigma ? 3 : 2)) {
			snprintf(what, sizeof what, "`%s` takes %s", tok[0],
				 with_sigma ? "a value and an optional relative sigma" : "exactly one value");
			fail(line, what, with_sigma ? "write e.g. `rab 10000 0.2`" : "write e.g. `leak 1e-8`");
		}
		for (int i = 1; i < n; i++)
			if (!parse_number(tok[i], &v[i - 1])) {
				snprintf(what, sizeof what, "`%s` is not a number", tok[i]);
				fail(line, what, "write a decimal number such as 1000, 0.2 or 1e-8");
			}
		switch (k) {
		case K_RS: case K_RW: case K_RAB: {
			tolerance_t *t = k == K_RS ? &m->rs : k == K_RW ? &m->rw : &m->rab;
			if (v[0] <= 0) {
				snprintf(what, sizeof what, "`%s` must be a resistance > 0 ohm", tok[0]);
				fail(line, what, "give the nominal value in ohm");
			}
			/* draws are truncated at 3 sigma; below 1/3 every drawn value stays positive */
			if (v[1] < 0 || v[1] >= 1.0 / 3) {
				snprintf(what, sizeof what, "the sigma of `%s` must be in 0 .. 0.333 (relative)", tok[0]);
				fail(line, what, "give a relative standard deviation such as 0.2 for 20 %");
			}
			t->nominal = v[0];
			t->sigma = v[1];
			break;
		}
		case K_RON:
			if (v[0] <= 0)
				fail(line, "`switch_ron` must be > 0 ohm", "write e.g. `switch_ron 2.5`");
			m->switch_ron = v[0];
			break;
		case K_LEAK:
			if (v[0] <= 0)
				fail(line, "`leak` must be a conductance > 0 S (it keeps a floating node defined)",
				     "write e.g. `leak 1e-8` (100 MOhm)");
			m->leak = v[0];
			break;
		case K_NOISE:
			if (v[0] < 0 || v[0] > 1)
				fail(line, "`adc_noise` must be in 0 .. 1 volt rms", "write e.g. `adc_noise 0.001`");
			m->adc_noise = v[0];
			break;
		case K_VREF:
			if (v[0] <= 0 || v[0] > 5.5)
				fail(line, "`vref` must be in 0 .. 5.5 volt (the ATmega2560's AVCC range)",
				     "write `vref 5.0`");
			m->vref = v[0];
			break;
		}
	}
	fclose(f);
	for (int k = 0; k < K_COUNT; k++)
		if (!seen[k]) {
			snprintf(what, sizeof what, "key `%s` is missing", key_names[k]);
			fail(0, what, "add it (see firmware-protocol/emulator/README.md, \"Model file\")");
		}
}
