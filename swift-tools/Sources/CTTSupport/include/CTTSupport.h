/* Small C helpers for TTLog. */
#ifndef TT_CTTSUPPORT_H
#define TT_CTTSUPPORT_H
#include <stddef.h>
#include <stdint.h>

/*
 * CRC32C (Castagnoli), as in iSCSI and ext4: crc = tt_crc32c(0, p, n);
 * continue with tt_crc32c(crc, more, m).  Uses SSE4.2 when the CPU has it.
 */
uint32_t tt_crc32c(uint32_t crc, const void *buf, size_t len);

/* The table-driven path alone (what CPUs without SSE4.2 run); for tests. */
uint32_t tt_crc32c_portable(uint32_t crc, const void *buf, size_t len);

/* 1 when tt_crc32c runs on the SSE4.2 instruction. */
int tt_crc32c_hw(void);
#endif
