/* HAL for the ATmega2560 of clln-ref16 (HARDWARE.md), avr-libc only, no Arduino core. The only AVR file of the
 * firmware: porting to another MCU (e.g. an Arduino Due) means writing this file again for it. */
#include <avr/eeprom.h>
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/sleep.h>
#include <avr/wdt.h>
#include "hal.h"
#include "../src/board.h"
#include "../src/firmware.h"

#ifndef BAUD
#define BAUD 115200UL
#endif
/* double speed (U2X0): UBRR = F_CPU / (8 BAUD) - 1, rounded: 16 at 115200 (117647 baud, +2.1 %), 1 at 1 Mbaud */
#define UBRR_VALUE ((F_CPU + 4UL * (BAUD)) / (8UL * (BAUD)) - 1UL)

/* ---- UART0: RX ring filled by the interrupt, so bytes that arrive during a ~60 ms learning step are kept.
 * 256 bytes hold any command a host may send while a run is active (stop-and-wait: one line at a time). When
 * it is full, further bytes are dropped: that line then fails its CRC (counted in STAT crc) and the host's
 * timeout and retry resend it. */
#define RX_SIZE 256u
static volatile uint8_t rx_buf[RX_SIZE];
static volatile uint8_t rx_head, rx_tail;   /* uint8_t indices wrap at 256 by themselves */
static uint8_t tx_used;

ISR(USART0_RX_vect) {
    uint8_t c = UDR0;
    uint8_t next = (uint8_t)(rx_head + 1u);
    if (next != rx_tail) {
        rx_buf[rx_head] = c;
        rx_head = next;
    }
}

int16_t hal_uart_getc(void) {
    if (rx_tail == rx_head) return -1;
    uint8_t c = rx_buf[rx_tail];
    rx_tail = (uint8_t)(rx_tail + 1u);
    return c;
}

void hal_uart_write(const char *data, uint16_t n) {
    for (uint16_t i = 0; i < n; i++) {
        while (!(UCSR0A & _BV(UDRE0))) {
        }
        UCSR0A = _BV(U2X0) | _BV(TXC0);   /* clear TXC0 (write 1), keep double speed */
        UDR0 = (uint8_t)data[i];
    }
    if (n) tx_used = 1;
}

void hal_uart_flush(void) {
    if (!tx_used) return;
    while (!(UCSR0A & _BV(TXC0))) {
    }
}

/* ---- SPI master, fosc/4 = 4 MHz, MSB first; chip selects PA0..PA5 (cs n = PAn), active low */
void hal_spi_word(uint8_t cs, uint8_t mode, uint16_t word, uint8_t nbytes) {
    /* the mode changes while every select is high and SCK idles low (CPOL 0 in both modes) */
    SPCR = (uint8_t)(_BV(SPE) | _BV(MSTR) | (mode & 1u ? _BV(CPHA) : 0));
    uint8_t bit = (uint8_t)_BV(cs);
    PORTA = (uint8_t)(PORTA & ~bit);
    if (nbytes == 2) {
        SPDR = (uint8_t)(word >> 8);
        while (!(SPSR & _BV(SPIF))) {
        }
    }
    SPDR = (uint8_t)word;
    while (!(SPSR & _BV(SPIF))) {
    }
    PORTA = (uint8_t)(PORTA | bit);
}

/* ---- ADC: AVCC reference, prescaler 128 (125 kHz, 104 us per conversion) */
static uint8_t adc_channel = 0xFF;

static uint8_t convert(uint16_t *code) {
    ADCSRA |= _BV(ADSC);
    /* at least 3 cycles per turn: 20000 turns (at least 3.75 ms) is far beyond one 104 us conversion (the first
     * after enabling takes 200 us): a converter still busy then is dead */
    for (uint16_t t = 0; t < 20000u; t++) {
        if (!(ADCSRA & _BV(ADSC))) {
            *code = ADC;
            return 0;
        }
    }
    return 1;
}

uint8_t hal_adc_sum(uint8_t ch, uint16_t n, uint32_t *sum) {
    uint16_t code;
    if (ch != adc_channel) {
        ADMUX = (uint8_t)(_BV(REFS0) | (ch & 7u));
        ADCSRB = (uint8_t)(ch & 8u ? _BV(MUX5) : 0);
        adc_channel = ch;
        /* the first conversion after a channel change is thrown away (the sample capacitor still holds the
         * previous node) */
        if (convert(&code)) return 1;
    }
    uint32_t s = 0;
    for (uint16_t i = 0; i < n; i++) {
        if (convert(&code)) return 1;
        s += code;
    }
    *sum = s;
    return 0;
}

/* ---- EEPROM */
void hal_eeprom_read(uint16_t addr, uint8_t *buf, uint8_t n) {
    eeprom_read_block(buf, (const void *)(uintptr_t)addr, n);
}

void hal_eeprom_write(uint16_t addr, const uint8_t *buf, uint8_t n) {
    eeprom_update_block(buf, (void *)(uintptr_t)addr, n);
}

/* ---- reboot through the watchdog: a full MCU reset, as a power-up but for the chips (they keep their state,
 * and the firmware rewrites every tap and channel at boot anyway) */
void hal_reboot(void) {
    cli();
    wdt_enable(WDTO_15MS);
    for (;;) {
    }
}

/* After a watchdog reset the watchdog stays on (WDRF set): turn it off before anything else runs. */
void early_wdt_off(void) __attribute__((naked, used, section(".init3")));
void early_wdt_off(void) {
    MCUSR = 0;
    wdt_disable();
}

/* ---- sleep: idle mode keeps the UART running; its RX interrupt wakes the CPU */
void hal_idle(void) {
    set_sleep_mode(SLEEP_MODE_IDLE);
    cli();
    if (rx_tail == rx_head) {
        sleep_enable();
        sei();          /* the instruction after sei runs before any interrupt: no byte is missed in between */
        sleep_cpu();
        sleep_disable();
    }
    sei();
}

static void hal_setup(void) {
    /* UART0 8N1, double speed, RX interrupt */
    UBRR0 = (uint16_t)UBRR_VALUE;
    UCSR0A = _BV(U2X0);
    UCSR0B = _BV(RXCIE0) | _BV(RXEN0) | _BV(TXEN0);
    UCSR0C = _BV(UCSZ01) | _BV(UCSZ00);
    /* chip selects PA0..PA5 high, then outputs; SS (PB0), SCK (PB1), MOSI (PB2) outputs */
    PORTA = (uint8_t)(PORTA | 0x3Fu);
    DDRA = (uint8_t)(DDRA | 0x3Fu);
    DDRB = (uint8_t)(DDRB | _BV(PB0) | _BV(PB1) | _BV(PB2));
    SPCR = _BV(SPE) | _BV(MSTR);
    SPSR = 0;
    /* ADC on, prescaler 128; the node inputs' digital buffers off (analog only) */
    DIDR0 = 0xFF;
    DIDR2 = 0xFF;
    ADCSRA = _BV(ADEN) | _BV(ADPS2) | _BV(ADPS1) | _BV(ADPS0);
    sei();
}

int main(void) {
    hal_setup();
    clln_firmware(&clln_ref16);
    /* only if clln_ref16 did not fit the build's limits, which the Makefile's limits rule out */
    for (;;) {
    }
}
