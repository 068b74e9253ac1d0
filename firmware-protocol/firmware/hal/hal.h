/* The one hardware layer between the portable core (src/) and a microcontroller. hal/atmega2560.c implements it
 * for the Arduino Mega 2560 (HARDWARE.md); hal/native.c for the host build that runs the core in tests. Porting
 * the firmware (e.g. to an Arduino Due) means writing one more file like hal/atmega2560.c. */
#ifndef CLLN_HAL_H
#define CLLN_HAL_H
#include <stdint.h>

#ifdef __AVR__
/* Constant text lives in flash on AVR (8 KB of SRAM cannot hold every message); read it byte by byte. */
#include <avr/pgmspace.h>
#define CLLN_FSTR(s) PSTR(s)
#define hal_fbyte(p) ((char)pgm_read_byte(p))
#else
#define CLLN_FSTR(s) (s)
#define hal_fbyte(p) (*(const char *)(p))
#endif

/* UART (8N1 at the build's baud rate). getc never blocks: -1 when no byte is waiting. write blocks until every
 * byte is handed to the transmitter; flush until the last one has left the wire (before a reboot). */
int16_t hal_uart_getc(void);
void hal_uart_write(const char *data, uint16_t n);
void hal_uart_flush(void);

/* One SPI word to one chip select: `nbytes` (1 or 2) bytes of `word`, most significant byte first, in SPI mode
 * `mode` (0 or 1), the select held low for the whole word. */
void hal_spi_word(uint8_t cs, uint8_t mode, uint16_t word, uint8_t nbytes);

/* Sum of `n` conversions of ADC channel `ch` (the first conversion after a channel change is thrown away).
 * Returns 0 on success, nonzero when the converter did not finish (a hardware fault: 500). */
uint8_t hal_adc_sum(uint8_t ch, uint16_t n, uint32_t *sum);

/* EEPROM bytes (HARDWARE.md layout). */
void hal_eeprom_read(uint16_t addr, uint8_t *buf, uint8_t n);
void hal_eeprom_write(uint16_t addr, const uint8_t *buf, uint8_t n);

/* Reboot the MCU (the watchdog on AVR); never returns. */
void hal_reboot(void) __attribute__((noreturn));

/* Nothing to do: sleep until something may have arrived (an interrupt). May return spuriously. */
void hal_idle(void);

#endif
