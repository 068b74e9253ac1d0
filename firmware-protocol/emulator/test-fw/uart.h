/* Interrupt-driven UART0 for the emulator's test programs: 115200 baud 8N1 with U2X0 (UBRR0 = 16), as
 * HARDWARE.md; reception into a ring in the RX interrupt, the main loop sleeps (SLEEP_MODE_IDLE) when idle. */
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/sleep.h>
#include <stdint.h>

static volatile uint8_t rx_buf[256];
static volatile uint8_t rx_head, rx_tail;

ISR(USART0_RX_vect)
{
	uint8_t c = UDR0;
	if ((uint8_t)(rx_head + 1) != rx_tail) {
		rx_buf[rx_head] = c;
		rx_head++;
	}
}

static void uart_init(void)
{
	UBRR0 = 16;
	UCSR0A = 1 << U2X0;
	UCSR0C = (1 << UCSZ01) | (1 << UCSZ00);
	UCSR0B = (1 << RXEN0) | (1 << TXEN0) | (1 << RXCIE0);
}

/* blocks, sleeping, until a byte arrives */
static uint8_t uart_get(void)
{
	for (;;) {
		cli();
		if (rx_head != rx_tail) {
			uint8_t c = rx_buf[rx_tail];
			rx_tail++;
			sei();
			return c;
		}
		set_sleep_mode(SLEEP_MODE_IDLE);
		sleep_enable();
		sei();	/* the instruction after sei runs before any interrupt: no lost wake-up */
		sleep_cpu();
		sleep_disable();
	}
}

static void uart_put(uint8_t c)
{
	while (!(UCSR0A & (1 << UDRE0)))
		;
	UDR0 = c;
}

__attribute__((unused)) static void uart_puts(const char *s)
{
	while (*s)
		uart_put((uint8_t)*s++);
}

__attribute__((unused)) static void uart_putu(uint32_t v)
{
	char b[11];
	int i = 0;
	do
		b[i++] = (char)('0' + v % 10);
	while (v /= 10);
	while (i)
		uart_put((uint8_t)b[--i]);
}
