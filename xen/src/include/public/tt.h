/* SPDX-License-Identifier: MIT */
/******************************************************************************
 * tt.h
 *
 * Time-traveling Xen: record and replay of a single-vCPU PVH guest.
 *
 * This header is the one definition of a recording that Xen, the dom0
 * daemon (ttd-deviced) and the log reader (ttd-read-log) share:
 *
 *  - the tt_op hypercall: the guest side (TT-io devices, info) and the
 *    dom0 control side (attach, ring setup, status, detach);
 *  - the shared log ring between Xen and dom0;
 *  - the record layout Xen writes into that ring.  The daemon copies
 *    records from the ring into the log file byte for byte: the log file
 *    (docs/log-format.md) holds exactly these records inside its chunks.
 *
 * Every field is documented in docs/hypercall-abi.md.
 *
 * Conventions:
 *  - TT guests are 64-bit x86 only: uint64_t is 8-byte aligned in every
 *    user of the record structures below;
 *  - fixed-width types only, no bitfields, little-endian (x86 only);
 *  - every pad/reserved field must be zero: Xen rejects a non-zero one
 *    with -EINVAL, readers reject a record with one as corrupt;
 *  - records hold only values fixed by the guest's own execution, never
 *    host-dependent ones (no host time, no machine addresses), so that the
 *    record log and the replay log of one execution are identical.
 */

#ifndef __XEN_PUBLIC_TT_H__
#define __XEN_PUBLIC_TT_H__

#include "xen.h"

/*
 * Interface version.  Checked by TTOP_attach, written into every ring
 * and log.  Any change to a structure or constant below bumps it.
 */
#define TT_INTERFACE_VERSION 0x00000004U

/*
 * The guest's side of it (TTOP_info, TTOP_io_*: what a TT guest kernel
 * uses), reported by TTOP_info.  Bumped only when that side changes, so
 * that a change of the tools' side (attach, rings, records) does not
 * take a guest kernel's TT-io devices away.
 */
#define TT_GUEST_INTERFACE_VERSION 0x00000002U

/*
 * Hypercall number.  Xen 4.17 assigns 0..42 (hypfs_op is 42) to common
 * hypercalls and 48..55 to __HYPERVISOR_arch_[0-7]; 43..47 are free.  We
 * take the top of that free range, 47, so that the common hypercall
 * tables cover it without growing, and so that a hypercall upstream adds
 * after 4.17 (it would take 43 first) does not collide with ours.
 */
#define __HYPERVISOR_tt_op 47

/*
 * long HYPERVISOR_tt_op(unsigned int cmd, XEN_GUEST_HANDLE_PARAM(void) arg)
 *
 * Errors common to all sub-ops: -EFAULT (arg unreadable), -EINVAL (unknown
 * cmd, non-zero padding), -ENOSYS (hypervisor built without TT).
 */

/* ------------------------------------------------------------------ */
/* Guest side: issued by a TT guest itself, at a landmark.             */
/* ------------------------------------------------------------------ */

/*
 * TTOP_info: what the guest may use.  arg: struct xen_tt_info (OUT).
 * Errors: -EPERM if the caller is not a TT domain.
 */
#define TTOP_info     0

/* TT-io devices (bit numbers in xen_tt_info.devices). */
#define TT_DEV_CONSOLE 0
#define TT_DEV_NET     1
#define TT_DEV_BLOCK   2

/* Values of xen_tt_info.mode and xen_tt_attach.mode. */
#define TT_MODE_NONE   0
#define TT_MODE_RECORD 1
#define TT_MODE_REPLAY 2

struct xen_tt_info {
    uint32_t interface_version; /* OUT: TT_GUEST_INTERFACE_VERSION */
    uint32_t mode;              /* OUT: TT_MODE_RECORD, also in replay: a
                                   guest cannot tell the two apart */
    uint32_t devices;           /* OUT: bitmap of 1 << TT_DEV_* */
    uint32_t max_io;            /* OUT: largest xen_tt_io.len accepted */
};
typedef struct xen_tt_info xen_tt_info_t;

/*
 * TTOP_io_send: copy len bytes from buf to the device's backend: all of
 * them or none; arg is not written.  The output is logged inside the
 * hypercall record (struct xen_tt_io as passed, then the bytes).
 * TTOP_io_recv: copy at most len bytes of pending input for the device
 * into buf; len is set to the bytes copied (0: nothing pending, and buf
 * is not touched).  The input is logged as a TT_REC_TTIO_INPUT record.
 * The guest polls: no event announces input.  arg: struct xen_tt_io.
 * Errors: -EPERM not a TT domain, -ENODEV device absent, -E2BIG len above
 * max_io, -EINVAL non-zero pad, or flags/cookie the device does not take,
 * -EFAULT bad arg or buffer, -EOPNOTSUPP inside a multicall batch.
 */
#define TTOP_io_send  1
#define TTOP_io_recv  2

struct xen_tt_io {
    uint32_t device;            /* IN: TT_DEV_* */
    uint32_t len;               /* IN: buffer size; OUT: bytes moved */
    uint64_t cookie;            /* IN/OUT: block: sector; else 0 */
    uint32_t flags;             /* IN: TT_IO_* */
    uint32_t pad;               /* must be zero */
    XEN_GUEST_HANDLE(uint8) buf; /* IN: guest buffer (TT guests are 64-bit) */
};
typedef struct xen_tt_io xen_tt_io_t;

#define TT_IO_BLOCK_WRITE (1U << 0) /* block send: write (else read request) */

#if defined(__XEN__) || defined(__XEN_TOOLS__)

/* ------------------------------------------------------------------ */
/* Dom0 control side: privileged domains only (XSM: tt_op control).     */
/* ------------------------------------------------------------------ */

/*
 * TTOP_attach: make a paused, not yet started domain a TT domain.
 * arg: struct xen_tt_attach (IN).
 * Errors: -EPERM not privileged, -ESRCH no such domain or domain dying,
 * -EBUSY already attached, not paused by the toolstack, or has run,
 * -EINVAL bad mode/flags/padding or the caller itself, -EOPNOTSUPP domain
 * is not a single-vCPU PVH domain on an SVM host,
 * -EACCES interface_version differs from TT_INTERFACE_VERSION (as domctl
 * answers; Xen has no EPROTO), -ENODEV the counter asked for is not the
 * one this host has (see TT_COUNTER_* and docs/hypercall-abi.md).
 */
#define TTOP_attach     16

struct xen_tt_attach {
    domid_t domid;              /* IN */
    uint16_t mode;              /* IN: TT_MODE_RECORD or TT_MODE_REPLAY */
    uint32_t interface_version; /* IN: TT_INTERFACE_VERSION */
    uint32_t flags;             /* IN: must be zero */
    uint32_t bound_us;          /* IN: liveness bound, guest us; 0: 2000 */
    uint32_t counter;           /* IN: TT_COUNTER_* */
    uint32_t tsc_khz;           /* IN: guest TSC frequency; 0: the host's */
};
typedef struct xen_tt_attach xen_tt_attach_t;

/*
 * xen_tt_attach.tsc_khz: the frequency of the TSC the guest sees (RDTSC is
 * emulated for a TT domain), TT_TSC_KHZ_MIN..TT_TSC_KHZ_MAX, or 0 for the
 * host's.  A replay passes its recording's (TT_REC_DOMAIN_START.tsc_khz),
 * so the guest's TSC frequency is the recorded one on any host.
 */
#define TT_TSC_KHZ_MIN      1000U       /* 1 MHz */
#define TT_TSC_KHZ_MAX      100000000U  /* 100 GHz */

/*
 * xen_tt_attach.bound_us: how long (guest us) an interrupt may be held
 * for a landmark before Xen releases it wherever the guest is, placed by
 * signature (without a counter; with one, nothing is held).  0 for the
 * default (2000), else TT_BOUND_US_MIN..TT_BOUND_US_MAX.  It must be shorter
 * than the guest's timer tick (4 ms for Linux with HZ=250, 1 ms with
 * HZ=1000): held longer, ticks merge, and a guest that counts CPU time by
 * ticks (interval timers, times(), its scheduler) counts too little.  A
 * shorter bound places more interrupts by signature.
 */
#define TT_BOUND_US_MIN     100U        /* 0.1 ms */
#define TT_BOUND_US_MAX     1000000U    /* 1 s */


/*
 * The counter of guest progress between landmarks (xen_tt_pos.branches).
 * With one, every record carries TT_RECF_BRANCHES: a landmark the count
 * since the previous landmark, anything else the count since its own
 * landmark, where replay delivers it again to the instruction.  Without
 * one, what happens between landmarks is placed by register signature.
 *
 * TT_COUNTER_ICOUNT: the guest's instructions, from the TSC that Xen reads
 *   just before VMRUN and after #VMEXIT when the host is QEMU with
 *   `-icount shift=0` (the lab): there it counts the instructions the
 *   emulated CPU executes.  Xen offers it with the boot option
 *   tt_counter=icount, after checking at boot that the TSC does count
 *   instructions.
 * TT_COUNTER_BRANCHES: the guest's retired taken branches (AMD PMCx0C4),
 *   from a core performance counter of the host's PMU that counts in
 *   guest mode only (PERF_CTL.GuestOnly), on AMD hosts with SVM.  Xen
 *   offers it with the boot option tt_counter=branches, after checking at
 *   boot that the counter exists, counts branches, is kept out of host
 *   mode by GuestOnly, and is used by nobody else (the NMI watchdog,
 *   vPMU, xenoprof).  Built and its arithmetic unit-tested, never run on
 *   hardware yet (docs/design-replay.md).
 */
#define TT_COUNTER_NONE     0
#define TT_COUNTER_ICOUNT   1
#define TT_COUNTER_BRANCHES 2

/*
 * TTOP_ring_setup: allocate one shared ring and its doorbell.  The ring is
 * nr_pages pages: page 0 is struct xen_tt_ring, pages 1.. the data area
 * (nr_pages - 1 pages, a power of 2, at least TT_RING_MIN_DATA_PAGES).
 * The pages belong to the TT domain (never mapped into its physmap) and
 * are freed with it once dom0 has unmapped them.  dom0 maps them with
 * XENMEM_acquire_resource:
 *   xenforeignmemory_map_resource(fmem, domid, TT_RESOURCE_TYPE, ring, 0,
 *                                 nr_pages, &addr, PROT_READ|PROT_WRITE, 0)
 * The event channel (the doorbell) is unbound in the caller's own port
 * space, remote end the caller itself: the daemon binds it with
 * xenevtchn_bind_interdomain(DOMID_SELF, port).  The TT domain's own ports
 * are the ones it would have unrecorded.
 * Setting up TT_RING_LOG writes TT_REC_DOMAIN_START.  A recorded domain
 * runs once TT_RING_LOG exists, a replayed one once both TT_RING_LOG and
 * TT_RING_REPLAY exist (TTOP_attach keeps it paused until then, so that it
 * never runs unrecorded or unreplayed); a replayed domain then also waits
 * until the replay ring holds TT_EXIT_MAX_BYTES of records or eof is set.
 * TT_RING_REPLAY exists only in replay mode, and shares TT_RING_LOG's
 * doorbell: both setups return the same port.
 * arg: struct xen_tt_ring_setup (IN/OUT).
 * Errors: -EPERM, -ESRCH, -ENOENT not attached, -EINVAL bad ring, bad
 * nr_pages or non-zero padding, -E2BIG nr_pages above TT_RING_MAX_PAGES,
 * -EEXIST ring already set up, -ENOMEM, -ESRCH domain shutting down or dying,
 * -EINVAL TT_RING_REPLAY of a domain attached for recording.
 */
#define TTOP_ring_setup 17

#define TT_RING_LOG     0 /* Xen -> dom0: records (record and replay) */
#define TT_RING_REPLAY  1 /* dom0 -> Xen: records to replay */

/* XENMEM_acquire_resource type of the rings; the resource id is TT_RING_*. */
#define TT_RESOURCE_TYPE 0x7474

#define TT_RING_MAX_PAGES      4097 /* control page + 4096 data pages */
#define TT_RING_MIN_DATA_PAGES 32   /* 2 * TT_EXIT_MAX_BYTES */

/*
 * The most bytes of records one VM exit of the TT vCPU writes.  After an
 * exit, Xen pauses the vCPU while the log ring has less free space than
 * this, until the daemon has drained it below half full.
 */
#define TT_EXIT_MAX_BYTES (64U << 10)

struct xen_tt_ring_setup {
    domid_t domid;              /* IN */
    uint16_t ring;              /* IN: TT_RING_* */
    uint32_t nr_pages;          /* IN: 1 + data pages, data pages a power of 2 */
    uint32_t port;              /* OUT: doorbell (evtchn_port_t), caller's */
    uint32_t pad;               /* must be zero */
    uint64_aligned_t pad1;      /* must be zero (was a frame list) */
};
typedef struct xen_tt_ring_setup xen_tt_ring_setup_t;

/*
 * TTOP_status: counters of a TT domain.  arg: struct xen_tt_status.
 * Errors: -EPERM, -ESRCH, -ENOENT domain not attached.
 */
#define TTOP_status     18

#define TT_STATE_ATTACHED  0 /* attached, not yet unpaused */
#define TT_STATE_RUNNING   1
#define TT_STATE_RING_WAIT 2 /* vCPU paused: log ring full / replay ring empty */
#define TT_STATE_DIVERGED  3 /* replay diverged; domain paused */
#define TT_STATE_ENDED     4

struct xen_tt_status {
    domid_t domid;              /* IN */
    uint16_t mode;              /* OUT: TT_MODE_* */
    uint32_t state;             /* OUT: TT_STATE_* */
    uint64_aligned_t landmarks; /* OUT: landmarks counted so far */
    uint64_aligned_t records;   /* OUT: records written to the log ring */
    uint64_aligned_t ring_waits;          /* OUT: times the vCPU waited on a ring */
    uint64_aligned_t irqs_held;           /* OUT: interrupts held to a landmark */
    uint64_aligned_t irqs_by_signature;   /* OUT: placed by signature (bound hit) */
    uint64_aligned_t max_hold_ns;         /* OUT: longest hold, guest ns */
    /* Replay only (zero when recording). */
    uint64_aligned_t replayed;            /* OUT: records taken from the replay ring */
    uint64_aligned_t sig_placed;          /* OUT: interrupts placed again by signature */
    uint64_aligned_t bp_hits;             /* OUT: breakpoint exits while searching */
    uint64_aligned_t search_ns;           /* OUT: time spent searching signatures */
};
typedef struct xen_tt_status xen_tt_status_t;

/*
 * TTOP_detach: end recording or replay.  Xen writes TT_REC_END, then frees
 * the rings once dom0 has unmapped them.  arg: struct xen_tt_detach (IN).
 * Errors: -EPERM, -ESRCH, -ENOENT not attached.
 */
#define TTOP_detach     19

struct xen_tt_detach {
    domid_t domid;              /* IN */
    uint16_t pad0;              /* must be zero */
    uint32_t pad1;              /* must be zero */
};
typedef struct xen_tt_detach xen_tt_detach_t;

/*
 * TTOP_landmark_counts: the VM exits of a TT domain's vCPU by class, and
 * the landmarks among them by kind.  Like TTOP_status these counters are
 * host-dependent where they count host-caused exits, and are never part
 * of a record.  arg: struct xen_tt_landmark_counts (IN/OUT).
 * Errors: -EPERM, -ESRCH, -ENOENT not attached, -EINVAL non-zero padding.
 */
#define TTOP_landmark_counts 20

#define TT_LM_KINDS 16 /* entries of xen_tt_landmark_counts.by_type */

struct xen_tt_landmark_counts {
    domid_t domid;              /* IN */
    uint16_t pad0;              /* must be zero */
    uint32_t pad1;              /* must be zero */
    uint64_aligned_t exits;     /* OUT: VM exits of the TT vCPU */
    uint64_aligned_t other;     /* OUT: exits that were not landmarks */
    uint64_aligned_t continuations; /* OUT: re-executions of a preempted
                                       hypercall (part of its landmark) */
    /*
     * OUT: landmarks by the record type that describes them: by_type[t]
     * counts landmarks of type TT_REC_t (TT_REC_HYPERCALL .. TT_REC_EXCEPTION,
     * 0x01..0x0b); by_type[0] and entries above 0x0b are zero.  The sum of
     * the entries is xen_tt_status.landmarks.
     */
    uint64_aligned_t by_type[TT_LM_KINDS];
    /*
     * OUT, a diagnostic of how long an interrupt held to a landmark can
     * wait: the vCPU's running time (runstate RUNSTATE_running, Xen's
     * handling of its exits included; not the time it is paused or
     * descheduled) between two consecutive landmarks, the first gap
     * counted from its first instruction.  max_gap_ns is the longest gap,
     * gap_sum_ns their sum (the mean gap is gap_sum_ns / landmarks),
     * max_gap_landmark the index of the landmark that ended the longest.
     */
    uint64_aligned_t max_gap_ns;
    uint64_aligned_t gap_sum_ns;
    uint64_aligned_t max_gap_landmark;
};
typedef struct xen_tt_landmark_counts xen_tt_landmark_counts_t;

/* ------------------------------------------------------------------ */
/* The shared ring.                                                    */
/* ------------------------------------------------------------------ */

/*
 * Page 0 of a ring.  prod and cons are free-running byte counters; the
 * byte at counter c lives at data[c & (data_size - 1)].  The producer
 * writes records, then (write barrier) advances prod; the consumer reads
 * records, then (full barrier) advances cons.  A record never wraps: when
 * the space left before the end of the data area is smaller than the next
 * record, the producer zeroes it and skips it.  A consumer that finds a
 * record of type TT_REC_PAD (0) skips to the end of the data area (when
 * fewer than TT_REC_HDR_SIZE bytes are left only the type is there).  The
 * producer never overwrites unconsumed bytes: see TT_EXIT_MAX_BYTES.
 * Doorbell: Xen kicks the consumer when the ring passes half full, when it
 * pauses the producer (producer_waiting = 1), and after TT_REC_DOMAIN_START
 * and TT_REC_END; the consumer kicks Xen after advancing cons while
 * producer_waiting is set.
 *
 * TT_RING_REPLAY runs the other way: dom0 (ttd-deviced) is the producer and
 * writes, byte for byte, the records of the log being replayed that follow
 * its TT_REC_DOMAIN_START (control records are skipped by Xen), with the
 * same PAD rule; Xen is the consumer.  Xen copies each record out of the
 * ring and checks it before use.  When fewer than TT_EXIT_MAX_BYTES of
 * records are unconsumed and eof is not set, Xen sets consumer_waiting,
 * kicks and pauses the vCPU at the end of its exit; dom0 kicks after
 * advancing prod while consumer_waiting is set.  dom0 sets eof (after a
 * write barrier, with prod final) once the log has no more records.
 */
#define TT_RING_MAGIC 0x52545458U /* "XTTR" */

struct xen_tt_ring {
    uint32_t magic;             /* TT_RING_MAGIC, written by Xen */
    uint32_t interface_version; /* TT_INTERFACE_VERSION */
    uint32_t data_size;         /* bytes in the data area, power of 2 */
    uint32_t producer_waiting;  /* 1: producer paused, kick the doorbell */
    uint64_aligned_t prod;      /* written by the producer only */
    uint64_aligned_t cons;      /* written by the consumer only */
    uint64_aligned_t records;   /* records produced (PAD not counted) */
    uint32_t consumer_waiting;  /* TT_RING_REPLAY: 1: Xen waits for records */
    uint32_t eof;               /* TT_RING_REPLAY: 1: dom0 wrote the last record */
    uint8_t reserved[16];       /* zero; pads the header to 64 bytes */
};
typedef struct xen_tt_ring xen_tt_ring_t;

/*
 * TTOP_io_push: queue input for a TT guest's device (the daemon's side of
 * TTOP_io_recv).  Xen keeps up to 4096 bytes per device; the guest takes
 * them with TTOP_io_recv.  All len bytes are queued or none.
 * arg: struct xen_tt_io_push (IN).
 * Errors: -EPERM not privileged, -ESRCH no such domain, -EINVAL the
 * caller itself, -ENOENT not attached, -ENODEV device absent, -E2BIG len
 * above 4096, -EAGAIN not enough room now (retry after the guest read),
 * -ENOMEM, -EFAULT bad arg or buffer.
 */
#define TTOP_io_push    21

struct xen_tt_io_push {
    domid_t domid;              /* IN */
    uint16_t device;            /* IN: TT_DEV_* */
    uint32_t len;               /* IN: bytes in buf */
    XEN_GUEST_HANDLE_64(uint8) buf; /* IN */
};
typedef struct xen_tt_io_push xen_tt_io_push_t;

#endif /* __XEN__ || __XEN_TOOLS__ */

/* ------------------------------------------------------------------ */
/* Records.                                                            */
/* ------------------------------------------------------------------ */

/*
 * A position in the guest's execution.  landmark is the number of
 * landmarks (guest-caused exits, see docs/hypercall-abi.md) executed
 * since TT_REC_DOMAIN_START, the current one included: the first
 * landmark has index 1.  branches is valid only when TT_RECF_BRANCHES is
 * set in the record's flags (a counter was attached, TT_COUNTER_*), and
 * is zero otherwise: for a landmark, what the counter counted since the
 * previous landmark; for any other record, since its own landmark.
 */
struct xen_tt_pos {
    uint64_t landmark;
    uint64_t rip;
    uint64_t rcx;
    uint64_t branches;
};
typedef struct xen_tt_pos xen_tt_pos_t;

/*
 * Every record: this 40-byte header, then payload_len bytes of payload,
 * then zero bytes up to the next multiple of 8.  A record's size in the
 * ring and in the log is TT_REC_SIZE(payload_len).
 */
struct xen_tt_rec {
    uint16_t type;              /* TT_REC_* */
    uint16_t flags;             /* TT_RECF_* */
    uint32_t payload_len;       /* bytes of payload, padding excluded */
    struct xen_tt_pos pos;      /* where it happened */
    /* uint8_t payload[payload_len]; padding */
};
typedef struct xen_tt_rec xen_tt_rec_t;

#define TT_REC_ALIGN        8U
#define TT_REC_HDR_SIZE     40U
#define TT_REC_MAX_PAYLOAD  (1U << 20)
#define TT_REC_SIZE(len) \
    (TT_REC_HDR_SIZE + (((len) + TT_REC_ALIGN - 1) & ~(TT_REC_ALIGN - 1)))

/* Flags. */
#define TT_RECF_BRANCHES  (1U << 0) /* pos.branches is valid */
#define TT_RECF_SIGNATURE (1U << 1) /* interrupt placed by signature:
                                       xen_tt_regs follows the payload */
#define TT_RECF_OUTSIDE   (1U << 2) /* result came from outside the guest
                                       (replay takes it from the log) */
#define TT_RECF_ALL       0x0007U   /* others must be zero */

/*
 * Record types.  The class is in bits 6-7 of the type:
 * 0x00-0x3f landmarks (synchronous: one per landmark, strictly increasing
 * pos.landmark); 0x40-0x7f asynchronous (delivered at pos, which is a
 * landmark's position or, with TT_RECF_SIGNATURE, a spot between two);
 * 0x80-0xbf control.  0 is ring padding and never reaches a log.
 */
#define TT_REC_PAD           0x00
/* Landmarks. */
#define TT_REC_HYPERCALL     0x01 /* xen_tt_rec_hypercall + data */
#define TT_REC_CPUID         0x02 /* xen_tt_rec_cpuid */
#define TT_REC_RDTSC         0x03 /* xen_tt_rec_tsc */
#define TT_REC_RDTSCP        0x04 /* xen_tt_rec_tsc */
#define TT_REC_MSR_READ      0x05 /* xen_tt_rec_msr */
#define TT_REC_MSR_WRITE     0x06 /* xen_tt_rec_msr */
#define TT_REC_HLT           0x07 /* no payload */
#define TT_REC_PAUSE         0x08 /* no payload */
#define TT_REC_IO            0x09 /* xen_tt_rec_io + data */
#define TT_REC_MMIO          0x0a /* xen_tt_rec_mmio */
#define TT_REC_EXCEPTION     0x0b /* xen_tt_rec_exception */
/* Asynchronous. */
#define TT_REC_INTERRUPT     0x40 /* xen_tt_rec_interrupt [+ xen_tt_regs] */
#define TT_REC_MEMORY        0x41 /* xen_tt_rec_memory + data */
#define TT_REC_TTIO_INPUT    0x42 /* xen_tt_rec_ttio + data */
/* Control. */
#define TT_REC_DOMAIN_START  0x80 /* xen_tt_rec_start */
#define TT_REC_DIVERGENCE    0x81 /* xen_tt_rec_divergence */
#define TT_REC_END           0x82 /* xen_tt_rec_end */

#define TT_REC_CLASS(t)      ((t) & 0xc0)
#define TT_REC_CLASS_LANDMARK 0x00
#define TT_REC_CLASS_ASYNC    0x40
#define TT_REC_CLASS_CONTROL  0x80

/* TT_REC_HYPERCALL: 64 bytes, then the data the guest sent (TT-io output). */
struct xen_tt_rec_hypercall {
    uint64_t nr;        /* hypercall number (RAX) */
    uint64_t args[6];   /* RDI RSI RDX R10 R8 R9 */
    int64_t ret;                /* value returned in RAX */
};

/* TT_REC_CPUID: 24 bytes. */
struct xen_tt_rec_cpuid {
    uint32_t leaf, subleaf;     /* EAX, ECX at the instruction */
    uint32_t eax, ebx, ecx, edx; /* result returned */
};

/* TT_REC_RDTSC, TT_REC_RDTSCP: 16 bytes. */
struct xen_tt_rec_tsc {
    uint64_t tsc;       /* value returned in EDX:EAX */
    uint32_t aux;               /* RDTSCP: ECX (TSC_AUX); RDTSC: 0 */
    uint32_t pad;
};

/* TT_REC_MSR_READ, TT_REC_MSR_WRITE: 16 bytes. */
struct xen_tt_rec_msr {
    uint32_t index;             /* ECX */
    uint32_t pad;
    uint64_t value;     /* read: returned; write: written */
};

/*
 * TT_REC_IO: 16 bytes, then, for a string access (INS/OUTS), the bytes it
 * moved: count elements of size bytes, in the order Xen made them, at most
 * TT_ACCESS_DATA_MAX bytes (a longer one keeps its first bytes; count says
 * how many there were).  One exit of a REP string instruction is one
 * landmark: Xen may split the instruction over several exits.
 */
#define TT_IO_OUT 0
#define TT_IO_IN  1
struct xen_tt_rec_io {
    uint16_t port;
    uint8_t size;               /* 1, 2 or 4 */
    uint8_t dir;                /* TT_IO_OUT / TT_IO_IN */
    uint32_t count;             /* accesses Xen made; 1 for IN/OUT */
    uint64_t value;     /* IN: read; OUT: written; string: 0 */
};
#define TT_ACCESS_DATA_MAX  1024U

/*
 * TT_REC_MMIO: 24 bytes; then, when the exit made more than one access (a
 * string instruction, two memory operands), the bytes of every access in
 * the order Xen made them, at most TT_ACCESS_DATA_MAX.  gpa, size, dir and
 * value are the first access's; count is how many Xen made (0 in logs of
 * before December 2026, which recorded the first access only: read as 1).
 */
struct xen_tt_rec_mmio {
    uint64_t gpa;       /* guest physical address */
    uint8_t size;               /* 1, 2, 4 or 8 */
    uint8_t dir;                /* TT_IO_OUT (write) / TT_IO_IN (read) */
    uint16_t pad;
    uint32_t count;             /* accesses Xen made in the exit */
    uint64_t value;
};

/* TT_REC_EXCEPTION: 16 bytes. */
struct xen_tt_rec_exception {
    uint8_t vector;             /* 0..31 */
    uint8_t pad[3];
    uint32_t error_code;        /* 0 where the vector has none */
    uint64_t cr2;       /* #PF: faulting address; else 0 */
};

/* TT_REC_INTERRUPT: 16 bytes, then xen_tt_regs if TT_RECF_SIGNATURE. */
#define TT_IRQ_UPCALL 0 /* event-channel upcall (vector = callback vector) */
#define TT_IRQ_LAPIC  1 /* vLAPIC fixed interrupt */
#define TT_IRQ_NMI    2
struct xen_tt_rec_interrupt {
    uint8_t kind;               /* TT_IRQ_* */
    uint8_t vector;
    uint16_t pad0;
    uint32_t port;              /* upcall: event channel made pending; else 0 */
    uint64_t pad1;
};

/*
 * Full register signature of a spot between landmarks: 160 bytes.  cr3
 * and cpl tell apart two processes running one binary; a loop whose state
 * lives only in memory still passes one spot with one signature many
 * times (docs/design-replay.md: ambiguous placements).
 */
struct xen_tt_regs {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rip, rflags;
    uint64_t cr3;               /* the guest's CR3 */
    uint32_t cpl;               /* 0 kernel .. 3 user */
    uint32_t pad;               /* zero */
};

/* TT_REC_MEMORY: 16 bytes, then len bytes written at gpa. */
#define TT_MEM_PVCLOCK   0 /* vcpu_time_info */
#define TT_MEM_WALLCLOCK 1 /* shared_info wallclock */
#define TT_MEM_RUNSTATE  2 /* vcpu_runstate_info */
#define TT_MEM_OTHER     3
#define TT_MEM_HYPERCALL 4 /* an outside hypercall's result: bytes Xen wrote */
#define TT_MEM_LOST      5 /* len 0: results that did not fit (no replay) */
struct xen_tt_rec_memory {
    uint64_t gpa;
    uint32_t kind;              /* TT_MEM_* */
    uint32_t len;
};

/* TT_REC_TTIO_INPUT: 16 bytes, then len bytes copied into the guest. */
struct xen_tt_rec_ttio {
    uint32_t device;            /* TT_DEV_* */
    uint32_t len;
    uint64_t cookie;    /* block: sector; else 0 */
};

/* TT_REC_DOMAIN_START: 32 bytes; first record of every log. */
struct xen_tt_rec_start {
    uint32_t interface_version; /* TT_INTERFACE_VERSION */
    uint16_t mode;              /* TT_MODE_* */
    uint16_t vcpus;             /* 1 */
    uint32_t attach_flags;      /* xen_tt_attach.flags */
    uint32_t bound_us;          /* liveness bound in force */
    uint32_t counter;           /* TT_COUNTER_* of the positions */
    uint32_t pad;               /* zero */
    uint64_t memory_kb; /* guest memory */
    uint64_t tsc_khz;   /* guest TSC frequency */
};

/* TT_REC_DIVERGENCE: 72 bytes; replay only, pos = where replay stopped. */
#define TT_DIV_TYPE     0 /* landmark of another type than the log's */
#define TT_DIV_POSITION 1 /* same type, other RIP/RCX/branches */
#define TT_DIV_ARGS     2 /* same landmark, other arguments */
#define TT_DIV_MISSED   3 /* guest passed the log's position (e.g. a
                             signature interrupt never found) */
#define TT_DIV_RESULT   4 /* same landmark and inputs, a local result or
                             the data a hypercall sent differs */
struct xen_tt_rec_divergence {
    uint16_t expected_type;     /* type of the log's next record */
    uint16_t actual_type;       /* type of what the guest did */
    uint32_t reason;            /* TT_DIV_* */
    struct xen_tt_pos expected; /* position in the log */
    struct xen_tt_pos actual;   /* the guest's position (= record pos) */
};

/* TT_REC_END: 24 bytes; last record of a log closed by Xen. */
#define TT_END_SHUTDOWN 0 /* guest shut down; code = SHUTDOWN_* */
#define TT_END_DETACH   1 /* TTOP_detach */
#define TT_END_DIVERGED 2 /* replay diverged */
#define TT_END_CRASH    3 /* domain_crash() */
#define TT_END_LOG_DONE 4 /* replay: the log ran out */
struct xen_tt_rec_end {
    uint32_t reason;            /* TT_END_* */
    uint32_t code;              /* shutdown code */
    uint64_t landmarks; /* landmarks executed */
    uint64_t by_signature; /* interrupts placed by signature */
};

#endif /* __XEN_PUBLIC_TT_H__ */

/*
 * Local variables:
 * mode: C
 * c-file-style: "BSD"
 * c-basic-offset: 4
 * tab-width: 4
 * indent-tabs-mode: nil
 * End:
 */
