/* UART0 <-> pseudo-terminal bridge: the host side. One thread moves bytes between the pty master and two rings;
 * the AVR thread (main.c) moves them between the rings and the UART's irqs, so irqs are raised only there. */
#ifndef CLLN_BRIDGE_H
#define CLLN_BRIDGE_H
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include "faults.h"
#include "rng.h"

typedef struct {
	uint8_t *buf;
	size_t cap, head, len;
} ring_t;

typedef struct {
	pthread_mutex_t lock;		/* guards the rings and the command flags */
	pthread_cond_t wake;		/* signalled when the AVR thread has something to do */
	ring_t to_dev, to_host;		/* host -> device bytes not yet given to the UART; device -> host not yet written */
	int master, slave;		/* pty master; the slave kept open by us so a host may close and reopen it */
	char path[128];
	int pipe[2];			/* wakes the pty thread when the AVR thread made room or queued output */
	atomic_int pending;		/* the AVR thread should look at the rings and commands */
	int cmd_power, cmd_stats, cmd_quit;

	const faults_t *faults;		/* NULL: no byte faults */
	rng_t rng_to_dev;		/* used by the pty thread only */
	rng_t rng_to_host;		/* used by the AVR thread only */
	atomic_ullong rx_bytes, tx_bytes, garbled, dropped, tx_overflow;
} bridge_t;

/* Opens the pty in raw mode; on error prints one line and exits 2. */
void bridge_open(bridge_t *b, const faults_t *faults, uint64_t seed);
/* The pty thread (arg: bridge_t *). */
void *bridge_thread(void *arg);
/* Wakes the AVR thread (caller may or may not hold the lock: it is taken here). */
void bridge_notify_avr(bridge_t *b);
/* Wakes the pty thread. */
void bridge_notify_pty(bridge_t *b);

size_t ring_push(ring_t *r, const uint8_t *p, size_t n);
size_t ring_pop(ring_t *r, uint8_t *p, size_t n);
#endif
