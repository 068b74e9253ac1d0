/* Injected faults (--faults garble=P,drop=P,power-every=S): per line, in each direction, with seeded streams.
 * A line is the bytes up to and including a LF, as the twin (twins/TwinServer.ts) counts them, so that one spelling
 * means the same for both boards: garble=0.01 corrupts 1 % of the lines, whatever their length. */
#ifndef CLLN_FAULTS_H
#define CLLN_FAULTS_H
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include "rng.h"

/* PROTOCOL.md: a line is at most 1024 bytes + CR + LF on the wire. A run of this many bytes without a LF is cut
 * there and counted as a line of its own, so that a garbled line is never held longer than a valid line's time. */
#define LINE_MAX_BYTES 1026

typedef struct {
	double garble;		/* probability that a line gets one bit of one of its bytes flipped */
	double drop;		/* probability that a line is lost, all its bytes */
	double power_every;	/* seconds of MCU time between power cycles, 0 = never */
} faults_t;

/* Parses SPEC; on error prints one line (argument, rule, fix) and exits 2. */
void faults_parse(const char *spec, faults_t *f);

enum { FAULT_NONE, FAULT_GARBLED, FAULT_DROPPED };

/* One direction's line state machine. The line's fate is drawn at its first byte, from the direction's own stream,
 * with the same number of draws for every line (the kinds that are on), so a seed gives the same faults for the same
 * line boundaries whatever the bytes are. A dropped line's bytes are discarded as they come. A garbled line's bytes
 * are held until its LF (or LINE_MAX_BYTES), because only then is its length known: one byte chosen uniformly among
 * them (with the position draw taken at the first byte) gets one bit flipped, and the line is released. Lines
 * neither dropped nor garbled pass at once, unheld. */
typedef struct {
	rng_t rng;
	int fate;			/* FAULT_* of the line under way; meaningful while len > 0 */
	double pos;			/* uniform [0, 1): where in a garbled line, scaled by its length at the end */
	unsigned bit;			/* 0..7: which bit of that byte */
	size_t len;			/* bytes of the line under way so far (0: between lines) */
	uint8_t held[LINE_MAX_BYTES];	/* a garbled line's bytes until its end */
	/* counters, read by the stats of another thread: lines begun, lines by their fate (counted at their first
	 * byte), bytes of dropped lines */
	atomic_ullong lines, garbled, dropped, dropped_bytes;
} line_faults_t;

void line_faults_init(line_faults_t *s, uint64_t seed, uint64_t stream);

/* Feeds n bytes of one direction through the faults: writes the bytes to pass on into out, which must have room for
 * n + LINE_MAX_BYTES, and returns their count. f NULL: no faults (bytes pass, lines are still counted). */
size_t line_faults_feed(const faults_t *f, line_faults_t *s, const uint8_t *in, size_t n, uint8_t *out);
#endif
