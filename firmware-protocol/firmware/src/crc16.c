#include "crc16.h"

uint16_t crc16_update(uint16_t crc, uint8_t byte) {
    crc ^= (uint16_t)byte << 8;
    for (uint8_t i = 0; i < 8; i++) {
        crc = (crc & 0x8000u) ? (uint16_t)((crc << 1) ^ 0x1021u) : (uint16_t)(crc << 1);
    }
    return crc;
}

uint16_t crc16(const char *data, uint16_t len) {
    uint16_t crc = CLLN_CRC_INIT;
    for (uint16_t i = 0; i < len; i++) crc = crc16_update(crc, (uint8_t)data[i]);
    return crc;
}
