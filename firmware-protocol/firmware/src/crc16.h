/* CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, not reflected, no final XOR): the frame check of PROTOCOL.md 2. */
#ifndef CLLN_CRC16_H
#define CLLN_CRC16_H
#include <stdint.h>

#define CLLN_CRC_INIT 0xFFFFu

/* Feed one byte into a running CRC. Bitwise, not table driven: 512 bytes of table would cost more flash than
 * the ~1 us per byte this saves matters at 115200 baud (87 us per byte). */
uint16_t crc16_update(uint16_t crc, uint8_t byte);
uint16_t crc16(const char *data, uint16_t len);

#endif
