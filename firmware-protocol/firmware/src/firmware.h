/* The firmware's main loop, the same on every MCU: read bytes into the line reader and execute each finished
 * line; while a run holds credits, perform one step between reads (answering lines that arrive during the step
 * between its measurements, HALT after it); otherwise sleep until a byte arrives. */
#ifndef CLLN_FIRMWARE_H
#define CLLN_FIRMWARE_H
#include "board.h"

/* Never returns, except when the board does not fit the build's limits (a build error: the caller reports it). */
void clln_firmware(const clln_board *b);

#endif
