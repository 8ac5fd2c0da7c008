/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * common/tt/private.h
 *
 * The per-domain state of the time-travel subsystem, shared by its files:
 *
 *   tt.c        the tt_op hypercall: attach, status, detach (the control
 *               side every mode shares) and the guest side (TTOP_info);
 *   landmark.c  the classification of VM exits into landmarks and others,
 *               and the landmark counter that gives a position its index.
 *
 * Recording (the log ring, record_*.c) and replay (replay_*.c) come next
 * and hang their own state off struct tt_domain, the way rr's
 * RecordSession and ReplaySession share one Session.
 */

#ifndef __COMMON_TT_PRIVATE_H__
#define __COMMON_TT_PRIVATE_H__

#include <xen/spinlock.h>
#include <xen/types.h>

#include <public/tt.h>

/*
 * Locking is organized as follows:
 *
 * tt_lock (tt.c, global spinlock) serializes the control side: every
 * change of d->tt (attach, detach, domain teardown) and every read of a
 * struct tt_domain by another domain (TTOP_status, TTOP_landmark_counts)
 * is made with it held.  It is never taken on the VM exit path.
 *
 * d->tt itself is read without a lock by d's own vCPU (the exit hook, the
 * guest side of tt_op).  That is safe because d->tt only changes while d
 * is paused: attach requires a domain paused by the toolstack, and detach
 * and teardown pause d (domain_pause(), which waits until the vCPU is
 * descheduled) before they clear d->tt and free it.
 *
 * The counters below are written only by the TT vCPU, on its own exit
 * path; other readers (under tt_lock) may see a value one exit old, never
 * a torn one (aligned 64-bit accesses on x86).
 */
struct tt_domain {
    /* Constant from attach to detach. */
    struct domain *d;
    uint16_t mode;              /* TT_MODE_RECORD (replay: not yet) */
    uint32_t attach_flags;      /* TT_ATTACH_* */
    uint32_t bound_us;          /* liveness bound, guest us */

    /* Written by the TT vCPU only (landmark.c). */
    uint64_t landmarks;         /* index of the latest landmark */
    uint64_t exits;             /* every VM exit of the vCPU */
    uint64_t other;             /* exits that were not landmarks */
    uint64_t continuations;     /* preempted hypercalls re-executed */
    uint64_t by_type[TT_LM_KINDS]; /* landmarks by TT_REC_* type */
    struct xen_tt_pos pos;      /* position of the latest landmark */
    bool hcall_preempted;       /* the last VMMCALL was preempted ... */
    uint64_t hcall_rip;         /* ... at this RIP */
};

/* cpuid.c: hide the non-deterministic CPUID features of d (at attach). */
int tt_cpuid_attach(struct domain *d);

#endif /* __COMMON_TT_PRIVATE_H__ */
