/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * common/tt/replay.c
 *
 * Replay: a TT domain runs again from the log of a recording, landmark for
 * landmark (DESIGN sections 4, 5 and 8; docs/design-replay.md).
 *
 * The daemon writes the records of the log into the replay ring
 * (TT_RING_REPLAY, ring.c has its pages); this file is its consumer.  The
 * guest runs as it did when recorded, with three differences:
 *
 *  - at every landmark (landmark.c builds its record as recording does and
 *    calls tt_replay_landmark()), the next record of the log must be that
 *    landmark: same type, index, RIP and RCX, same inputs (hypercall
 *    arguments, CPUID leaf, MSR, port, MMIO access, exception), same local
 *    results.  The first mismatch is a divergence: Xen prints it in the
 *    seed's shape, writes TT_REC_DIVERGENCE and TT_REC_END into the replay
 *    log and keeps the domain paused for inspection;
 *  - outside results (TT_RECF_OUTSIDE: the TSC, host-dependent hypercall
 *    results, CPUID and MSR values) come from the log, into the guest's
 *    registers, instead of from Xen's own handling;
 *  - nothing from outside reaches the guest on its own (hold.c suppresses
 *    every assert and every time write Xen makes); what the log delivered
 *    at a landmark (interrupts, pvclock/runstate/wallclock bytes, TT-io
 *    input) is applied right after that landmark's record, and what it
 *    delivered between landmarks, placed by signature, is applied where
 *    the guest's registers equal the signature again: a hardware
 *    breakpoint on the signature's RIP (DR0, hidden from the guest), and a
 *    comparison of every register, CR3 and CPL at each hit.  Idle time is
 *    skipped: a guest blocked in HLT gets the interrupt that woke it in the
 *    recording at once.
 *
 * Every record applied is logged again by the code that logged it when
 * recording, so the replay's own log (the log ring, as when recording)
 * holds the same records as the original: `ttd-read-log diff` compares
 * them.
 *
 * Availability: like the headroom rule of the log ring, at the end of each
 * exit Xen pauses the vCPU while the replay ring holds fewer than
 * TT_EXIT_MAX_BYTES of unconsumed records and dom0 has not set eof, until
 * dom0 has written more and kicked: the guest waits for records, never
 * runs ahead of them.  A ring that runs dry all the same, a record that
 * breaks the ring's rules, or a log that ends while the guest runs, stop
 * the replay (TT_END_LOG_DONE), never Xen.
 *
 * Locking: everything here runs on the TT vCPU (its exits and entries)
 * but tt_replay_notify(), the doorbell's callback on dom0's CPU, which
 * takes tt_lock then ring_lock; waiting and the consumer index published
 * in the control page are protected by ring_lock.  Records from dom0 are
 * copied into Xen before they are looked at (dom0 may change the ring at
 * any time).
 */

#include <xen/event.h>
#include <xen/guest_access.h>
#include <xen/hypercall.h>
#include <xen/lib.h>
#include <xen/sched.h>
#include <xen/spinlock.h>
#include <xen/time.h>
#include <xen/timer.h>
#include <xen/tt.h>
#include <xen/xmalloc.h>

#include <asm/debugreg.h>
#include <asm/hvm/hvm.h>

#include <xen/tt-private.h>

/*
 * The early stop (counter placement, TT_COUNTER_ICOUNT; the hardware
 * counter's is rp_early_stop_pmu()): while the armed record's count is
 * more than TT_STOP_NEAR instructions away, the breakpoint is off and a
 * Xen timer stops the guest instead, after half
 * the instructions still to go.  Under `-icount shift=0` one instruction
 * is one TSC tick and one nanosecond of NOW(), and the TSC counts Xen's
 * instructions too, so the guest cannot run more than the timer's delay
 * before it fires: the halving absorbs an error of up to twice in Xen's
 * TSC calibration, TT_STOP_NEAR the timer's slop (50 us by default) and
 * the interrupt's latency.  Within TT_STOP_NEAR the breakpoint takes over
 * and each pass of the spot is compared as before: a loop that passes
 * the spot every few instructions costs a few thousand breakpoint exits
 * instead of one per pass from the landmark on (replay-alarm).
 */
#define TT_STOP_NEAR 200000U
/* A stop closer than this is not worth an exit: the breakpoint is on. */
#define TT_STOP_MIN  20000U

static void rp_stop_timer_fn(void *data)
{
    /* The interrupt that ran this made the guest exit: nothing to do. */
}

int tt_replay_init(struct tt_domain *t)
{
    t->rp.stop_cpu = smp_processor_id();
    init_timer(&t->rp.stop_timer, rp_stop_timer_fn, t, t->rp.stop_cpu);
    t->rp.stop_timer_ok = true;
    t->rp.buf = xmalloc_array(uint8_t, TT_REPLAY_REC_MAX);

    return t->rp.buf ? 0 : -ENOMEM;
}

void tt_replay_free(struct tt_domain *t)
{
    if ( t->rp.stop_timer_ok )
    {
        kill_timer(&t->rp.stop_timer);
        t->rp.stop_timer_ok = false;
        if ( t->rp.started )
            printk(XENLOG_G_INFO "tt: %pd: replay placed %"PRIu64
                   " interrupts by signature: %"PRIu64" breakpoint exits, %"
                   PRIu64" early stops, %"PRIu64" stray #DBs, %"PRIu64
                   " DR7 leaks\n", t->d, t->rp.sig_placed,
                   t->rp.bp_hits, t->rp.early_stops, t->rp.stray_db,
                   t->rp.dr7_leaks);
    }
    XFREE(t->rp.buf);
}

/* ------------------------------------------------------------------ */
/* The replay ring's consumer.                                          */
/* ------------------------------------------------------------------ */

/*
 * Bytes of records dom0 has published and Xen has not consumed; *eof set
 * when dom0 has written its last record.  A prod that makes no sense (more
 * than the ring ahead) reads as nothing more.
 */
static uint64_t rp_avail(const struct tt_replay *rp, bool *eof)
{
    const struct xen_tt_ring *ctl = rp->ring.ctl;
    uint64_t n;
    bool end = ACCESS_ONCE(ctl->eof);

    /* eof is written after the final prod: read them in that order. */
    smp_rmb();
    n = ACCESS_ONCE(ctl->prod) - rp->cons;
    /* The bytes prod covers are read after prod. */
    smp_rmb();

    if ( eof )
        *eof = end;
    return n > rp->ring.size ? 0 : n;
}

static bool rp_enough(const struct tt_replay *rp)
{
    bool eof;
    uint64_t n = rp_avail(rp, &eof);

    return eof || n >= TT_EXIT_MAX_BYTES;
}

/* Hand n ring bytes back to dom0. */
static void rp_advance(struct tt_replay *rp, uint64_t n)
{
    rp->cons += n;
    /* The bytes were read before dom0 may reuse them. */
    smp_mb();
    rp->ring.ctl->cons = rp->cons;
}

static const char *const rec_names[] = {
    [TT_REC_HYPERCALL] = "HYPERCALL", [TT_REC_CPUID] = "CPUID",
    [TT_REC_RDTSC] = "RDTSC", [TT_REC_RDTSCP] = "RDTSCP",
    [TT_REC_MSR_READ] = "MSR_READ", [TT_REC_MSR_WRITE] = "MSR_WRITE",
    [TT_REC_HLT] = "HLT", [TT_REC_PAUSE] = "PAUSE", [TT_REC_IO] = "IO",
    [TT_REC_MMIO] = "MMIO", [TT_REC_EXCEPTION] = "EXCEPTION",
};

static const char *rec_name(unsigned int type)
{
    switch ( type )
    {
    case TT_REC_INTERRUPT:    return "INTERRUPT";
    case TT_REC_MEMORY:       return "MEMORY";
    case TT_REC_TTIO_INPUT:   return "TTIO_INPUT";
    case TT_REC_DOMAIN_START: return "DOMAIN_START";
    case TT_REC_END:          return "END";
    }
    if ( type < ARRAY_SIZE(rec_names) && rec_names[type] )
        return rec_names[type];
    return "UNKNOWN";
}

/* Stop replaying: END(reason) in the replay log, the vCPU paused for good. */
static void rp_stop(struct tt_domain *t, struct vcpu *v, unsigned int reason)
{
    if ( t->rp.done )
        return;
    t->rp.done = true;
    t->rp.diverged = reason == TT_END_DIVERGED;
    tt_write_end(t, reason, 0);
    /*
     * Our own pause, never given back: the domain stays as it is for
     * inspection until it is destroyed.  It must not run unreplayed.  The
     * toolstack's pause too, so that `xl list` shows it paused (an `xl
     * unpause` takes that one back, not ours).
     */
    vcpu_pause_nosync(v);
    domain_pause_by_systemcontroller_nosync(t->d);
}

/* The log cannot be replayed further (bad ring, or it ran out). */
static void rp_log_done(struct tt_domain *t, struct vcpu *v, const char *why)
{
    if ( t->rp.done )
        return;
    printk(XENLOG_G_WARNING
           "tt: %pd: replay stops at landmark %"PRIu64" (ip %#"PRIx64"): %s\n",
           t->d, t->pos.landmark, t->pos.rip, why);
    rp_stop(t, v, TT_END_LOG_DONE);
}

/*
 * The next record of the log that Xen acts on (control records skipped),
 * copied into t->rp.buf; not consumed.  0, or -ENOENT the log has no more,
 * -EAGAIN none published yet, -EIO the ring breaks its rules (reported).
 */
static int rp_next(struct tt_domain *t, struct vcpu *v,
                   const struct xen_tt_rec **recp)
{
    struct tt_replay *rp = &t->rp;
    struct tt_ring *r = &rp->ring;

    for ( ; ; )
    {
        struct xen_tt_rec hdr;
        uint64_t avail;
        unsigned int off, tail, size;
        bool eof;

        if ( rp->have )
        {
            *recp = (const struct xen_tt_rec *)rp->buf;
            return 0;
        }
        if ( rp->done || !r->nr_pages )
            return -ENOENT;

        avail = rp_avail(rp, &eof);
        if ( !avail )
            return eof ? -ENOENT : -EAGAIN;

        off = rp->cons & (r->size - 1);
        tail = r->size - off;
        if ( tail < TT_REC_HDR_SIZE )
        {
            /* Too short for a header: skipped, as the producer did. */
            if ( avail < tail )
                goto bad;
            rp_advance(rp, tail);
            continue;
        }
        memcpy(&hdr, r->data + off, sizeof(hdr));
        if ( hdr.type == TT_REC_PAD )
        {
            if ( avail < tail )
                goto bad;
            rp_advance(rp, tail);
            continue;
        }
        if ( hdr.payload_len > TT_REPLAY_REC_MAX - TT_REC_HDR_SIZE )
            goto bad;
        size = TT_REC_SIZE(hdr.payload_len);
        if ( size > tail || size > avail || (hdr.flags & ~TT_RECF_ALL) )
            goto bad;

        memcpy(rp->buf, r->data + off, size);
        /* dom0 may have changed it meanwhile: the copy is what counts. */
        memcpy(&hdr, rp->buf, sizeof(hdr));
        if ( TT_REC_SIZE(hdr.payload_len) != size )
            goto bad;

        if ( TT_REC_CLASS(hdr.type) == TT_REC_CLASS_CONTROL )
        {
            /* DOMAIN_START, END, DIVERGENCE: Xen writes its own. */
            rp_advance(rp, size);
            rp->replayed++;
            continue;
        }

        /*
         * A log recorded with a counter has TT_RECF_BRANCHES on every
         * other record, one recorded without on none (ring.c): a replay
         * attached otherwise would compare counts that mean nothing.
         * The replay attaches with its DOMAIN_START's counter.
         */
        if ( !(hdr.flags & TT_RECF_BRANCHES) !=
             (t->counter == TT_COUNTER_NONE) )
        {
            rp_log_done(t, v, t->counter == TT_COUNTER_NONE
                        ? "the log was recorded with a counter and this "
                          "replay attached without one"
                        : "the log was recorded without a counter and "
                          "this replay attached with one");
            return -EIO;
        }

        rp->have = true;
        rp->have_bytes = size;
        *recp = (const struct xen_tt_rec *)rp->buf;
        return 0;

    bad:
        rp_log_done(t, v, "the replay ring holds a record that breaks its "
                    "rules (a corrupt log or a broken ttd-deviced)");
        return -EIO;
    }
}

/* The record rp_next() returned has been acted on. */
static void rp_consume(struct tt_domain *t)
{
    ASSERT(t->rp.have);
    t->rp.have = false;
    t->rp.replayed++;
    rp_advance(&t->rp, t->rp.have_bytes);
}

static const void *rec_payload(const struct xen_tt_rec *rec)
{
    return rec + 1;
}

/* ------------------------------------------------------------------ */
/* Divergence.                                                         */
/* ------------------------------------------------------------------ */

/* What the seed's line calls info: the inputs that tell the event. */
static void rec_info(unsigned int type, const void *p, unsigned int len,
                     const char **what, uint64_t *n)
{
    const struct xen_tt_rec_hypercall *h = p;
    const struct xen_tt_rec_cpuid *c = p;
    const struct xen_tt_rec_msr *m = p;
    const struct xen_tt_rec_io *io = p;
    const struct xen_tt_rec_mmio *mmio = p;
    const struct xen_tt_rec_exception *e = p;
    const struct xen_tt_rec_interrupt *irq = p;

    *what = "none";
    *n = 0;
    switch ( type )
    {
    case TT_REC_HYPERCALL:
        if ( len >= sizeof(*h) )
            *what = "hypercall", *n = h->nr;
        break;
    case TT_REC_CPUID:
        if ( len >= sizeof(*c) )
            *what = "leaf", *n = c->leaf;
        break;
    case TT_REC_MSR_READ:
    case TT_REC_MSR_WRITE:
        if ( len >= sizeof(*m) )
            *what = "msr", *n = m->index;
        break;
    case TT_REC_IO:
        if ( len >= sizeof(*io) )
            *what = "port", *n = io->port;
        break;
    case TT_REC_MMIO:
        if ( len >= sizeof(*mmio) )
            *what = "gpa", *n = mmio->gpa;
        break;
    case TT_REC_EXCEPTION:
        if ( len >= sizeof(*e) )
            *what = "vector", *n = e->vector;
        break;
    case TT_REC_INTERRUPT:
        if ( len >= sizeof(*irq) )
            *what = irq->kind == TT_IRQ_UPCALL ? "port" : "vector",
            *n = irq->kind == TT_IRQ_UPCALL ? irq->port : irq->vector;
        break;
    }
}

static void rp_report_search(const struct tt_domain *t);

static const char *const div_names[] = {
    [TT_DIV_TYPE] = "another event", [TT_DIV_POSITION] = "another position",
    [TT_DIV_ARGS] = "other inputs", [TT_DIV_MISSED] = "passed it",
    [TT_DIV_RESULT] = "another result",
};

/*
 * The guest did something else than the log says at this point: report
 * it (Xen's console, in the seed's shape; TT_REC_DIVERGENCE and END in the
 * replay log) and stop.  actual is the guest's landmark (type 0: none).
 */
static void rp_diverge(struct tt_domain *t, struct vcpu *v,
                       unsigned int reason, const struct xen_tt_rec *expected,
                       const struct tt_lmrec *actual)
{
    struct xen_tt_rec_divergence div = {
        .expected_type = expected->type,
        .actual_type = actual ? actual->type : 0,
        .reason = reason,
        .expected = expected->pos,
        .actual = t->lm_pos,
    };
    const struct xen_tt_pos *now = actual ? &t->lm_pos : &div.actual;
    const char *what;
    uint64_t n;

    if ( t->rp.done )
        return;
    if ( !actual )
    {
        /* Between landmarks: where the guest is now. */
        div.actual = t->pos;
        div.actual.rip = guest_cpu_user_regs()->rip;
        div.actual.branches = t->count;
    }

    rec_info(expected->type, rec_payload(expected), expected->payload_len,
             &what, &n);
    if ( t->rp.armed && (expected->flags & TT_RECF_SIGNATURE) )
        rp_report_search(t);
    printk(XENLOG_G_ERR "TT_LOG:(cpu(%u): tt_replay_landmark) "
           "Error:Replay missed event:TT_REC_%s(%u),info:%s(%"PRIu64"):"
           "now (lm:%"PRIu64", ip:%#"PRIx64", n:%"PRIu64"), event (lm:%"
           PRIu64", ip:%#"PRIx64", n:%"PRIu64")\n",
           v->processor, rec_name(expected->type), expected->type, what, n,
           now->landmark, now->rip, now->branches, expected->pos.landmark,
           expected->pos.rip, expected->pos.branches);
    printk(XENLOG_G_ERR "tt: %pd: replay diverged: the guest %s %s (%s) "
           "where the log has %s; domain paused for inspection\n",
           t->d, actual ? "executed" : "reached",
           actual ? rec_name(actual->type) : "this landmark",
           reason < ARRAY_SIZE(div_names) ? div_names[reason] : "?",
           rec_name(expected->type));

    /* What the guest did, then what differed: the two logs line up. */
    if ( actual )
        tt_record(t, actual->type, actual->flags, &t->lm_pos, &actual->p,
                  actual->len, actual->data, actual->dlen);
    tt_record(t, TT_REC_DIVERGENCE, 0, now, &div, sizeof(div), NULL, 0);
    rp_stop(t, v, TT_END_DIVERGED);
}

/* ------------------------------------------------------------------ */
/* Landmarks.                                                          */
/* ------------------------------------------------------------------ */

#define LO32(x) ((x) & 0xffffffffULL)

/*
 * Compare the landmark the guest made (lr) with the log's (rec, whose
 * fixed payload is at least lr->len bytes): the inputs, then the results.
 * Outside results are taken from the log into lr and the guest's
 * registers.  Returns TT_DIV_* + 1, or 0 if they agree.
 */
static unsigned int rp_compare(struct tt_lmrec *lr,
                               const struct xen_tt_rec *rec,
                               struct cpu_user_regs *regs)
{
    const void *p = rec_payload(rec);
    bool outside = rec->flags & TT_RECF_OUTSIDE;

    switch ( lr->type )
    {
    case TT_REC_HYPERCALL:
    {
        const struct xen_tt_rec_hypercall *h = p;

        if ( h->nr != lr->p.hcall.nr ||
             memcmp(h->args, lr->p.hcall.args, sizeof(h->args)) )
            return TT_DIV_ARGS + 1;
        if ( outside )
            regs->rax = lr->p.hcall.ret = h->ret;
        else if ( h->ret != lr->p.hcall.ret )
            return TT_DIV_RESULT + 1;
        /* What the guest sent (TT-io output) must be what it sent then. */
        if ( rec->payload_len - sizeof(*h) != lr->dlen ||
             (lr->dlen && memcmp(h + 1, lr->data, lr->dlen)) )
            return TT_DIV_RESULT + 1;
        break;
    }

    case TT_REC_CPUID:
    {
        const struct xen_tt_rec_cpuid *c = p;

        if ( c->leaf != lr->p.cpuid.leaf || c->subleaf != lr->p.cpuid.subleaf )
            return TT_DIV_ARGS + 1;
        if ( outside )
        {
            lr->p.cpuid = *c;
            regs->rax = c->eax;
            regs->rbx = c->ebx;
            regs->rcx = c->ecx;
            regs->rdx = c->edx;
        }
        else if ( memcmp(c, &lr->p.cpuid, sizeof(*c)) )
            return TT_DIV_RESULT + 1;
        break;
    }

    case TT_REC_RDTSC:
    case TT_REC_RDTSCP:
    {
        const struct xen_tt_rec_tsc *tsc = p;

        /* Always outside: the emulated TSC counts host time. */
        lr->p.tsc = *tsc;
        regs->rax = LO32(tsc->tsc);
        regs->rdx = tsc->tsc >> 32;
        if ( lr->type == TT_REC_RDTSCP )
            regs->rcx = tsc->aux;
        break;
    }

    case TT_REC_MSR_READ:
    case TT_REC_MSR_WRITE:
    {
        const struct xen_tt_rec_msr *m = p;

        if ( m->index != lr->p.msr.index ||
             (lr->type == TT_REC_MSR_WRITE && m->value != lr->p.msr.value) )
            return TT_DIV_ARGS + 1;
        if ( lr->type == TT_REC_MSR_WRITE )
            break;
        if ( outside )
        {
            lr->p.msr.value = m->value;
            regs->rax = LO32(m->value);
            regs->rdx = m->value >> 32;
        }
        else if ( m->value != lr->p.msr.value )
            return TT_DIV_RESULT + 1;
        break;
    }

    case TT_REC_IO:
    {
        const struct xen_tt_rec_io *io = p;
        uint64_t mask = (1ULL << (io->size * 8)) - 1;

        bool same_data = rec->payload_len - sizeof(*io) == lr->dlen &&
                         (!lr->dlen || !memcmp(io + 1, lr->data, lr->dlen));

        if ( io->port != lr->p.io.port || io->size != lr->p.io.size ||
             io->dir != lr->p.io.dir || io->count != lr->p.io.count ||
             (io->dir == TT_IO_OUT && io->value != lr->p.io.value) ||
             (io->dir == TT_IO_OUT && !same_data) )
            return TT_DIV_ARGS + 1;
        if ( io->dir == TT_IO_OUT )
            break;
        /* A string IN: what Xen's handlers answered, element by element. */
        if ( !same_data )
            return TT_DIV_RESULT + 1;
        if ( outside )
        {
            lr->p.io.value = io->value;
            regs->rax = (regs->rax & ~mask) | (io->value & mask);
        }
        else if ( io->value != lr->p.io.value )
            return TT_DIV_RESULT + 1;
        break;
    }

    case TT_REC_MMIO:
    {
        const struct xen_tt_rec_mmio *m = p;

        /* Logs of before December 2026 say 0 and hold the first access. */
        bool old_log = !m->count;

        if ( m->gpa != lr->p.mmio.gpa || m->size != lr->p.mmio.size ||
             m->dir != lr->p.mmio.dir ||
             (m->dir == TT_IO_OUT && m->value != lr->p.mmio.value) ||
             (!old_log && m->count != lr->p.mmio.count) )
            return TT_DIV_ARGS + 1;
        /*
         * More than one access: all their bytes, in order (the reads among
         * them are Xen's answers, local as the first one's value is).
         */
        if ( !old_log &&
             (rec->payload_len - sizeof(*m) != lr->dlen ||
              (lr->dlen && memcmp(m + 1, lr->data, lr->dlen))) )
            return TT_DIV_RESULT + 1;
        if ( old_log )
        {
            /* Write the log's shape again: the replay log stays diffable. */
            lr->p.mmio.count = 0;
            lr->data = NULL;
            lr->dlen = 0;
        }
        /*
         * An outside MMIO read (the vLAPIC timer's count) went into a
         * register that the emulator chose: no way to put the log's value
         * there after the fact.  Compare it like a local one; the
         * recording's value and Xen's agree as long as the guest reads
         * the timer only after setting it at a landmark.
         */
        if ( m->dir == TT_IO_IN && m->value != lr->p.mmio.value && !outside )
            return TT_DIV_RESULT + 1;
        lr->p.mmio.value = m->value;
        break;
    }

    case TT_REC_EXCEPTION:
        if ( memcmp(p, &lr->p.exc, sizeof(lr->p.exc)) )
            return TT_DIV_ARGS + 1;
        break;

    case TT_REC_HLT:
    case TT_REC_PAUSE:
        break;
    }

    return 0;
}

/* Apply one record that the log delivered at this point. */
static void rp_apply(struct tt_domain *t, struct vcpu *v,
                     const struct xen_tt_rec *rec)
{
    const void *p = rec_payload(rec);
    unsigned int len = rec->payload_len;
    bool sig = rec->flags & TT_RECF_SIGNATURE;
    int rc = -EINVAL;

    switch ( rec->type )
    {
    case TT_REC_INTERRUPT:
        if ( len != sizeof(struct xen_tt_rec_interrupt) +
                    (sig ? sizeof(struct xen_tt_regs) : 0) )
            break;
        tt_hold_replay_interrupt(t, v, p, sig);
        rc = 0;
        break;

    case TT_REC_MEMORY:
    {
        const struct xen_tt_rec_memory *m = p;

        if ( len < sizeof(*m) || m->len != len - sizeof(*m) )
            break;
        rc = tt_hold_replay_memory(t, v, m->kind, m->gpa, m + 1, m->len);
        break;
    }

    case TT_REC_TTIO_INPUT:
    {
        const struct xen_tt_rec_ttio *io = p;

        if ( len < sizeof(*io) || io->len != len - sizeof(*io) ||
             io->len > TT_IO_MAX )
            break;
        rc = tt_io_replay_input(t, io, (const uint8_t *)(io + 1));
        break;
    }
    }

    if ( rc )
    {
        printk(XENLOG_G_ERR "tt: %pd: replay cannot apply the log's %s "
               "record at landmark %"PRIu64": error %d\n",
               t->d, rec_name(rec->type), rec->pos.landmark, rc);
        rp_diverge(t, v, TT_DIV_RESULT, rec, NULL);
    }
}

/* The signature that follows a TT_RECF_SIGNATURE interrupt's payload. */
static const struct xen_tt_regs *rec_sig(const struct xen_tt_rec *rec)
{
    return (const void *)((const uint8_t *)rec_payload(rec) +
                          sizeof(struct xen_tt_rec_interrupt));
}

static bool sig_equal(const struct xen_tt_regs *a, const struct xen_tt_regs *b)
{
    return !memcmp(a, b, offsetof(struct xen_tt_regs, pad));
}

/*
 * The arithmetic flags, some of which x86 leaves undefined after many
 * instructions (BT's OF, SF, AF and PF; the shifts'; MUL's).  QEMU, the
 * lab's CPU, computes the undefined ones from its translation state, so
 * they depend on where a translation block began, which icount, an
 * interrupt or a breakpoint moves: seen in the lab after a BT, OF set in
 * the recording and clear in its replay, at the same count with every
 * register equal.
 */
#define TT_SIG_ARITH_FLAGS (X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF | \
                            X86_EFLAGS_ZF | X86_EFLAGS_SF | X86_EFLAGS_OF)

/*
 * Is the guest at rec's spot?  Without a count the whole signature names
 * it, the flags included: they help tell passes apart.  With a count the
 * count names the instruction, and the arithmetic flags are left out
 * (see above): a guest whose state truly differs takes another branch
 * soon and is caught by the next landmark's count and registers.
 */
static bool sig_match(const struct xen_tt_rec *rec,
                      const struct xen_tt_regs *now)
{
    struct xen_tt_regs want = *rec_sig(rec);

    if ( rec->flags & TT_RECF_BRANCHES )
        want.rflags = (want.rflags & ~TT_SIG_ARITH_FLAGS) |
                      (now->rflags & TT_SIG_ARITH_FLAGS);

    return sig_equal(&want, now);
}

/* The fields of struct xen_tt_regs, in order, for the report of a miss. */
static const char *const sig_fields[] = {
    "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9",
    "r10", "r11", "r12", "r13", "r14", "r15", "rip", "rflags", "cr3", "cpl",
};

/* Bit i set: field i of the two signatures differs. */
static unsigned int sig_diff(const struct xen_tt_regs *a,
                             const struct xen_tt_regs *b)
{
    const uint64_t *pa = (const uint64_t *)a, *pb = (const uint64_t *)b;
    unsigned int i, mask = 0;

    for ( i = 0; i < 18; i++ )
        if ( pa[i] != pb[i] )
            mask |= 1U << i;
    if ( a->cr3 != b->cr3 )
        mask |= 1U << 18;
    if ( a->cpl != b->cpl )
        mask |= 1U << 19;

    return mask;
}

/* Say how close the search for a signature came (a missed placement). */
static void rp_report_search(const struct tt_domain *t)
{
    const struct tt_replay *rp = &t->rp;
    const uint64_t *want = (const uint64_t *)&rp->best_want;
    const uint64_t *got = (const uint64_t *)&rp->best;
    char buf[256] = "";
    unsigned int i, n = 0;

    if ( !rp->spot_hits )
    {
        printk(XENLOG_G_ERR "tt: %pd: the breakpoint on %#"PRIx64" was never "
               "hit: the guest did not pass that spot\n", t->d, rp->bp_rip);
        return;
    }
    for ( i = 0; i < ARRAY_SIZE(sig_fields) && n < sizeof(buf); i++ )
        if ( rp->best_diff & (1U << i) )
            n += snprintf(buf + n, sizeof(buf) - n, " %s", sig_fields[i]);
    for ( i = 0; i < 19 && n < sizeof(buf); i++ )
        if ( rp->best_diff & (1U << i) )
            n += snprintf(buf + n, sizeof(buf) - n, " (%s %#"PRIx64
                          " in the log, %#"PRIx64" here)", sig_fields[i],
                          want[i], got[i]);
    printk(XENLOG_G_ERR "tt: %pd: the breakpoint on %#"PRIx64" was hit %u "
           "times; the closest pass differed in:%s\n",
           t->d, rp->bp_rip, rp->spot_hits, buf);
}

static void rp_arm(struct tt_domain *t, struct vcpu *v,
                   const struct xen_tt_rec *rec)
{
    struct tt_replay *rp = &t->rp;

    if ( rec->payload_len != sizeof(struct xen_tt_rec_interrupt) +
                             sizeof(struct xen_tt_regs) )
    {
        rp_diverge(t, v, TT_DIV_RESULT, rec, NULL);
        return;
    }

    if ( !rp->armed )
    {
        rp->guest_dr7 = arch_tt_get_dr(v, 7);
        rp->guest_dr6 = arch_tt_get_dr(v, 6);
        rp->guest_dr0 = arch_tt_get_dr(v, 0);
        rp->search_since = NOW();
    }
    rp->armed = true;
    rp->bp_rip = rec_sig(rec)->rip;
    rp->spot_hits = 0;
    rp->best_diff = ~0U;
    /* With a count, the early stop may keep the breakpoint off for now. */
    rp->counted = (rec->flags & TT_RECF_BRANCHES) &&
                  t->counter != TT_COUNTER_NONE;
    rp->want = rec->pos.branches;
    rp->far = false;
    /* The guest's DR7 as the CPU checks it while the guest runs. */
    arch_tt_set_dr(v, 7, TT_BP_DR7);
}

/*
 * The early stop with the hardware counter (TT_COUNTER_BRANCHES): the
 * counter's own overflow interrupt, armed for the next run while the
 * count is farther than TT_PMU_SKID_MARGIN branches (counter-pmu.c,
 * pmu-arith.h), with the breakpoint off.  The guest exits a skid after
 * the overflow, short of the count, and within the margin the breakpoint
 * takes over as with the timer.  A skid past the margin (counted in the
 * detach report) lets the guest by the spot with the breakpoint off: the
 * spot's next pass, or the next landmark, is then a divergence, never a
 * silent misplacement.
 */
static void rp_early_stop_pmu(struct tt_domain *t, struct vcpu *v)
{
    struct tt_replay *rp = &t->rp;

    if ( tt_pmu_arm(t, rp->want) )
    {
        /* A new stop: the first of this spot, or the last one fired. */
        if ( !rp->far || t->pmu_fired )
            rp->early_stops++;
        if ( !rp->far )
        {
            rp->far = true;
            arch_tt_set_dr(v, 7, rp->guest_dr7);
        }
        return;
    }

    if ( rp->far )
    {
        rp->far = false;
        arch_tt_set_dr(v, 7, TT_BP_DR7);
    }
}

/*
 * At every VM entry of a replay, while armed with a count: far from it,
 * the breakpoint off and the stop timer on (or the counter's overflow
 * interrupt, above); near it, the breakpoint.  Runs before the entry's
 * softirq check, so that a timer set here is programmed before VMRUN.
 */
static void rp_early_stop(struct tt_domain *t, struct vcpu *v)
{
    struct tt_replay *rp = &t->rp;
    uint64_t delay = 0;

    if ( !rp->armed || !rp->counted )
        return;

    if ( t->counter == TT_COUNTER_BRANCHES )
    {
        rp_early_stop_pmu(t, v);
        return;
    }

    if ( t->count + TT_STOP_NEAR < rp->want )
        delay = (rp->want - t->count - TT_STOP_NEAR) / 2;

    if ( delay >= TT_STOP_MIN )
    {
        if ( !rp->far )
        {
            rp->far = true;
            arch_tt_set_dr(v, 7, rp->guest_dr7);
        }
        /*
         * A timer set at an earlier entry stays safe: it was set for half
         * of what was left then, and the guest has only come closer.
         */
        if ( !timer_is_active(&rp->stop_timer) ||
             rp->stop_cpu != v->processor )
        {
            if ( rp->stop_cpu != v->processor )
            {
                migrate_timer(&rp->stop_timer, v->processor);
                rp->stop_cpu = v->processor;
            }
            set_timer(&rp->stop_timer, NOW() + delay);
            rp->early_stops++;
        }
        return;
    }

    if ( rp->far )
    {
        rp->far = false;
        arch_tt_set_dr(v, 7, TT_BP_DR7);
        stop_timer(&rp->stop_timer);
    }
}

static void rp_disarm(struct tt_domain *t, struct vcpu *v)
{
    struct tt_replay *rp = &t->rp;

    if ( !rp->armed )
        return;
    rp->armed = false;
    if ( rp->far )
    {
        rp->far = false;
        stop_timer(&rp->stop_timer);
    }
    arch_tt_set_dr(v, 7, rp->guest_dr7);
    arch_tt_set_dr(v, 6, rp->guest_dr6);
    arch_tt_set_dr(v, 0, rp->guest_dr0);
    rp->search_ns += NOW() - rp->search_since;
}

/*
 * Apply what the log delivered at the current landmark (pos.landmark),
 * in its order, then arm the breakpoint for what it delivered after it,
 * by signature.
 */
/*
 * Is rec, placed by signature, due here, at the end of the landmark's
 * exit, before the guest runs an instruction?  The recording released it
 * at the entry right after the landmark: the registers are the signature
 * now, and with a counter its count is 0.  A breakpoint on this very RIP
 * would place it at the same state, but the guest may never get there:
 * after HLT the vCPU sleeps until an interrupt comes, and in replay only
 * the log brings one.
 */
static bool rp_here(struct tt_domain *t, struct vcpu *v,
                    const struct xen_tt_rec *rec)
{
    struct xen_tt_regs now;

    if ( rec->payload_len != sizeof(struct xen_tt_rec_interrupt) +
                             sizeof(struct xen_tt_regs) ||
         ((rec->flags & TT_RECF_BRANCHES) && rec->pos.branches) )
        return false;
    tt_signature(v, &now);
    if ( !sig_match(rec, &now) )
        return false;
    t->rp.sig_placed++;

    return true;
}

static void rp_apply_landmark(struct tt_domain *t, struct vcpu *v)
{
    const struct xen_tt_rec *rec;

    while ( !t->rp.done && !rp_next(t, v, &rec) )
    {
        if ( TT_REC_CLASS(rec->type) != TT_REC_CLASS_ASYNC ||
             rec->pos.landmark != t->pos.landmark )
            break;
        if ( (rec->flags & TT_RECF_SIGNATURE) && !rp_here(t, v, rec) )
        {
            rp_arm(t, v, rec);
            break;
        }
        rp_apply(t, v, rec);
        if ( !t->rp.done )
            rp_consume(t);
    }
    t->rp.io_recv_valid = false;
}

void tt_replay_landmark(struct tt_domain *t, struct vcpu *v,
                        struct cpu_user_regs *regs, struct tt_lmrec *lr)
{
    const struct xen_tt_rec *rec;
    unsigned int why;
    int rc;

    ASSERT(v == current);

    if ( t->rp.done )
        return;

    rc = rp_next(t, v, &rec);
    if ( rc == -ENOENT )
    {
        rp_log_done(t, v, "the log has no more records (it ends here: a "
                    "log cut short replays up to its last whole chunk)");
        return;
    }
    if ( rc == -EAGAIN )
    {
        rp_log_done(t, v, "the replay ring ran dry in the middle of an exit "
                    "(ttd-deviced fell behind the headroom rule)");
        return;
    }
    if ( rc )
        return;

    /*
     * The log's next record is checked before it is trusted: an
     * asynchronous one still pending means the guest passed the spot
     * where the log delivered it.
     */
    if ( TT_REC_CLASS(rec->type) != TT_REC_CLASS_LANDMARK )
        why = TT_DIV_MISSED + 1;
    else if ( rec->type != lr->type )
        why = TT_DIV_TYPE + 1;
    else if ( rec->pos.landmark != t->pos.landmark ||
              rec->pos.rip != t->pos.rip || rec->pos.rcx != t->pos.rcx ||
              rec->pos.branches != t->lm_pos.branches )
        why = TT_DIV_POSITION + 1;
    else if ( rec->payload_len < lr->len )
        why = TT_DIV_ARGS + 1;
    else
        why = rp_compare(lr, rec, regs);

    if ( why )
    {
        rp_diverge(t, v, why - 1, rec, lr);
        return;
    }

    rp_consume(t);
    /* The replay log's record: the guest's inputs, the log's results. */
    tt_record(t, lr->type, lr->flags, &t->lm_pos, &lr->p, lr->len, lr->data,
              lr->dlen);
    rp_disarm(t, v);
    rp_apply_landmark(t, v);
}

void tt_replay_entry(struct tt_domain *t, struct vcpu *v)
{
    if ( t->rp.done )
        return;
    if ( t->rp.started )
    {
        rp_early_stop(t, v);
        return;
    }

    /* Before the first instruction: what the log has at position 0. */
    t->rp.started = true;
    rp_apply_landmark(t, v);
    rp_early_stop(t, v);
}

/* ------------------------------------------------------------------ */
/* Signature placement: the breakpoint.                                 */
/* ------------------------------------------------------------------ */

/*
 * A #DB exit (arch side): if it is the armed breakpoint's, compare the
 * guest's registers with the signature, place what the log has there or
 * let the instruction run on, and answer true; the guest sees no trace of
 * it.  false: not ours.
 */
bool tt_replay_breakpoint(struct tt_domain *t, struct vcpu *v,
                          struct cpu_user_regs *regs)
{
    struct tt_replay *rp = &t->rp;
    const struct xen_tt_rec *rec;
    struct xen_tt_regs now;

    if ( !rp->armed || regs->rip != rp->bp_rip ||
         !(arch_tt_get_dr(v, 6) & DR_TRAP0) )
        return false;

    /* Ours: the guest sees no trace of it. */
    t->exit_is_xens = true;
    rp->bp_hits++;
    arch_tt_set_dr(v, 6, rp->guest_dr6);

    tt_signature(v, &now);
    rp->spot_hits++;
    if ( !rp_next(t, v, &rec) && (rec->flags & TT_RECF_SIGNATURE) )
    {
        unsigned int diff = sig_diff(rec_sig(rec), &now);

        if ( hweight32(diff) < hweight32(rp->best_diff) )
        {
            rp->best_diff = diff;
            rp->best = now;
            rp->best_want = *rec_sig(rec);
        }
    }
    if ( rp_next(t, v, &rec) || TT_REC_CLASS(rec->type) !=
         TT_REC_CLASS_ASYNC || !(rec->flags & TT_RECF_SIGNATURE) )
    {
        regs->rflags |= X86_EFLAGS_RF;
        return true;
    }
    if ( rec->flags & TT_RECF_BRANCHES )
    {
        /*
         * With a counter the count names the pass: an earlier one runs
         * on; at the count the registers must be the signature, and a
         * later pass means the spot went by.
         */
        if ( t->count < rec->pos.branches )
        {
            regs->rflags |= X86_EFLAGS_RF;
            return true;
        }
        if ( t->count > rec->pos.branches || !sig_match(rec, &now) )
        {
            rp_diverge(t, v, TT_DIV_MISSED, rec, NULL);
            return true;
        }
    }
    else if ( !sig_match(rec, &now) )
    {
        /* Another pass of the spot: let the instruction run. */
        regs->rflags |= X86_EFLAGS_RF;
        return true;
    }

    /*
     * The spot where the recording released them: every record the log
     * has here (one release can place several), in its order.
     */
    rp->sig_placed++;
    rp_disarm(t, v);
    do {
        rp_apply(t, v, rec);
        if ( rp->done )
            return true;
        rp_consume(t);
    } while ( !rp_next(t, v, &rec) &&
              TT_REC_CLASS(rec->type) == TT_REC_CLASS_ASYNC &&
              rec->pos.landmark == t->pos.landmark &&
              (rec->flags & TT_RECF_SIGNATURE) &&
              sig_match(rec, &now) );

    /* More by signature before the next landmark: the next spot. */
    if ( !rp->done && !rp_next(t, v, &rec) &&
         TT_REC_CLASS(rec->type) == TT_REC_CLASS_ASYNC &&
         rec->pos.landmark == t->pos.landmark &&
         (rec->flags & TT_RECF_SIGNATURE) )
    {
        rp_arm(t, v, rec);
        if ( rp->bp_rip == regs->rip )
            regs->rflags |= X86_EFLAGS_RF;
    }

    return true;
}

/* ------------------------------------------------------------------ */
/* Waiting for records.                                                */
/* ------------------------------------------------------------------ */

void tt_replay_exit_done(struct tt_domain *t, struct vcpu *v)
{
    struct tt_replay *rp = &t->rp;
    struct xen_tt_ring *ctl = rp->ring.ctl;
    bool kick = false;

    if ( rp->done || !rp->ring.nr_pages )
        return;

    spin_lock(&t->ring_lock);
    if ( !rp->waiting && !rp_enough(rp) )
    {
        ctl->consumer_waiting = 1;
        /* The flag is visible before prod is read again. */
        smp_mb();
        if ( !rp_enough(rp) )
        {
            rp->waiting = true;
            t->ring_waits++;
            vcpu_pause_nosync(v);
        }
        else
            ctl->consumer_waiting = 0;
        kick = true;
    }
    spin_unlock(&t->ring_lock);

    if ( kick )
        notify_via_xen_event_channel(t->door_d, t->log.port);
}

void tt_replay_notify(struct tt_domain *t, struct vcpu *v)
{
    bool resume = false;

    ASSERT(spin_is_locked(&tt_lock));

    spin_lock(&t->ring_lock);
    if ( t->rp.waiting && rp_enough(&t->rp) )
    {
        t->rp.waiting = false;
        t->rp.ring.ctl->consumer_waiting = 0;
        resume = true;
    }
    spin_unlock(&t->ring_lock);

    /* Under tt_lock: detach cannot take this pause back twice. */
    if ( resume )
        vcpu_unpause(v);
}

/*
 * Local variables:
 * mode: C
 * c-file-style: "BSD"
 * c-basic-offset: 4
 * indent-tabs-mode: nil
 * End:
 */
