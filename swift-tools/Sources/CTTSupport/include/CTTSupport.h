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

/* Opens a pty master; its slave's path goes to name.  -1 and errno on failure. */
int tt_pty_open(char *name, size_t len);

/* pipe2(fds, O_CLOEXEC | O_NONBLOCK). */
int tt_pipe_cloexec_nonblock(int fds[2]);

/*
 * Accesses to the control page of a ring shared with Xen (struct
 * xen_tt_ring in tt.h): prod and cons are free-running 64-bit counters,
 * producer_waiting a 32-bit flag.  Each access is one aligned load or
 * store (never torn, never merged or elided by the compiler).
 */

/* prod, then an acquire barrier: the records before prod are read after it. */
static inline uint64_t tt_ring_load_prod(const void *counter)
{
    return __atomic_load_n((const uint64_t *)counter, __ATOMIC_ACQUIRE);
}

/* A plain load of a counter or flag the other side writes. */
static inline uint64_t tt_ring_load64(const void *p)
{
    return __atomic_load_n((const uint64_t *)p, __ATOMIC_RELAXED);
}

static inline uint32_t tt_ring_load32(const void *p)
{
    return __atomic_load_n((const uint32_t *)p, __ATOMIC_RELAXED);
}

/*
 * Hands space back: a full barrier (every read of the records is done
 * before the producer may overwrite them), then the store of cons, then a
 * full barrier again (cons is visible before the caller reads
 * producer_waiting: otherwise the producer could set the flag after our
 * read and wait for a kick that never comes).
 */
static inline void tt_ring_store_cons(void *counter, uint64_t value)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    __atomic_store_n((uint64_t *)counter, value, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* For tests that play the producer: records, a write barrier, then prod. */
static inline void tt_ring_store_prod(void *counter, uint64_t value)
{
    __atomic_store_n((uint64_t *)counter, value, __ATOMIC_RELEASE);
}

/*
 * The producer side of TT_RING_REPLAY (dom0 produces, Xen consumes).
 *
 * cons, then an acquire barrier: Xen has finished reading the bytes before
 * cons (it issues a full barrier before advancing it) before we overwrite
 * them.
 */
static inline uint64_t tt_ring_load_cons(const void *counter)
{
    return __atomic_load_n((const uint64_t *)counter, __ATOMIC_ACQUIRE);
}

/*
 * Publishes records: a write barrier (the records are visible before
 * prod), the store of prod, then a full barrier (prod is visible before
 * the caller reads consumer_waiting: otherwise Xen could set the flag
 * after our read, having seen the old prod, and wait for a kick that
 * never comes).
 */
static inline void tt_ring_publish_prod(void *counter, uint64_t value)
{
    __atomic_store_n((uint64_t *)counter, value, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/*
 * A 32-bit flag of the producer (records, eof): a write barrier, the
 * store, then a full barrier (as for prod).
 */
static inline void tt_ring_store32(void *p, uint32_t value)
{
    __atomic_store_n((uint32_t *)p, value, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static inline void tt_ring_store64(void *p, uint64_t value)
{
    __atomic_store_n((uint64_t *)p, value, __ATOMIC_RELEASE);
}
#endif
