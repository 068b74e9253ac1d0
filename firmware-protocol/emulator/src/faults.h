/* Injected faults (--faults garble=P,drop=P,power-every=S): per byte, in both directions, with seeded streams. */
#ifndef CLLN_FAULTS_H
#define CLLN_FAULTS_H
#include <stdint.h>
#include "rng.h"

typedef struct {
	double garble;		/* probability that a byte gets one random bit flipped */
	double drop;		/* probability that a byte is lost */
	double power_every;	/* seconds of MCU time between power cycles, 0 = never */
} faults_t;

/* Parses SPEC; on error prints one line (argument, rule, fix) and exits 2. */
void faults_parse(const char *spec, faults_t *f);

enum { FAULT_NONE, FAULT_GARBLED, FAULT_DROPPED };
/* Applies the faults to one byte with the direction's own generator: returns FAULT_DROPPED (byte lost),
 * FAULT_GARBLED (*byte has one bit flipped) or FAULT_NONE. A dropped byte is not also counted as garbled. */
int faults_apply(const faults_t *f, rng_t *r, uint8_t *byte);
#endif
