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
	size_t to_dev_reserve;		/* room in to_dev kept for the garbled line the pty thread holds (its length):
					 * the pty thread reads no more while the room is at most this, and must be woken
					 * (bridge_notify_pty) when the AVR thread makes more (see to_dev_blocked) */
	int master, slave;		/* pty master; the slave kept open by us so a host may close and reopen it */
	char path[128];
	int pipe[2];			/* wakes the pty thread when the AVR thread made room or queued output */
	atomic_int pending;		/* the AVR thread should look at the rings and commands */
	int cmd_power, cmd_stats, cmd_quit;

	const faults_t *faults;		/* NULL: no line faults */
	line_faults_t lf_to_dev;	/* host -> device line faults; used by the pty thread only */
	line_faults_t lf_to_host;	/* device -> host line faults; used by the AVR thread only */
	atomic_ullong rx_bytes, tx_bytes, tx_overflow;
} bridge_t;

/* Opens the pty in raw mode; on error prints one line and exits 2. */
void bridge_open(bridge_t *b, const faults_t *faults, uint64_t seed);
/* The pty thread (arg: bridge_t *). */
void *bridge_thread(void *arg);
/* Wakes the AVR thread (caller may or may not hold the lock: it is taken here). */
void bridge_notify_avr(bridge_t *b);
/* Wakes the pty thread. */
void bridge_notify_pty(bridge_t *b);

/* Whether the pty thread waits for room in to_dev (caller holds the lock). */
static inline int to_dev_blocked(const bridge_t *b)
{
	return b->to_dev.cap - b->to_dev.len <= b->to_dev_reserve;
}

size_t ring_push(ring_t *r, const uint8_t *p, size_t n);
size_t ring_pop(ring_t *r, uint8_t *p, size_t n);
#endif
