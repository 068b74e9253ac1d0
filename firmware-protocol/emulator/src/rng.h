/* Seeded pseudo-random numbers: xoshiro256** seeded through splitmix64.
 * Each consumer (tolerances, ADC noise, faults in each direction) owns its own stream, so that e.g. turning faults
 * on does not change the drawn tolerances, and each stream is touched by one thread only. */
#ifndef CLLN_RNG_H
#define CLLN_RNG_H
#include <stdint.h>

typedef struct { uint64_t s[4]; } rng_t;

/* stream: a small constant naming the consumer; the same (seed, stream) always gives the same sequence */
void rng_seed(rng_t *r, uint64_t seed, uint64_t stream);
uint64_t rng_next(rng_t *r);
/* uniform in [0, 1) with 53 random bits */
double rng_uniform(rng_t *r);
/* standard normal (mean 0, sigma 1), Box-Muller */
double rng_gauss(rng_t *r);

enum { STREAM_TOLERANCE = 1, STREAM_ADC_NOISE = 2, STREAM_FAULT_HOST = 3, STREAM_FAULT_DEVICE = 4 };
#endif
