/* The protocol engine (PROTOCOL.md 1.4 sections 3-9): counters, the 16-entry duplicate history and the cached
 * last reply, every command, schedules and the credit-driven run state machine. One engine per firmware, its
 * state in static storage sized by the limits below (the MCU build sets them to clln-ref16's needs). */
#ifndef CLLN_ENGINE_H
#define CLLN_ENGINE_H
#include <stdint.h>
#include "board.h"
#include "linereader.h"

#define CLLN_PROTO "1.4"
#define CLLN_HISTORY 16u

#ifndef CLLN_MAX_NODES
#define CLLN_MAX_NODES 16u
#endif
#ifndef CLLN_MAX_EDGES
#define CLLN_MAX_EDGES 64u
#endif
/* schedule storage: sched * (drive channels + clamp channels) values of int32 uV */
#ifndef CLLN_SCHED_POOL
#define CLLN_SCHED_POOL (48u * 8u)
#endif
#ifndef CLLN_MAX_SCHED
#define CLLN_MAX_SCHED 48u
#endif
/* frames kept for RESEND: keep entries, each with up to (clamp channels) free voltages */
#ifndef CLLN_MAX_KEEP
#define CLLN_MAX_KEEP 32u
#endif
#ifndef CLLN_FRAME_POOL
#define CLLN_FRAME_POOL (32u * 4u)
#endif
/* the cached last reply (a whole line); the longest reply of clln-ref16 (ID) is about 250 bytes */
#ifndef CLLN_REPLY_CAP
#define CLLN_REPLY_CAP 1030u
#endif
#ifndef CLLN_EVENT_CAP
#define CLLN_EVENT_CAP (96u + 12u * CLLN_MAX_NODES)
#endif

/* Boot: count the boot in EEPROM, bring the board to its power-on state, send the banner. Returns nonzero when
 * the board does not fit this build's limits (then nothing else may be called). */
uint8_t eng_boot(const clln_board *b);
/* A finished line from the line reader (a rejected one is counted; a frame is executed or replayed). */
void eng_line(lr_result r, const char *body, uint16_t len, uint16_t crc);
/* Whether a valid frame's verb is HALT: during a run step the main loop answers every other line at once (while
 * running, only PING, ID, STAT, GRANT and RESEND execute, and none of them touches the board; the rest is 503),
 * but HALT waits for the end of the step, whose frame comes first. */
uint8_t eng_is_halt(const char *body, uint16_t len);
/* A run holds a credit: the main loop should call eng_run_step (one step) before sleeping. */
uint8_t eng_run_ready(void);
void eng_run_step(void);

#endif
