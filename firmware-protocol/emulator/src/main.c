/* clln-emu: runs the clln-ref16 firmware (.elf) cycle-accurately on libsimavr and emulates the board around it:
 * SPI chips, the resistor network, the ADC inputs, the host serial port (a pty) and injected faults.
 * Threads: the AVR thread (everything that touches simavr), the pty thread (bridge.c), a signal thread, and the
 * main thread reading stdin commands. See README.md. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sim_avr.h>
#include <sim_elf.h>
#include <sim_irq.h>
#include <sim_io.h>
#include <sim_regbit.h>
#include <avr_adc.h>
#include <avr_eeprom.h>
#include <avr_ioport.h>
#include <avr_spi.h>
#include <avr_uart.h>

#include "bridge.h"
#include "chips.h"
#include "faults.h"
#include "model.h"
#include "network.h"
#include "rng.h"

#define MCU_NAME "atmega2560"
#define MCU_HZ 16000000u
#define EEPROM_SIZE 4096
#define EE_UID 0x010		/* HARDWARE.md, EEPROM layout: 8 bytes of board uid */
/* ATmega2560 register addresses in data space (datasheet, register summary) */
#define R_SPCR 0x4C
#define R_UCSR0B 0xC1
#define B_RXEN0 4

/* real-time pacing of a sleeping MCU (see emu_sleep): wait only when at least MIN_WAIT ahead of the wall clock;
 * never run more than AHEAD_MAX ahead or fall more than LAG_MAX behind (beyond those the anchor moves) */
#define MIN_WAIT_NS 1000000LL
#define AHEAD_MAX_NS 2000000LL
#define LAG_MAX_NS 20000000LL

static struct {
	const char *elf, *model_file, *eeprom_file, *truth_file;
	uint64_t seed;
	int exit_with_stdin;
	faults_t faults;
	int have_faults;
	int have_uid;
	uint64_t uid;
} opt = { .seed = 1 };

static avr_t *avr;
static model_t model;
static network_t net;
static chips_t chips;
static bridge_t br;
static rng_t rng_noise;
static avr_adc_t *adc;
static int adc_channel_of_mux[64];	/* single-ended input of each ADMUX/MUX5 setting, -1 for the others */
static avr_irq_t *uart_irq, *adc_irq;
static int uart_xoff;
static int eeprom_dirty;
static uint8_t eeprom_saved[EEPROM_SIZE];
static uint64_t power_cycles;
static avr_cycle_count_t next_power_cycle;
static long long pace_anchor_ns;	/* wall clock (monotonic) at MCU time 0 */
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static void usage_fail(const char *what, const char *fix)
{
	fprintf(stderr, "clln-emu: %s; %s (usage: clln-emu --elf FILE --model FILE [--seed N] [--faults SPEC] "
		"[--eeprom FILE] [--uid HEX] [--dump-truth FILE] [--exit-with-stdin])\n", what, fix);
	exit(2);
}

static long long now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static long long mcu_ns(avr_cycle_count_t c)
{
	return (long long)((double)c * 1e9 / avr->frequency);
}

/* simavr's messages go to stderr (stdout carries READY and stats), errors only */
static void logger(avr_t *a, const int level, const char *fmt, va_list ap)
{
	(void)a;
	if (level > LOG_ERROR)
		return;
	pthread_mutex_lock(&out_lock);
	fputs("simavr: ", stderr);
	vfprintf(stderr, fmt, ap);
	pthread_mutex_unlock(&out_lock);
}

/* ---- EEPROM ---- */

static uint8_t *eeprom_bytes(void)
{
	avr_eeprom_desc_t d = { .ee = NULL, .offset = 0, .size = EEPROM_SIZE };
	avr_ioctl(avr, AVR_IOCTL_EEPROM_GET, &d);	/* returns -1 even on success in simavr 1.6 */
	return d.ee;
}

static void eeprom_save(void)
{
	if (!opt.eeprom_file)
		return;
	uint8_t *ee = eeprom_bytes();
	if (!memcmp(ee, eeprom_saved, EEPROM_SIZE))
		return;
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp", opt.eeprom_file);
	FILE *f = fopen(tmp, "wb");
	if (!f || fwrite(ee, 1, EEPROM_SIZE, f) != EEPROM_SIZE || fclose(f) || rename(tmp, opt.eeprom_file)) {
		fprintf(stderr, "clln-emu: cannot save the EEPROM to %s: %s\n", opt.eeprom_file, strerror(errno));
		return;
	}
	memcpy(eeprom_saved, ee, EEPROM_SIZE);
}

static void eeprom_load(void)
{
	uint8_t *ee = eeprom_bytes();
	if (opt.eeprom_file) {
		FILE *f = fopen(opt.eeprom_file, "rb");
		if (f) {
			uint8_t buf[EEPROM_SIZE + 1];
			size_t n = fread(buf, 1, sizeof buf, f);
			fclose(f);
			if (n > EEPROM_SIZE)
				usage_fail("--eeprom: the file is larger than the ATmega2560's 4096-byte EEPROM",
					   "give a file written by clln-emu, or a new path");
			memcpy(ee, buf, n);
		} else if (errno != ENOENT) {
			fprintf(stderr, "clln-emu: --eeprom %s: cannot be read (%s); give a readable file or a new path\n",
				opt.eeprom_file, strerror(errno));
			exit(2);
		}
		/* a missing file is an erased EEPROM (0xFF, as simavr starts); it is created at the first write */
		memcpy(eeprom_saved, ee, EEPROM_SIZE);
	}
	if (opt.have_uid) {
		/* big-endian, zero-padded on the left: what the firmware's `make uid` writes and its ID reports */
		for (int i = 0; i < 8; i++)
			ee[EE_UID + i] = (uint8_t)(opt.uid >> (8 * (7 - i)));
		eeprom_save();
	}
}

static void eecr_written(avr_t *a, avr_io_addr_t addr, uint8_t v, void *param)
{
	(void)a, (void)addr, (void)v, (void)param;
	eeprom_dirty = 1;	/* simavr's own handler (called before this one) did the write */
}

/* ---- chips: select pins and SPI ---- */

/* --dump-truth is rewritten at once when a chip changes, so that a host that saw the firmware's answer to a
 * command also sees the chip state it set (a test feature: one ~5 KB write per changing SPI word) */
static void truth_update(void)
{
	if (chips.changed) {
		chips.changed = 0;
		if (opt.truth_file)
			network_dump_truth(&net, opt.truth_file);
	}
}

static void cs_changed(avr_irq_t *irq, uint32_t value, void *param)
{
	(void)irq;
	chips_select(&chips, (int)(intptr_t)param, value & 1);
	truth_update();
}

static void spi_out(avr_irq_t *irq, uint32_t value, void *param)
{
	(void)irq, (void)param;
	chips_spi_byte(&chips, (uint8_t)value, avr->data[R_SPCR]);
}

/* ---- ADC ---- */

static void adc_trigger(avr_irq_t *irq, uint32_t value, void *param)
{
	(void)irq, (void)value, (void)param;
	int muxi = avr_regbit_get_array(avr, adc->mux, ARRAY_SIZE(adc->mux));
	int ch = adc_channel_of_mux[muxi & 63];
	if (ch < 0)
		return;	/* differential or reference settings: simavr's own behaviour */
	double v = net.v[ch] + model.adc_noise * rng_gauss(&rng_noise);
	/* the ideal 10-bit converter of the datasheet: code = floor(V * 1024 / VREF), clamped to 0..1023 */
	double x = floor(v * 1024.0 / model.vref);
	int code = x < 0 ? 0 : x > 1023 ? 1023 : (int)x;
	/* simavr 1.6 takes integer millivolts and computes floor(mV * 1023 / AVCC); the smallest mV that gives
	 * `code` there: ceil(code * AVCC / 1023) (one code spans 4.9 mV > 1 mV, so it is exactly `code`) */
	uint32_t avcc = avr->avcc;
	uint32_t mv = ((uint32_t)code * avcc + 1022) / 1023;
	avr_raise_irq(adc_irq + ADC_IRQ_ADC0, mv);
}

/* simavr 1.6 stores only ADC0..7 (ADC8..15 would index past its 8-entry array): every single-ended setting is
 * pointed at slot 0, which adc_trigger fills with the selected channel's value when the conversion starts. That
 * also latches the input at the start of the conversion, as the real sample-and-hold does. */
static void adc_setup(void)
{
	for (avr_io_t *p = avr->io_port; p; p = p->next)
		if (!strcmp(p->kind, "adc"))
			adc = (avr_adc_t *)p;
	if (!adc) {
		fprintf(stderr, "clln-emu: this simavr core has no ADC\n");
		exit(2);
	}
	for (int i = 0; i < 64; i++) {
		adc_channel_of_mux[i] = -1;
		if (adc->muxmode[i].kind == ADC_MUX_SINGLE && adc->muxmode[i].src < N_NODES) {
			adc_channel_of_mux[i] = adc->muxmode[i].src;
			adc->muxmode[i].src = 0;
		}
	}
	adc_irq = avr_io_getirq(avr, AVR_IOCTL_ADC_GETIRQ, 0);
	avr_irq_register_notify(adc_irq + ADC_IRQ_OUT_TRIGGER, adc_trigger, NULL);
}

/* ---- UART ---- */

static int rx_enabled(void)
{
	return avr->data[R_UCSR0B] >> B_RXEN0 & 1;
}

/* host bytes into the UART while its FIFO has room (XOFF not signalled); AVR thread only */
static void inject_host_bytes(void)
{
	for (;;) {
		if (uart_xoff)
			return;
		/* bytes wait while the receiver is off (simavr would drop them): the firmware enables it microseconds
		 * of MCU time after a boot, but the host may write before the AVR thread got there in wall time. A power
		 * cycle discards what waits (power_cycle), so bytes sent into a reboot are still lost. */
		if (!rx_enabled())
			return;
		uint8_t c;
		pthread_mutex_lock(&br.lock);
		int was_full = br.to_dev.len == br.to_dev.cap;
		size_t n = ring_pop(&br.to_dev, &c, 1);
		pthread_mutex_unlock(&br.lock);
		if (was_full && n)
			bridge_notify_pty(&br);
		if (!n)
			return;
		avr_raise_irq(uart_irq + UART_IRQ_INPUT, c);
	}
}

static void uart_xon(avr_irq_t *irq, uint32_t value, void *param)
{
	(void)irq, (void)value, (void)param;
	uart_xoff = 0;
	inject_host_bytes();	/* also how held bytes reach a receiver that was just enabled */
}

static void uart_xoff_irq(avr_irq_t *irq, uint32_t value, void *param)
{
	(void)irq, (void)param;
	uart_xoff = value != 0;
}

static void uart_out(avr_irq_t *irq, uint32_t value, void *param)
{
	(void)irq, (void)param;
	uint8_t c = (uint8_t)value;
	atomic_fetch_add(&br.tx_bytes, 1);
	int f = opt.have_faults ? faults_apply(&opt.faults, &br.rng_to_host, &c) : FAULT_NONE;
	if (f == FAULT_DROPPED) {
		atomic_fetch_add(&br.dropped, 1);
		return;
	}
	if (f == FAULT_GARBLED)
		atomic_fetch_add(&br.garbled, 1);
	pthread_mutex_lock(&br.lock);
	int was_empty = br.to_host.len == 0;
	if (!ring_push(&br.to_host, &c, 1))
		atomic_fetch_add(&br.tx_overflow, 1);
	pthread_mutex_unlock(&br.lock);
	if (was_empty)
		bridge_notify_pty(&br);
}

/* ---- pacing: a sleeping MCU runs in real time ---- */

static void emu_sleep(avr_t *a, avr_cycle_count_t how_long)
{
	long long now = now_ns();
	long long target = pace_anchor_ns + mcu_ns(a->cycle + how_long);
	long long ahead = target - now;
	if (ahead > AHEAD_MAX_NS)
		pace_anchor_ns -= ahead - AHEAD_MAX_NS, ahead = AHEAD_MAX_NS;
	if (ahead < -LAG_MAX_NS)
		pace_anchor_ns += -LAG_MAX_NS - ahead, ahead = -LAG_MAX_NS;
	if (ahead < MIN_WAIT_NS)
		return;
	long long until = now + ahead;
	struct timespec ts = { .tv_sec = until / 1000000000LL, .tv_nsec = until % 1000000000LL };
	pthread_mutex_lock(&br.lock);
	while (!atomic_load(&br.pending))
		if (pthread_cond_timedwait(&br.wake, &br.lock, &ts) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&br.lock);
}

/* ---- power, stats, quit ---- */

static void power_cycle(void)
{
	avr_reset(avr);
	avr_regbit_set(avr, avr->reset_flags.porf);
	chips_power_on(&chips);
	/* bytes the host sent that the MCU had not received are lost with it */
	pthread_mutex_lock(&br.lock);
	int was_full = br.to_dev.len == br.to_dev.cap;
	br.to_dev.len = 0;
	br.to_dev.head = 0;
	pthread_mutex_unlock(&br.lock);
	if (was_full)
		bridge_notify_pty(&br);
	/* the UART FIFO was emptied by the reset; XOFF is filtered (called on changes only), so set it to 0 */
	avr_raise_irq(uart_irq + UART_IRQ_OUT_XOFF, 0);
	uart_xoff = 0;
	power_cycles++;
	eeprom_save();
	truth_update();
}

static void print_stats(void)
{
	pthread_mutex_lock(&out_lock);
	printf("{\"mcu_seconds\":%.9f,\"cycles\":%llu,\"rx_bytes\":%llu,\"tx_bytes\":%llu,\"garbled\":%llu,"
	       "\"dropped\":%llu,\"power_cycles\":%llu,\"malformed\":%llu,\"spi_words\":%llu,\"dac_control\":%llu,"
	       "\"tx_overflow\":%llu}\n",
	       (double)avr->cycle / avr->frequency, (unsigned long long)avr->cycle,
	       (unsigned long long)br.rx_bytes, (unsigned long long)br.tx_bytes, (unsigned long long)br.garbled,
	       (unsigned long long)br.dropped, (unsigned long long)power_cycles,
	       (unsigned long long)chips.malformed, (unsigned long long)chips.words,
	       (unsigned long long)chips.dac_control, (unsigned long long)br.tx_overflow);
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

static void finish(void)
{
	eeprom_save();
	if (opt.truth_file)
		network_dump_truth(&net, opt.truth_file);
	pthread_mutex_lock(&out_lock);
	fflush(stdout);
	exit(0);
}

static void handle_pending(void)
{
	atomic_store(&br.pending, 0);
	pthread_mutex_lock(&br.lock);
	int power = br.cmd_power, stats = br.cmd_stats, quit = br.cmd_quit;
	br.cmd_power = br.cmd_stats = 0;
	pthread_mutex_unlock(&br.lock);
	if (quit)
		finish();
	if (power)
		power_cycle();
	if (stats)
		print_stats();
	inject_host_bytes();
}

static void after_batch(void)
{
	if (eeprom_dirty) {
		eeprom_dirty = 0;
		eeprom_save();
	}
	if (next_power_cycle && avr->cycle >= next_power_cycle) {
		power_cycle();
		next_power_cycle += (avr_cycle_count_t)(opt.faults.power_every * avr->frequency);
	}
}

static void *avr_thread(void *arg)
{
	(void)arg;
	int reported_stop = 0;
	pace_anchor_ns = now_ns() - mcu_ns(avr->cycle);
	for (;;) {
		if (atomic_load_explicit(&br.pending, memory_order_relaxed))
			handle_pending();
		int state = avr->state;
		if (state == cpu_Running || state == cpu_Sleeping) {
			reported_stop = 0;
			/* housekeeping (EEPROM file, power-every) after at most 4096 instructions or 1 ms of MCU time,
			 * whichever comes first (a sleeping MCU advances up to a timer period per avr_run) */
			avr_cycle_count_t until = avr->cycle + avr->frequency / 1000;
			for (int i = 0; i < 4096 && avr->cycle < until &&
			     !atomic_load_explicit(&br.pending, memory_order_relaxed); i++) {
				state = avr_run(avr);
				if (state != cpu_Running && state != cpu_Sleeping)
					break;
			}
		} else {
			if (!reported_stop) {
				pthread_mutex_lock(&out_lock);
				fprintf(stderr, "clln-emu: the MCU stopped (%s); `power` restarts it\n",
					state == cpu_Done ? "sleep with interrupts off" : "crashed");
				pthread_mutex_unlock(&out_lock);
				reported_stop = 1;
			}
			/* a dead MCU's clock still runs, so that power-every and stats keep moving */
			emu_sleep(avr, avr->frequency / 100);
			avr->cycle += avr->frequency / 100;
		}
		after_batch();
	}
	return NULL;
}

static void *signal_thread(void *arg)
{
	sigset_t *set = arg;
	int sig;
	sigwait(set, &sig);
	pthread_mutex_lock(&br.lock);
	br.cmd_quit = 1;
	pthread_mutex_unlock(&br.lock);
	bridge_notify_avr(&br);
	return NULL;
}

/* ---- setup ---- */

static void parse_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int has_value = i + 1 < argc;
		char what[300];
		if (!strcmp(a, "--exit-with-stdin")) {
			opt.exit_with_stdin = 1;
			continue;
		}
		if (!strcmp(a, "--elf") || !strcmp(a, "--model") || !strcmp(a, "--seed") || !strcmp(a, "--faults") ||
		    !strcmp(a, "--eeprom") || !strcmp(a, "--uid") || !strcmp(a, "--dump-truth")) {
			if (!has_value) {
				snprintf(what, sizeof what, "%s needs a value", a);
				usage_fail(what, "give it after the option");
			}
			const char *v = argv[++i];
			char *end;
			if (!strcmp(a, "--elf"))
				opt.elf = v;
			else if (!strcmp(a, "--model"))
				opt.model_file = v;
			else if (!strcmp(a, "--eeprom"))
				opt.eeprom_file = v;
			else if (!strcmp(a, "--dump-truth"))
				opt.truth_file = v;
			else if (!strcmp(a, "--faults")) {
				faults_parse(v, &opt.faults);
				opt.have_faults = 1;
			} else if (!strcmp(a, "--seed")) {
				errno = 0;
				opt.seed = strtoull(v, &end, 10);
				if (!*v || *end || errno || *v == '-')
					usage_fail("--seed must be an integer 0..18446744073709551615", "write e.g. --seed 7");
			} else {
				errno = 0;
				opt.uid = strtoull(v, &end, 16);
				if (!*v || *end || errno || strlen(v) > 16 || *v == '-' || *v == '+' || strchr(v, 'x') ||
				    strchr(v, 'X'))
					usage_fail("--uid must be 1 to 16 hex digits (the 8-byte board uid)",
						   "write e.g. --uid 00c0ffee12345678");
				opt.have_uid = 1;
			}
			continue;
		}
		snprintf(what, sizeof what, "unknown argument `%s`", a);
		usage_fail(what, "use only the options below");
	}
	if (!opt.elf)
		usage_fail("--elf is missing", "give the firmware, e.g. --elf build/clln-ref16-115200.elf");
	if (!opt.model_file)
		usage_fail("--model is missing",
			   "give the board model, e.g. --model firmware-protocol/emulator/models/clln-ref16.model");
}

/* simavr 1.6's ELF reader does not check what it reads (a text file makes it loop): check the header first,
 * a 32-bit ELF for machine EM_AVR (83) */
static int is_avr_elf(const char *file)
{
	unsigned char h[20];
	FILE *f = fopen(file, "rb");
	if (!f)
		return 0;
	size_t n = fread(h, 1, sizeof h, f);
	fclose(f);
	return n == sizeof h && !memcmp(h, "\x7f" "ELF", 4) && h[4] == 1 /* ELFCLASS32 */ &&
	       h[5] == 1 /* little-endian */ && (h[18] | h[19] << 8) == 83;
}

static avr_irq_t *ioport_irq(char port, int pin)
{
	return avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ(port), pin);
}

int main(int argc, char **argv)
{
	parse_args(argc, argv);
	model_read(opt.model_file, &model);
	avr_global_logger_set(logger);

	if (access(opt.elf, R_OK)) {
		fprintf(stderr, "clln-emu: --elf %s: cannot be read (%s); build the firmware first "
			"(make -C firmware-protocol/firmware O=DIR)\n", opt.elf, strerror(errno));
		exit(2);
	}
	static elf_firmware_t fw;	/* large: not on the stack */
	if (!is_avr_elf(opt.elf) || elf_read_firmware(opt.elf, &fw)) {
		fprintf(stderr, "clln-emu: --elf %s: not an AVR ELF file simavr can load; give the .elf (not the .hex) "
			"of the firmware\n", opt.elf);
		exit(2);
	}
	if (!fw.mmcu[0])
		strcpy(fw.mmcu, MCU_NAME);	/* no .mmcu section: the board's MCU */
	if (strcmp(fw.mmcu, MCU_NAME)) {
		fprintf(stderr, "clln-emu: --elf %s: built for %s; the clln-ref16 board has an %s, rebuild for it\n",
			opt.elf, fw.mmcu, MCU_NAME);
		exit(2);
	}
	if (!fw.frequency)
		fw.frequency = MCU_HZ;
	avr = avr_make_mcu_by_name(fw.mmcu);
	if (!avr) {
		fprintf(stderr, "clln-emu: this libsimavr has no %s core\n", fw.mmcu);
		exit(2);
	}
	avr_init(avr);
	avr_load_firmware(avr, &fw);
	/* AVCC and AREF at the model's reference (5 V): the ADC's reference is AVCC on this board */
	avr->vcc = avr->avcc = avr->aref = (uint32_t)lround(model.vref * 1000);
	avr->sleep = emu_sleep;
	avr->log = LOG_ERROR;

	network_init(&net, &model, opt.seed);
	chips_init(&chips, &net);
	rng_seed(&rng_noise, opt.seed, STREAM_ADC_NOISE);
	eeprom_load();

	/* UART0: no stdio echo, no usleep on polled status reads (our pacing handles idling) */
	uint32_t flags = 0;
	avr_ioctl(avr, AVR_IOCTL_UART_SET_FLAGS('0'), &flags);
	uart_irq = avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), 0);
	avr_irq_register_notify(uart_irq + UART_IRQ_OUTPUT, uart_out, NULL);
	avr_irq_register_notify(uart_irq + UART_IRQ_OUT_XON, uart_xon, NULL);
	avr_irq_register_notify(uart_irq + UART_IRQ_OUT_XOFF, uart_xoff_irq, NULL);

	for (int c = 0; c < N_CHIPS; c++)
		avr_irq_register_notify(ioport_irq('A', c), cs_changed, (void *)(intptr_t)c);
	avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_SPI_GETIRQ(0), SPI_IRQ_OUTPUT), spi_out, NULL);
	adc_setup();
	avr_register_io_write(avr, 0x3F /* EECR */, eecr_written, NULL);

	if (opt.faults.power_every > 0)
		next_power_cycle = (avr_cycle_count_t)(opt.faults.power_every * avr->frequency);
	if (opt.truth_file && network_dump_truth(&net, opt.truth_file)) {
		fprintf(stderr, "clln-emu: --dump-truth %s: cannot be written (%s); give a writable path\n",
			opt.truth_file, strerror(errno));
		exit(2);
	}

	bridge_open(&br, opt.have_faults ? &opt.faults : NULL, opt.seed);

	/* SIGTERM and SIGINT go to the signal thread only; a closed stdout must not kill us */
	static sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	pthread_t t_sig, t_pty, t_avr;
	pthread_create(&t_sig, NULL, signal_thread, &set);
	pthread_create(&t_pty, NULL, bridge_thread, &br);
	pthread_create(&t_avr, NULL, avr_thread, NULL);

	pthread_mutex_lock(&out_lock);
	printf("READY %s\n", br.path);
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);

	char line[256];
	while (fgets(line, sizeof line, stdin)) {
		line[strcspn(line, "\r\n")] = 0;
		char *cmd = line + strspn(line, " \t");
		cmd[strcspn(cmd, " \t")] = 0;
		if (!*cmd)
			continue;
		pthread_mutex_lock(&br.lock);
		int known = 1;
		if (!strcmp(cmd, "power"))
			br.cmd_power = 1;
		else if (!strcmp(cmd, "stats"))
			br.cmd_stats = 1;
		else if (!strcmp(cmd, "quit"))
			br.cmd_quit = 1;
		else
			known = 0;
		pthread_mutex_unlock(&br.lock);
		if (known)
			bridge_notify_avr(&br);
		else {
			pthread_mutex_lock(&out_lock);
			fprintf(stderr, "clln-emu: unknown command `%s` on stdin; use power, stats or quit\n", cmd);
			pthread_mutex_unlock(&out_lock);
		}
	}
	if (opt.exit_with_stdin) {
		pthread_mutex_lock(&br.lock);
		br.cmd_quit = 1;
		pthread_mutex_unlock(&br.lock);
		bridge_notify_avr(&br);
	}
	pthread_join(t_avr, NULL);
	return 0;
}
