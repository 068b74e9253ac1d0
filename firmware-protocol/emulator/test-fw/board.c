/* Board test program for clln-emu: drives the clln-ref16 chips over SPI exactly as HARDWARE.md says and reads
 * the ADC, on commands from the host, one per line (decimal numbers, answers end in \n):
 *   P e t         tap t of edge e (AD5206 #e/6, address e%6)        -> "ok"
 *   D c code      AD5328 channel c (0..7), 12-bit code              -> "ok"
 *   S byte        ADG714 switch byte                                 -> "ok"
 *   X m cpha n b1..bn  raw: selects = PORTA bits m low, n bytes in SPI mode (0, cpha), selects high -> "ok"
 *   A ch          one conversion of ADC channel ch after a discarded one -> the 10-bit code
 *   M             all 16 channels, as A, space-separated            -> 16 codes
 *   E addr        EEPROM byte                                        -> value
 *   W addr val    write an EEPROM byte                              -> "ok"
 *   B ms          busy for ms milliseconds of MCU time (no sleep)   -> "ok" (measures the emulator's busy speed)
 * Every answer starts with "> ", which no other line has: a host that opened the port in the middle of the boot
 * banner ("boot mcusr=N", N = MCUSR, then cleared) can tell its tail from an answer. */
#include <avr/eeprom.h>
#include <util/delay.h>
#include "uart.h"
#include "avr_mcu_section.h"

AVR_MCU(16000000, "atmega2560");

static void spi_mode(uint8_t cpha)
{
	/* SPI master, fosc/4, MSB first, CPOL 0 */
	SPCR = (1 << SPE) | (1 << MSTR) | (cpha ? (1 << CPHA) : 0);
}

static void spi_byte(uint8_t b)
{
	SPDR = b;
	while (!(SPSR & (1 << SPIF)))
		;
}

static void word(uint8_t cs_mask, uint8_t cpha, uint8_t n, const uint8_t *b)
{
	spi_mode(cpha);
	PORTA &= (uint8_t)~cs_mask;
	for (uint8_t i = 0; i < n; i++)
		spi_byte(b[i]);
	PORTA |= cs_mask;
}

static uint16_t adc_read(uint8_t ch)
{
	ADMUX = (1 << REFS0) | (ch & 7);	/* AVCC reference */
	ADCSRB = ch >= 8 ? (1 << MUX5) : 0;
	uint16_t v = 0;
	for (uint8_t i = 0; i < 2; i++) {	/* the first conversion after a channel change is thrown away */
		ADCSRA |= 1 << ADSC;
		while (ADCSRA & (1 << ADSC))
			;
		v = ADC;
	}
	return v;
}

static char line[96];

static uint8_t read_line(void)
{
	uint8_t n = 0;
	for (;;) {
		uint8_t c = uart_get();
		if (c == '\n')
			break;
		if (c != '\r' && n < sizeof line - 1)
			line[n++] = (char)c;
	}
	line[n] = 0;
	return n;
}

static const char *pos;

static uint32_t num(void)
{
	while (*pos == ' ')
		pos++;
	uint32_t v = 0;
	while (*pos >= '0' && *pos <= '9')
		v = v * 10 + (uint32_t)(*pos++ - '0');
	return v;
}

int main(void)
{
	uint8_t mcusr = MCUSR;
	MCUSR = 0;
	DDRB |= (1 << PB0) | (1 << PB1) | (1 << PB2);	/* SS, SCK, MOSI outputs (SS must be for master mode) */
	PORTA |= 0x3f;					/* every select high, then outputs */
	DDRA |= 0x3f;
	ADCSRA = (1 << ADEN) | (1 << ADPS2) | (1 << ADPS1) | (1 << ADPS0);	/* 125 kHz ADC clock */
	uart_init();
	sei();
	uart_puts("boot mcusr=");
	uart_putu(mcusr);
	uart_put('\n');
	for (;;) {
		if (!read_line())
			continue;
		pos = line + 1;
		uint8_t b[8];
		uart_puts("> ");
		switch (line[0]) {
		case 'P': {
			uint8_t e = (uint8_t)num(), t = (uint8_t)num();
			b[0] = e % 6;
			b[1] = t;
			word((uint8_t)(1 << (e / 6)), 0, 2, b);
			uart_puts("ok\n");
			break;
		}
		case 'D': {
			uint8_t c = (uint8_t)num();
			uint16_t code = (uint16_t)num();
			b[0] = (uint8_t)(((c & 7) << 4) | ((code >> 8) & 0x0f));
			b[1] = (uint8_t)code;
			word(1 << 4, 1, 2, b);
			uart_puts("ok\n");
			break;
		}
		case 'S':
			b[0] = (uint8_t)num();
			word(1 << 5, 1, 1, b);
			uart_puts("ok\n");
			break;
		case 'X': {
			uint8_t m = (uint8_t)num(), cpha = (uint8_t)num(), n = (uint8_t)num();
			for (uint8_t i = 0; i < n && i < sizeof b; i++)
				b[i] = (uint8_t)num();
			word(m, cpha, n, b);
			uart_puts("ok\n");
			break;
		}
		case 'A':
			uart_putu(adc_read((uint8_t)num()));
			uart_put('\n');
			break;
		case 'M':
			for (uint8_t ch = 0; ch < 16; ch++) {
				if (ch)
					uart_put(' ');
				uart_putu(adc_read(ch));
			}
			uart_put('\n');
			break;
		case 'E':
			uart_putu(eeprom_read_byte((const uint8_t *)(uintptr_t)num()));
			uart_put('\n');
			break;
		case 'W': {
			uint16_t a = (uint16_t)num();
			eeprom_write_byte((uint8_t *)(uintptr_t)a, (uint8_t)num());
			uart_puts("ok\n");
			break;
		}
		case 'B':
			for (uint32_t ms = num(); ms; ms--)
				_delay_ms(1);
			uart_puts("ok\n");
			break;
		default:
			uart_puts("?\n");
		}
	}
}
