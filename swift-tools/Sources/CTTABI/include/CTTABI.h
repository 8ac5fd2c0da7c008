/* The TT ABI header for Swift (used by the ABI tests). */
#ifndef TT_CTTABI_H
#define TT_CTTABI_H
#ifndef __XEN_TOOLS__
#define __XEN_TOOLS__ 1
#endif
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include "tt.h"

/* Offsets and sizes that Swift cannot take from C macros. */
static inline size_t tt_abi_sizeof_rec(void) { return sizeof(struct xen_tt_rec); }
static inline size_t tt_abi_offsetof_payload_len(void) { return offsetof(struct xen_tt_rec, payload_len); }
static inline size_t tt_abi_offsetof_pos(void) { return offsetof(struct xen_tt_rec, pos); }
static inline size_t tt_abi_rec_size(uint32_t len) { return TT_REC_SIZE(len); }
#endif
