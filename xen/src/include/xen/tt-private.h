/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xen/tt-private.h
 *
 * The per-domain state of the time-travel subsystem, shared by its files
 * in common/tt/ and by its arch side (asm/tt.h: arch/x86/tt.c,
 * arch/x86/cpu/tt-pmu.c, arch/x86/hvm/svm/tt.c and tt-emulator.c), the
 * way struct vm_event_domain is shared by common/vm_event.c and
 * arch/x86/vm_event.c.  Nothing else includes it: the rest of Xen sees
 * xen/tt.h.
 *
 * common/tt/:
 *
 *   tt.c        the tt_op hypercall: attach, ring setup, status, detach
 *               (the control side every mode shares) and the guest side
 *               (TTOP_info);
 *   landmark.c  the landmark counter that gives a position its index,
 *               the record each landmark writes (from the exit the arch
 *               side classified: struct tt_exit), preempted hypercalls;
 *   ring.c      the rings shared with dom0: records, the doorbell, the
 *               headroom rule that pauses the vCPU, TT_REC_END; the
 *               replay ring's pages;
 *   hold.c      interrupts and time writes held to landmarks (record),
 *               suppressed and applied from the log (replay);
 *   replay.c    replay: the replay ring's consumer, the check of every
 *               landmark against the log, outside results taken from it,
 *               interrupts placed again by signature, divergence.
 *   counter.c   the counter of positions (TT_COUNTER_*): the lab's
 *               (QEMU icount), and the choice at boot.
 *
 * The arch side (asm/tt.h has its interface):
 *
 *   arch/x86/tt.c          the CPU policy, the vLAPIC, the upcall vector;
 *   arch/x86/cpu/tt-pmu.c  the hardware counter (TT_COUNTER_BRANCHES, an
 *               AMD PMU counter), whose 48-bit arithmetic is tt-pmu-arith.h;
 *   arch/x86/hvm/svm/tt.c  the VMCB: the exit and entry hooks, which exits
 *               are landmarks, replay's breakpoint around VMRUN;
 *   arch/x86/hvm/svm/tt-emulator.c  where QEMU's SVM is not an AMD CPU.
 *
 * Record and replay share struct tt_domain and the landmark counter, the
 * way rr's RecordSession and ReplaySession share one Session; what only
 * replay needs is in struct tt_replay.
 */

#ifndef __XEN_TT_PRIVATE_H__
#define __XEN_TT_PRIVATE_H__

#include <xen/bitmap.h>
#include <xen/mm.h>
#include <xen/rcupdate.h>
#include <xen/spinlock.h>
#include <xen/time.h>
#include <xen/timer.h>
#include <xen/types.h>

#include <public/tt.h>

#include <asm/debugreg.h>
#include <asm/tt.h>

struct domain;
struct vcpu;

/* Largest TT-io transfer (xen_tt_info.max_io). */
#ifndef TT_IO_MAX
#define TT_IO_MAX 4096U
#endif

/* Bytes a hypercall may attach to its record (xen_tt_io + TT-io data). */
#define TT_HCALL_DATA_MAX (TT_IO_MAX + 64U)

/*
 * What Xen writes into guest memory while it handles an outside hypercall
 * (tt_note_guest_write()): logged as TT_MEM_HYPERCALL records after the
 * hypercall's own, at most TT_HCMEM_SPANS ranges and TT_HCMEM_MAX bytes.
 */
#define TT_HCMEM_MAX      4096U
#define TT_HCMEM_SPANS    8U

/* Records written right after the current exit's landmark record. */
#define TT_DEFER_MAX      4U
#define TT_DEFER_BYTES    (2 * TT_IO_MAX + 512U)

/* One shared ring (ring.c). */
struct tt_ring {
    unsigned int nr_pages;      /* 0: no ring; else 1 + data pages */
    struct page_info **pages;   /* nr_pages, TT domain's, typed writable */
    struct xen_tt_ring *ctl;    /* page 0, mapped (vmap of all pages) */
    uint8_t *data;              /* pages 1.. */
    uint32_t size;              /* data bytes, power of 2 */
    uint64_t prod;              /* Xen's copy of ctl->prod */
    evtchn_port_t port;         /* doorbell, in the daemon's domain */
};

/*
 * Largest record Xen takes from the replay ring: a hypercall record with
 * TT-io data, a TT-io input record.  Anything larger is a bad log.
 */
#define TT_REPLAY_REC_MAX (2 * TT_IO_MAX + 512U)

/*
 * Replay state (replay.c, whose header comment gives the rules).  Written
 * by the TT vCPU only, except waiting and the ring's consumer index, which
 * ring_lock protects (the doorbell's notification callback reads them).
 */
struct tt_replay {
    struct tt_ring ring;        /* TT_RING_REPLAY: dom0 produces */
    uint64_t cons;              /* Xen's copy of ring.ctl->cons */
    bool waiting;               /* ring_lock: vCPU paused for records */
    bool done;                  /* diverged or the log ran out: stopped */
    /* The next record of the log, copied out of the ring. */
    bool have;                  /* buf holds it */
    uint32_t have_bytes;        /* ring bytes it took (PAD skip included) */
    uint8_t *buf;               /* TT_REPLAY_REC_MAX */
    /* The TTOP_io_recv of the current exit (its input comes from the log). */
    bool io_recv_valid;
    struct xen_tt_io io_recv;   /* as the guest passed it */
    void *io_recv_arg;          /* its guest handle */
    bool started;               /* the records at position 0 are applied */
    bool diverged;              /* done because of a divergence */
    /* Signature placement: a hardware breakpoint, hidden from the guest. */
    bool armed;                 /* DR0 = bp_rip while the guest runs */
    uint64_t bp_rip;
    uint64_t guest_dr0, guest_dr7, guest_dr6; /* the guest's own */
    uint64_t host_dr7;          /* Xen's DR7 around VMRUN while armed */
    bool host_dr7_set;          /* tt_svm_vmenter() wrote DR7: put it back */
    /* The early stop (counter placement): replay.c's TT_STOP_NEAR. */
    bool counted;               /* the armed record has a count ... */
    uint64_t want;              /* ... this one */
    bool far;                   /* breakpoint off, stop_timer on */
    bool stop_timer_ok;         /* stop_timer initialised */
    unsigned int stop_cpu;      /* the CPU stop_timer is on */
    struct timer stop_timer;
    s_time_t search_since;      /* NOW() when the search began */
    unsigned int spot_hits;     /* hits of this spot's breakpoint ... */
    unsigned int best_diff;     /* ... and the fewest fields that differed */
    struct xen_tt_regs best, best_want; /* at that pass, and the log's */
    /* Counters (TTOP_status). */
    uint64_t replayed;          /* records taken from the ring */
    uint64_t sig_placed;        /* interrupts placed by signature */
    uint64_t bp_hits;           /* breakpoint exits */
    uint64_t search_ns;         /* time between arming and placing */
    uint64_t early_stops;       /* stop_timer settings */
    uint64_t stray_db;          /* #DBs no guest debug state explains */
    uint64_t dr7_leaks;         /* entries that found DR7's bp 0 still on */
};

/* A record queued by tt_defer_record(). */
struct tt_deferred {
    uint16_t type, flags;
    uint32_t off, len;          /* payload in tt_domain.defer_buf */
};

/*
 * Held items released between two checks of the log ring's headroom (the
 * end of an exit and the next one): 64 items log at most 128 interrupt
 * records of 216 bytes, which with the landmark's own record, the
 * deferred ones, the time writes and END keeps one exit's records within
 * TT_EXIT_MAX_BYTES.  The rest wait for the next landmark.
 */
#define TT_RELEASE_MAX 64U

/* 2-level event channels of a 64-bit guest: 64 words of 64 bits. */
#define TT_HOLD_PORTS 4096
/* A mem_dirty bit beside the TT_MEM_* kinds: the pvclock write was forced. */
#define TT_HOLD_PVCLOCK_FORCE 8

/*
 * What is held to the next landmark (hold.c, whose header comment gives
 * the locking): asserts for the TT vCPU and Xen's writes of guest time.
 */
struct tt_hold {
    spinlock_t lock;
    /* Under lock (at_landmark: written under it, read by the vCPU without). */
    bool at_landmark;           /* vCPU stopped at a landmark: apply at once */
    bool expired;               /* the bound timer fired */
    unsigned int nr;            /* items held */
    s_time_t since;             /* NOW() when the oldest was held */
    DECLARE_BITMAP(ports, TT_HOLD_PORTS);
    DECLARE_BITMAP(vectors, 256);
    DECLARE_BITMAP(level, 256); /* held vectors that are level-triggered */
    struct timer timer;         /* at since + bound: kicks the vCPU */
    /* Atomic bit operations. */
    unsigned long mem_dirty;    /* 1 << TT_MEM_*: writes deferred */
    /* The TT vCPU only. */
    bool releasing;             /* applying held items: hooks let them by */
    bool by_signature;          /* ... between landmarks (liveness) */
    unsigned int released;      /* since the last headroom check */
    uint64_t late;              /* releases after more than twice the bound */
};

/*
 * Locking is organized as follows:
 *
 * tt_lock (tt.c, global spinlock) serializes the control side: every
 * change of d->tt (attach, detach, domain teardown), ring setup and
 * teardown, every read of a struct tt_domain by another domain
 * (TTOP_status, TTOP_landmark_counts, XENMEM_acquire_resource) and the
 * doorbell's notification callback are made with it held.  It is taken
 * on the VM exit path only when the guest shuts itself down.
 *
 * t->ring_lock (ring.c) serializes the producer side of the log ring:
 * every record written, the headroom check, and the wait state (waiting,
 * ctl->producer_waiting).  Lock order: tt_lock, then ring_lock.
 *
 * d->tt itself is read without a lock by d's own vCPU (the exit hooks,
 * the guest side of tt_op).  That is safe because d->tt only changes
 * while d is paused: attach requires a domain paused by the toolstack,
 * and detach and teardown pause d (domain_pause(), which waits until the
 * vCPU is descheduled) before they clear d->tt and free it.
 *
 * The counters below are written only by the TT vCPU, on its own exit
 * path; other readers (under tt_lock) may see a value one exit old, never
 * a torn one (aligned 64-bit accesses on x86).
 */
struct tt_domain {
    /* Constant from attach to detach. */
    struct domain *d;
    uint16_t mode;              /* TT_MODE_RECORD or TT_MODE_REPLAY */
    uint32_t attach_flags;      /* TT_ATTACH_* */
    uint32_t bound_us;          /* liveness bound, guest us */
    uint32_t counter;           /* TT_COUNTER_* (counter.c) */

    /* tt_lock: TTOP_attach's pause reference, released by ring setup. */
    bool attach_paused;

    /* Written by the TT vCPU only (landmark.c). */
    uint64_t landmarks;         /* index of the latest landmark */
    uint64_t exits;             /* every VM exit of the vCPU */
    uint64_t other;             /* exits that were not landmarks */
    uint64_t continuations;     /* preempted hypercalls re-executed */
    uint64_t by_type[TT_LM_KINDS]; /* landmarks by TT_REC_* type */
    uint64_t lm_run_ns;         /* vCPU running time at the latest landmark */
    uint64_t lm_gap_max_ns;     /* longest running time between two ... */
    uint64_t lm_gap_sum_ns;     /* ... landmarks, and their sum */
    uint64_t lm_gap_max_at;     /* the landmark that ended the longest */
    uint64_t regtrace;          /* tt_regtrace's rolling hash */
    unsigned int evtrace_left;  /* tt_evtrace: landmarks still to print */
    unsigned int steptrace_left; /* tt_steptrace: steps still to take */
    /*
     * The exits since the latest landmark (the last 16), printed when a
     * replay diverges and by tt_evtrace: what the entry before each one
     * injected and the guest's RFLAGS then (tt_svm_vmenter() notes them
     * in vmenter_*), the event the exit interrupted.
     */
    unsigned int exhist_n;
    struct {
        uint64_t reason, rip, rcx, count, inj, rflags, intinfo;
        uint32_t insn;
    } exhist[16];
    uint64_t vmenter_inj, vmenter_rflags;
    /* The lab emulator's departures from a CPU (emulator.c). */
    uint64_t double_delivered, double_undone;
    uint64_t shadow_steps;      /* windows delayed past an interrupt shadow */
    bool shadow_step;           /* this entry steps the shadowed insn */
    bool shadow_step_trap;      /* this exit is that step's #DB */
    /* The counter (counter.c): its count since the latest landmark. */
    uint64_t count;
    uint64_t counter_short;     /* exits that counted fewer than Xen's own */
    uint64_t counter_min;       /* fewest counted in one exit */
    uint64_t emul_rip, emul_rcx; /* tt_emulate_start(): before Xen emulates */
    uint64_t emulated;          /* REP iterations Xen emulated, counted */
    /* TT_COUNTER_BRANCHES (counter-pmu.c). */
    uint64_t pmu_start;         /* counter value written at this run's entry */
    uint64_t pmu_run;           /* this run's overflow distance; 0: none */
    uint64_t pmu_arm;           /* replay: the next run's; 0: none */
    bool pmu_fired;             /* the last run overflowed */
    uint64_t pmu_pmis;          /* runs that overflowed */
    uint64_t pmu_skid_max;      /* most branches past an overflow ... */
    uint64_t pmu_overshoots;    /* ... and the overflows past the margin */
    struct xen_tt_pos pos;      /* position of the latest landmark */
    struct xen_tt_pos lm_pos;   /* ... in its own record: with the count
                                 * since the previous landmark */
    /*
     * A hypercall that Xen preempted: it is one landmark, counted when it
     * completes, with the arguments of its first exit.  Its continuation
     * is the VMMCALL at the same RIP and RSP with the registers Xen left
     * (an interrupt handler's own hypercall between has another RSP).
     */
    bool hcall_cont;            /* a continuation is due */
    uint64_t cont_rip, cont_rsp, cont_rax;
    uint64_t cont_args[7];      /* RAX RDI RSI RDX R10 R8 R9 of the first exit */
    uint64_t cont_reghash;      /* tt_regtrace: the first exit's registers */

    /* The current exit (TT vCPU only): registers as the guest left them. */
    bool in_exit;               /* between the exit hooks */
    /*
     * The current exit is a #DB of Xen's own (replay's breakpoint, a
     * shadow step, a stray emulator breakpoint, tt_steptrace): no landmark.
     */
    bool exit_is_xens;
    struct {
        uint64_t rax, rcx, rdx, rsi, rdi, r8, r9, r10;
        uint64_t rip;           /* where the guest was (counter.c) */
        uint64_t event_inj;     /* vmcb event_inj (a re-delivery) */
        uint64_t reghash;       /* tt_regtrace: the GPRs as left */
    } entry;
    struct {                    /* the first MMIO access Xen emulated ... */
        uint64_t gpa, value;
        uint8_t size;           /* ... 0: none yet in this exit */
        uint8_t dir;            /* TT_IO_OUT / TT_IO_IN */
    } mmio;
    struct {                    /* every access Xen emulated in this exit */
        unsigned int n;         /* port and MMIO accesses made */
        unsigned int bytes;     /* of data, at most TT_ACCESS_DATA_MAX */
        uint8_t data[TT_ACCESS_DATA_MAX];
    } acc;
    unsigned int hcall_len;     /* tt_hypercall_data() bytes ... */
    uint8_t *hcall_buf;         /* ... TT_HCALL_DATA_MAX */
    unsigned int ndefer;        /* tt_defer_record() records ... */
    unsigned int defer_used;    /* ... and bytes in defer_buf */
    struct tt_deferred defer[TT_DEFER_MAX];
    uint8_t *defer_buf;         /* TT_DEFER_BYTES */
    bool in_hcall;              /* the current exit is a VMMCALL */
    bool hcmem_lost;            /* more than TT_HCMEM_* were written */
    unsigned int hcmem_n;       /* ranges in hcmem ... */
    unsigned int hcmem_used;    /* ... and their bytes in hcmem_buf */
    struct {
        uint64_t gpa;
        uint32_t off, len;
    } hcmem[TT_HCMEM_SPANS];
    uint8_t *hcmem_buf;         /* TT_HCMEM_MAX */

    /*
     * Interrupts and time writes held to landmarks (hold.c); the counters
     * (TT vCPU, or under t->hold.lock) feed TTOP_status and TT_REC_END.
     */
    struct tt_hold hold;
    uint64_t irqs_held;         /* items held (not those applied at once) */
    uint64_t irqs_by_signature; /* items released at the liveness bound */
    uint64_t max_hold_ns;       /* longest hold, NOW() ns */

    /* ring_lock: the log ring and its producer. */
    spinlock_t ring_lock;
    struct tt_ring log;
    /*
     * The domain whose port space holds the doorbell (log.port): the
     * daemon's, which called TTOP_ring_setup; referenced until
     * tt_ring_destroy().  The TT domain's own ports stay as they would be
     * unrecorded.
     */
    struct domain *door_d;
    uint64_t records;           /* records written (PAD not counted) */
    uint64_t dropped;           /* records refused: no ring, ended, full */
    bool lost;                  /* a live domain's record was refused */
    uint64_t ring_waits;        /* times the vCPU waited for the daemon */
    bool waiting;               /* vCPU paused by the headroom rule */
    bool ended;                 /* TT_REC_END written: nothing after it */
    bool ended_paused;          /* resumed after END: paused for good */
    bool end_pending;           /* END due at the end of this exit ... */
    uint32_t end_reason, end_code; /* ... with these */

    /* TT-io devices (io.c, which has their locking rules). */
    struct tt_io *io;

    /* Replay only (mode TT_MODE_REPLAY). */
    struct tt_replay rp;

    /* Freed after a grace period: hold.c's hooks on other CPUs may look. */
    struct rcu_head rcu;
};

/* tt.c */
extern spinlock_t tt_lock;
struct domain;
/* The target of a control sub-op, RCU-locked, after the XSM check. */
int tt_get_target(domid_t domid, unsigned int cmd, struct domain **dp);

/*
 * io.c: TT-io devices.  xen_tt_info reports TT_IO_DEVICES and TT_IO_MAX;
 * TTOP_io_push may queue TT_IO_QUEUE bytes of input per device.
 */
#define TT_IO_QUEUE      4096U
#define TT_IO_NR_DEVICES 1U                     /* TT_DEV_* below this */
#define TT_IO_DEVICES    (1U << TT_DEV_CONSOLE)
int tt_io_init(struct tt_domain *t);
void tt_io_free(struct tt_domain *t);
long tt_io_guest_op(unsigned int cmd, XEN_GUEST_HANDLE_PARAM(void) arg);
long tt_io_push(XEN_GUEST_HANDLE_PARAM(void) arg);

/*
 * ring.c: the producer side.  Every function below may be called from the
 * TT vCPU's exit path; tt_record() also from a control operation while
 * the domain is paused.
 */

/*
 * Append a record of type/flags at position *pos: header + p1[l1] +
 * p2[l2] + padding.  -ENOSPC only without a ring, after TT_REC_END, or if
 * a caller broke the TT_EXIT_MAX_BYTES budget (counted in t->dropped;
 * cannot happen for an attached, unpaused domain because unpause before
 * ring setup is refused).
 */
int tt_record(struct tt_domain *t, unsigned int type, unsigned int flags,
              const struct xen_tt_pos *pos, const void *p1, unsigned int l1,
              const void *p2, unsigned int l2);

/*
 * Bytes a hypercall handler attaches to the TT_REC_HYPERCALL record of the
 * current exit, after struct xen_tt_rec_hypercall (TT-io data); at most
 * TT_HCALL_DATA_MAX in all (more is cut off).  Replaces earlier data of
 * the same exit.
 */
void tt_hypercall_data(struct tt_domain *t, const void *p1, unsigned int l1,
                       const void *p2, unsigned int l2);

/*
 * A record written right after the current exit's landmark record, with
 * its pos (TTIO_INPUT of io_recv, MEMORY, INTERRUPT at a landmark).  Up to
 * TT_DEFER_MAX per exit.  Outside an exit (e.g. at VM entry, after the
 * landmark record was written) it is written at once with the latest
 * landmark's position.  Errors: -ENOSPC queue full, -E2BIG too long.
 */
int tt_defer_record(struct tt_domain *t, unsigned int type,
                    unsigned int flags, const void *p1, unsigned int l1,
                    const void *p2, unsigned int l2);

/*
 * landmark.c, for the arch side: one VM exit of the TT vCPU.
 * tt_exit_enter() before Xen handles it (the registers as the guest left
 * them, a hypercall instruction or not, the event Xen re-delivers at the
 * next entry), tt_exit() after, with what the arch read from the exit.
 */
struct tt_exit {
    uint64_t reason;            /* the arch's exit code (history, traces) */
    uint64_t rip;               /* RIP at the exit (regs may be past it) */
    uint64_t intinfo;           /* the event it interrupted (history) */
    unsigned int type;          /* TT_REC_* landmark, TT_REC_PAD: none */
    union {
        struct {                /* TT_REC_IO */
            uint16_t port;
            uint8_t size;       /* 1, 2 or 4 */
            bool in, str;       /* IN/INS, INS/OUTS */
        } io;
        struct {                /* TT_REC_EXCEPTION: raised for the guest */
            uint8_t vector;
            uint32_t error_code;
            uint64_t cr2;       /* #PF */
        } exc;
    };
};
void tt_exit_enter(struct tt_domain *t, struct vcpu *v,
                   struct cpu_user_regs *regs, bool hypercall,
                   uint64_t event_inj);
void tt_exit(struct tt_domain *t, struct vcpu *v, const struct tt_exit *x);

/* ring.c, for landmark.c: the end of a TT vCPU's exit. */
void tt_exit_done(struct tt_domain *t);

/* ring.c, for tt.c (tt_lock held where noted). */
int tt_ring_create(struct tt_domain *t, unsigned int nr_pages,
                   struct domain *cd);                   /* tt_lock */
void tt_ring_destroy(struct tt_domain *t);   /* t unhooked, d paused */
void tt_write_end(struct tt_domain *t, unsigned int reason,
                  unsigned int code);
/* TT_RING_REPLAY (tt_lock): pages, and the log ring's doorbell. */
int tt_replay_ring_create(struct tt_domain *t, unsigned int nr_pages);
bool tt_ring_waiting(struct tt_domain *t);
int tt_buffers_alloc(struct tt_domain *t);
void tt_buffers_free(struct tt_domain *t);

/*
 * counter.c.  TT_ICOUNT_XEN: Xen's own instructions between the two TSC
 * reads around VMRUN (svm/entry.S), as QEMU counts them: 22 from the
 * first read to VMRUN included, 37 from #VMEXIT to the second read
 * included.  The lab confirms it: an INTR or IOIO exit taken before the
 * guest's first instruction counts exactly 59.
 */
#define TT_ICOUNT_XEN 59
/* 0 if this host offers counter (TT_COUNTER_*), else -ENODEV/-EINVAL. */
int tt_counter_check(unsigned int counter);
/* Start of every exit of the TT vCPU: add the guest's part to t->count. */
void tt_counter_exit(struct tt_domain *t, struct vcpu *v);
/* At detach: what the counter saw (diagnostic). */
void tt_counter_report(const struct tt_domain *t);

/*
 * arch/x86/cpu/tt-pmu.c: TT_COUNTER_BRANCHES, an AMD core performance counter
 * counting the guest's retired taken branches in guest mode only.
 */
/* Boot (tt_counter=branches): does this host offer it?  Says why not. */
bool tt_pmu_init(void);
/* svm_vmenter_helper(), interrupts off: program the counter for VMRUN. */
void tt_pmu_vmenter(struct tt_domain *t);
/* tt_counter_exit(): stop it and add what it counted to t->count. */
void tt_pmu_exit(struct tt_domain *t);
/*
 * Replay, at an entry: arm the next run's overflow interrupt to stop the
 * guest TT_PMU_SKID_MARGIN branches short of count want.  false: want is
 * within the margin (or passed), nothing armed.
 */
bool tt_pmu_arm(struct tt_domain *t, uint64_t want);
/* At detach: overflow stops and skid (diagnostic). */
void tt_pmu_report(const struct tt_domain *t);


/*
 * replay.c.  tt_replay_landmark() replaces the record of a landmark in
 * replay: it checks the landmark against the log, takes its outside
 * results from the log (into regs and into *lr), writes the replay log's
 * record, and applies what the log delivered at that landmark.
 */
struct tt_lmrec {
    unsigned int type, flags, len;
    union {
        struct xen_tt_rec_hypercall hcall;
        struct xen_tt_rec_cpuid cpuid;
        struct xen_tt_rec_tsc tsc;
        struct xen_tt_rec_msr msr;
        struct xen_tt_rec_io io;
        struct xen_tt_rec_mmio mmio;
        struct xen_tt_rec_exception exc;
    } p;
    const void *data;           /* hypercall data (TT-io output) */
    unsigned int dlen;
};
int tt_replay_init(struct tt_domain *t);
void tt_replay_free(struct tt_domain *t);
void tt_replay_landmark(struct tt_domain *t, struct vcpu *v,
                        struct cpu_user_regs *regs, struct tt_lmrec *lr);
/* DR7 with breakpoint 0 enabled (local), on execution, 1 byte. */
#define TT_BP_DR7 (DR_CONTROL_RESERVED_ONE | (1U << DR_LOCAL_ENABLE_SHIFT))
/*
 * A #DB exit: true if it is the armed breakpoint's (then handled: the
 * signature compared, what the log has there placed).
 */
bool tt_replay_breakpoint(struct tt_domain *t, struct vcpu *v,
                          struct cpu_user_regs *regs);
/* End of every exit in replay: the guest waits for records. */
void tt_replay_exit_done(struct tt_domain *t, struct vcpu *v);
/* Doorbell callback (tt_lock held): resume a vCPU that waited. */
void tt_replay_notify(struct tt_domain *t, struct vcpu *v);
bool tt_replay_waiting(struct tt_domain *t);
/*
 * arch/x86/hvm/svm/tt-emulator.c, for svm/tt.c: what Xen does where QEMU's
 * SVM is not an AMD CPU.
 */
void tt_emu_vmexit(struct tt_domain *t, struct vcpu *v,
                   struct cpu_user_regs *regs);
void tt_emu_vmenter(struct tt_domain *t, struct vcpu *v);
bool tt_emu_debug_trap(struct tt_domain *t);
bool tt_emu_stray_debug_trap(struct tt_domain *t, struct vcpu *v,
                             struct cpu_user_regs *regs);

/* Diagnostic tt_steptrace (landmark.c): a #DB exit of its stepping. */
bool tt_steptrace_trap(struct tt_domain *t, struct vcpu *v,
                       struct cpu_user_regs *regs);

/* io.c, replay: the input the current exit's TTOP_io_recv got, from the log. */
int tt_io_replay_input(struct tt_domain *t, const struct xen_tt_rec_ttio *rec,
                       const uint8_t *data);
/* replay.c: the first VM entry applies what the log has at position 0. */
void tt_replay_entry(struct tt_domain *t, struct vcpu *v);

/* hold.c */
int tt_hold_init(struct tt_domain *t);
/* After d->tt is cleared, d paused: stop holding, hand over what was held. */
void tt_hold_destroy(struct tt_domain *t, struct domain *d);
/* End of an exit of v (landmark or not), after its landmark record. */
void tt_hold_exit(struct tt_domain *t, struct vcpu *v, bool landmark);
/*
 * Replay: apply one interrupt or one time write of the log now, on the TT
 * vCPU, logging it as recording did (the replay log's record).
 */
void tt_hold_replay_interrupt(struct tt_domain *t, struct vcpu *v,
                              const struct xen_tt_rec_interrupt *irq,
                              bool by_signature);
int tt_hold_replay_memory(struct tt_domain *t, struct vcpu *v,
                          unsigned int kind, uint64_t gpa, const void *p,
                          unsigned int len);
/* landmark.c, diagnostic tt_evtrace: an interrupt was delivered now. */
void tt_evtrace_delivered(struct tt_domain *t);
/* The signature of the guest's registers now (struct xen_tt_regs). */
void tt_signature(struct vcpu *v, struct xen_tt_regs *sig);

#endif /* __XEN_TT_PRIVATE_H__ */
