#define _GNU_SOURCE
#include "bridge.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* host -> device: 4 KB is ~0.35 s at 115200 baud; when full, the host's writes wait in the kernel (back-pressure
 * like a USB bridge's). device -> host: 64 KB, beyond which bytes are lost (counted in tx_overflow) because no host
 * reads the port. */
#define TO_DEV_CAP 4096
#define TO_HOST_CAP 65536

size_t ring_push(ring_t *r, const uint8_t *p, size_t n)
{
	size_t done = 0;
	while (done < n && r->len < r->cap) {
		r->buf[(r->head + r->len) % r->cap] = p[done++];
		r->len++;
	}
	return done;
}

size_t ring_pop(ring_t *r, uint8_t *p, size_t n)
{
	size_t done = 0;
	while (done < n && r->len) {
		p[done++] = r->buf[r->head];
		r->head = (r->head + 1) % r->cap;
		r->len--;
	}
	return done;
}

static void fail(const char *what)
{
	fprintf(stderr, "clln-emu: cannot open a pseudo-terminal: %s (%s); check that /dev/ptmx and /dev/pts are "
		"available (in a container, mount devpts)\n", what, strerror(errno));
	exit(2);
}

void bridge_open(bridge_t *b, const faults_t *faults, uint64_t seed)
{
	memset(b, 0, sizeof *b);
	pthread_mutex_init(&b->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&b->wake, &ca);
	b->to_dev.cap = TO_DEV_CAP;
	b->to_dev.buf = malloc(TO_DEV_CAP);
	b->to_host.cap = TO_HOST_CAP;
	b->to_host.buf = malloc(TO_HOST_CAP);
	b->faults = faults;
	rng_seed(&b->rng_to_dev, seed, STREAM_FAULT_HOST);
	rng_seed(&b->rng_to_host, seed, STREAM_FAULT_DEVICE);

	b->master = posix_openpt(O_RDWR | O_NOCTTY);
	if (b->master < 0)
		fail("posix_openpt");
	if (grantpt(b->master) || unlockpt(b->master))
		fail("grantpt/unlockpt");
	const char *name = ptsname(b->master);
	if (!name || strlen(name) >= sizeof b->path)
		fail("ptsname");
	strcpy(b->path, name);
	/* keep a slave open ourselves: without it the master reads EIO once a host closes the port */
	b->slave = open(b->path, O_RDWR | O_NOCTTY);
	if (b->slave < 0)
		fail("open slave");
	struct termios t;
	if (tcgetattr(b->slave, &t))
		fail("tcgetattr");
	cfmakeraw(&t);
	cfsetispeed(&t, B115200);
	cfsetospeed(&t, B115200);
	if (tcsetattr(b->slave, TCSANOW, &t))
		fail("tcsetattr");
	fcntl(b->master, F_SETFL, fcntl(b->master, F_GETFL) | O_NONBLOCK);
	if (pipe2(b->pipe, O_NONBLOCK | O_CLOEXEC))
		fail("pipe");
}

void bridge_notify_avr(bridge_t *b)
{
	pthread_mutex_lock(&b->lock);
	atomic_store(&b->pending, 1);
	pthread_cond_signal(&b->wake);
	pthread_mutex_unlock(&b->lock);
}

void bridge_notify_pty(bridge_t *b)
{
	char c = 0;
	/* a full pipe already means "wake up" */
	if (write(b->pipe[1], &c, 1) < 0 && errno != EAGAIN)
		perror("clln-emu: wake pipe");
}

void *bridge_thread(void *arg)
{
	bridge_t *b = arg;
	uint8_t buf[1024];
	for (;;) {
		pthread_mutex_lock(&b->lock);
		size_t room = b->to_dev.cap - b->to_dev.len;
		size_t out = b->to_host.len;
		pthread_mutex_unlock(&b->lock);

		struct pollfd p[2] = {
			{ .fd = b->master, .events = (room ? POLLIN : 0) | (out ? POLLOUT : 0) },
			{ .fd = b->pipe[0], .events = POLLIN },
		};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("clln-emu: poll");
			exit(1);
		}
		if (p[1].revents & POLLIN)
			while (read(b->pipe[0], buf, sizeof buf) > 0)
				;
		if (room && (p[0].revents & POLLIN)) {
			ssize_t n = read(b->master, buf, room < sizeof buf ? room : sizeof buf);
			if (n > 0) {
				atomic_fetch_add(&b->rx_bytes, n);
				size_t kept = 0;
				for (ssize_t i = 0; i < n; i++) {
					uint8_t c = buf[i];
					int f = b->faults ? faults_apply(b->faults, &b->rng_to_dev, &c) : FAULT_NONE;
					if (f == FAULT_DROPPED) {
						atomic_fetch_add(&b->dropped, 1);
						continue;
					}
					if (f == FAULT_GARBLED)
						atomic_fetch_add(&b->garbled, 1);
					buf[kept++] = c;
				}
				pthread_mutex_lock(&b->lock);
				ring_push(&b->to_dev, buf, kept);
				atomic_store(&b->pending, 1);
				pthread_cond_signal(&b->wake);
				pthread_mutex_unlock(&b->lock);
			}
		}
		if (out && (p[0].revents & POLLOUT)) {
			pthread_mutex_lock(&b->lock);
			/* the contiguous part at the head, written without holding the lock's data copy long */
			size_t n = b->to_host.len;
			size_t first = b->to_host.cap - b->to_host.head;
			if (n > first)
				n = first;
			if (n > sizeof buf)
				n = sizeof buf;
			memcpy(buf, b->to_host.buf + b->to_host.head, n);
			pthread_mutex_unlock(&b->lock);
			ssize_t w = write(b->master, buf, n);
			if (w > 0) {
				pthread_mutex_lock(&b->lock);
				/* only the AVR thread appends (at the tail), so the head bytes just written are still the ones there */
				size_t k = (size_t)w < b->to_host.len ? (size_t)w : b->to_host.len;
				b->to_host.head = (b->to_host.head + k) % b->to_host.cap;
				b->to_host.len -= k;
				pthread_mutex_unlock(&b->lock);
			}
		}
	}
	return NULL;
}
