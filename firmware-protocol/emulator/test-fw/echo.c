/* Echo test program for clln-emu: sends back every byte it receives (the fault tests count what comes back).
 * Built WITHOUT simavr's .mmcu section, so it also checks that clln-emu defaults to an atmega2560 at 16 MHz. */
#include "uart.h"

int main(void)
{
	uart_init();
	sei();
	for (;;)
		uart_put(uart_get());
}
