/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * common/tt/hold.c
 *
 * Holding the outside world to landmarks (DESIGN sections 4 and 5,
 * docs/design-record.md "Interrupts, time and CPUID").
 *
 * A TT guest may observe something that comes from outside only at a
 * landmark, where replay can apply it again at the same position.  Two
 * kinds of things come from outside while the guest runs:
 *
 *  - interrupts: an event channel made pending (2-level ABI: a bit in
 *    shared_info, the selector and evtchn_upcall_pending in vcpu_info,
 *    all guest memory) and a vLAPIC vector set in IRR (which also carries
 *    the per-vCPU upcall vector and the vLAPIC timer);
 *  - Xen's writes of guest time: the pvclock vcpu_time_info, the
 *    shared_info wallclock and the runstate area.
 *
 * They are held at their source, not at injection: evtchn_2l_set_pending()
 * and vlapic_set_irq() ask tt_hold_evtchn()/tt_hold_vector() first, the
 * time writers ask tt_hold_memory().  So the guest-visible interrupt state
 * (IRR, pending bits, upcall_pending) changes only at landmarks, and
 * svm_intr_assist() injects from a state that is the same in replay; an
 * interrupt released while the guest has interrupts masked is injected at
 * the interrupt window that the guest's own STI/POPF opens.
 *
 * The rule: an assert or a write is applied at once only in the TT vCPU's
 * own context while it is stopped at a landmark (at_landmark: from the end
 * of a landmark exit, tt_hold_exit(), to the next VM entry,
 * tt_svm_intr_assist()), or while that vCPU is applying held items
 * (releasing).  Anything else is held, and applied - and logged - at the
 * end of the next landmark exit or at the entry right after one, with that
 * landmark's position.
 *
 * Liveness: a guest spinning in user space has no landmarks.  Held
 * interrupts that have waited longer than t->bound_us are released at the
 * next VM entry wherever the guest is, and logged with TT_RECF_SIGNATURE
 * and the full register set (struct xen_tt_regs).  A timer armed when the
 * first item is held kicks the vCPU at the bound, so that such an entry
 * comes even if no other exit does.  Time is measured with NOW(), Xen's
 * system time: with TSC_MODE_ALWAYS_EMULATE (set at attach) the guest's
 * TSC is a scaling of it, so these are guest nanoseconds.  Held time
 * writes are not released by signature: the guest's next landmark does it.
 *
 * Locking: t->hold.lock protects the held sets (ports, vectors, level,
 * nr, since, expired) and the writes of at_landmark.  Other CPUs add to
 * the held sets under it; the TT vCPU takes it to move between "at a
 * landmark" and "running" and to take the held sets over.  The TT vCPU
 * reads at_landmark and releasing without it (only it writes them).  The
 * lock is never held while an item is applied or a record is written, so
 * the hooks may be reached again from inside an application (an upcall
 * sets the per-vCPU upcall vector).  Records are written by the TT vCPU
 * only (in its own context), so the log ring has one producer.  Hooks are
 * not called from hard interrupt context (TT domains have no physical
 * IRQs); the lock is taken with interrupts disabled all the same.
 *
 * Hooks on other CPUs read d->tt without tt_lock, once: tt.c frees a
 * struct tt_domain only after an RCU grace period, and none of them
 * blocks.
 *
 * Replay: the same hooks suppress every assert and every time write that
 * Xen makes on its own (timers, events from other domains, calibration):
 * the guest gets exactly what the log delivered, at the position the log
 * says, through tt_hold_replay_interrupt() and tt_hold_replay_memory(),
 * which replay.c calls on the TT vCPU.  While they apply an item,
 * releasing is set, so the hooks let through (and log) what the
 * application itself asserts, as they did when recording (an upcall sets
 * the per-vCPU upcall vector): the replay log gets the same records.
 */

#include <xen/event.h>
#include <xen/irq.h>
#include <xen/lib.h>
#include <xen/sched.h>
#include <xen/spinlock.h>
#include <xen/time.h>
#include <xen/timer.h>
#include <xen/tt.h>
#include <xen/guest_access.h>

#include <asm/guest_atomics.h>
#include <asm/hvm/hvm.h>
#include <asm/hvm/support.h>

#include <xen/tt-private.h>

/*
 * Does an item for v apply now (true) or wait for a landmark (false)?
 * Never in interrupt context: the record it writes takes the ring's lock,
 * which the interrupted code may hold.
 */
static bool hold_applies_now(const struct tt_domain *t, const struct vcpu *v)
{
    if ( t->mode == TT_MODE_REPLAY )
        return v == current && t->hold.releasing;

    return v == current && (t->hold.at_landmark || t->hold.releasing) &&
           !in_irq() && local_irq_is_enabled();
}

void tt_signature(struct vcpu *v, struct xen_tt_regs *sig)
{
    const struct cpu_user_regs *regs = guest_cpu_user_regs();

    ASSERT(v == current);

    *sig = (struct xen_tt_regs){
        .rax = regs->rax, .rbx = regs->rbx, .rcx = regs->rcx,
        .rdx = regs->rdx, .rsi = regs->rsi, .rdi = regs->rdi,
        .rbp = regs->rbp, .rsp = regs->rsp,
        .r8 = regs->r8, .r9 = regs->r9, .r10 = regs->r10, .r11 = regs->r11,
        .r12 = regs->r12, .r13 = regs->r13, .r14 = regs->r14,
        .r15 = regs->r15,
        .rip = regs->rip,
        /* RF is the CPU's bookkeeping of a debug fault, not the guest's. */
        .rflags = regs->rflags & ~X86_EFLAGS_RF,
        .cr3 = v->arch.hvm.guest_cr[3],
        .cpl = hvm_get_cpl(v),
    };
}

/*
 * Position of an item applied now: the landmark's own, or with a
 * signature (liveness) the point where the guest resumes.
 */
static void hold_log_interrupt(struct tt_domain *t, unsigned int kind,
                               unsigned int vector, unsigned int port)
{
    struct xen_tt_rec_interrupt rec = {
        .kind = kind,
        .vector = vector,
        .port = port,
    };
    struct xen_tt_regs sig;
    struct xen_tt_pos pos;

    tt_evtrace_delivered(t);
    if ( !t->hold.by_signature )
    {
        tt_record(t, TT_REC_INTERRUPT, 0, &t->pos, &rec, sizeof(rec),
                  NULL, 0);
        return;
    }

    tt_signature(current, &sig);
    /* Counted by record, so that record and replay count alike. */
    t->irqs_by_signature++;
    pos = (struct xen_tt_pos){
        .landmark = t->pos.landmark,
        .rip = sig.rip,
        .rcx = sig.rcx,
        .branches = t->count,   /* 0 without a counter */
    };
    tt_record(t, TT_REC_INTERRUPT, TT_RECF_SIGNATURE, &pos, &rec,
              sizeof(rec), &sig, sizeof(sig));
}

/*
 * How long an item may be held before it is placed by signature between
 * landmarks.  With a counter, not at all: the position names the very
 * instruction, so an interrupt is delivered as it arrives (at the vCPU's
 * next entry), as the guest would get it unrecorded, and logged with its
 * count; replay delivers it again at that count.
 */
static s_time_t hold_bound(const struct tt_domain *t)
{
    return t->counter != TT_COUNTER_NONE ? 0 : MICROSECS(t->bound_us);
}

/* Start holding on behalf of the first held item; lock held. */
static void hold_start(struct tt_domain *t)
{
    ASSERT(spin_is_locked(&t->hold.lock));

    if ( t->hold.nr++ )
        return;
    t->hold.since = NOW();
    t->hold.expired = false;
    set_timer(&t->hold.timer, t->hold.since + hold_bound(t));
}

/* The caller holds an item for v; kick v if it waits at a landmark. */
static void hold_done(struct tt_domain *t, struct vcpu *v, bool kick)
{
    /*
     * A vCPU stopped at a landmark (blocked in HLT or SCHEDOP_block/poll,
     * or on its way back in) takes the item over at its next VM entry:
     * wake it for that, as the real assert would have.
     */
    if ( kick )
        vcpu_kick(v);
}

bool tt_hold_evtchn(struct vcpu *v, unsigned int port)
{
    struct tt_domain *t = ACCESS_ONCE(v->domain->tt);
    struct domain *d = v->domain;
    unsigned long flags;
    bool kick;

    if ( !t ) /* detached since the caller looked */
        return false;

    /* Replay: only what the log delivers reaches the guest. */
    if ( t->mode == TT_MODE_REPLAY && !hold_applies_now(t, v) )
        return true;

    /*
     * On the vCPU itself the guest is not running: an already pending
     * port changes nothing the guest can see, so it needs neither a hold
     * nor a record.
     */
    if ( v == current &&
         guest_test_bit(d, port, &shared_info(d, evtchn_pending)) )
        return false;

    if ( hold_applies_now(t, v) )
    {
        hold_log_interrupt(t, TT_IRQ_UPCALL, arch_tt_upcall_vector(v), port);
        return false;
    }

    if ( port >= TT_HOLD_PORTS ) /* not a 2-level port: cannot happen */
        return false;

    spin_lock_irqsave(&t->hold.lock, flags);
    if ( !__test_and_set_bit(port, t->hold.ports) )
    {
        hold_start(t);
        t->irqs_held++;
    }
    kick = t->hold.at_landmark;
    spin_unlock_irqrestore(&t->hold.lock, flags);

    hold_done(t, v, kick);
    return true;
}

bool tt_hold_vector(struct vcpu *v, unsigned int vector, bool level)
{
    struct tt_domain *t = ACCESS_ONCE(v->domain->tt);
    unsigned long flags;
    bool kick;

    if ( !t )
        return false;

    /* Replay: only what the log delivers reaches the guest. */
    if ( t->mode == TT_MODE_REPLAY && !hold_applies_now(t, v) )
        return true;

    /*
     * As for ports: on the vCPU itself a vector already in IRR changes
     * nothing (the vLAPIC timer re-asserts its vector at every entry
     * until it is injected).  Only this vCPU clears IRR bits, so from
     * another CPU the answer could be stale: hold there.
     */
    if ( v == current && arch_tt_vector_pending(v, vector) )
        return false;

    if ( hold_applies_now(t, v) )
    {
        hold_log_interrupt(t, TT_IRQ_LAPIC, vector, 0);
        return false;
    }

    spin_lock_irqsave(&t->hold.lock, flags);
    if ( !__test_and_set_bit(vector, t->hold.vectors) )
    {
        hold_start(t);
        t->irqs_held++;
    }
    if ( level )
        __set_bit(vector, t->hold.level);
    else
        __clear_bit(vector, t->hold.level);
    kick = t->hold.at_landmark;
    spin_unlock_irqrestore(&t->hold.lock, flags);

    hold_done(t, v, kick);
    return true;
}

/* The bound has passed with items held: make the vCPU come into Xen. */
static void cf_check hold_timer_fn(void *data)
{
    struct tt_domain *t = data;

    t->hold.expired = true;
    /* An IPI makes a running vCPU exit; a descheduled one sees it later. */
    vcpu_kick(t->d->vcpu[0]);
}

/*
 * Apply every held item, in a fixed order (ports, then vectors, each
 * ascending) that the log records and replay follows.  On the TT vCPU,
 * in its own context.  Returns the number of items applied.
 */
static unsigned int hold_release(struct tt_domain *t, struct vcpu *v)
{
    /* 512 + 3 * 32 bytes: small enough for Xen's stack. */
    DECLARE_BITMAP(ports, TT_HOLD_PORTS);
    DECLARE_BITMAP(vectors, 256);
    DECLARE_BITMAP(level, 256);
    struct domain *d = v->domain;
    unsigned long flags;
    unsigned int i, nr;
    s_time_t since, held;

    ASSERT(v == current);

    spin_lock_irqsave(&t->hold.lock, flags);
    nr = min(t->hold.nr, TT_RELEASE_MAX - t->hold.released);
    if ( !nr )
    {
        spin_unlock_irqrestore(&t->hold.lock, flags);
        return 0;
    }
    since = t->hold.since;
    if ( nr == t->hold.nr )
    {
        bitmap_copy(ports, t->hold.ports, TT_HOLD_PORTS);
        bitmap_copy(vectors, t->hold.vectors, 256);
        bitmap_copy(level, t->hold.level, 256);
        bitmap_zero(t->hold.ports, TT_HOLD_PORTS);
        bitmap_zero(t->hold.vectors, 256);
        bitmap_zero(t->hold.level, 256);
        t->hold.nr = 0;
        t->hold.since = 0;
        t->hold.expired = false;
        /*
         * Under the lock: once it is dropped another CPU may hold a new
         * item and arm the timer for it, which must then stay armed.  The
         * timer's handler does not take this lock.
         */
        stop_timer(&t->hold.timer);
    }
    else
    {
        /*
         * More than this exit's share of the log ring: the first nr go
         * (ports, then vectors, ascending), the rest wait for the next
         * landmark, their timer still armed.
         */
        unsigned int n = 0;

        bitmap_zero(ports, TT_HOLD_PORTS);
        bitmap_zero(vectors, 256);
        bitmap_zero(level, 256);
        for_each_set_bit ( i, t->hold.ports, TT_HOLD_PORTS )
        {
            if ( n == nr )
                break;
            __set_bit(i, ports);
            __clear_bit(i, t->hold.ports);
            n++;
        }
        for_each_set_bit ( i, t->hold.vectors, 256 )
        {
            if ( n == nr )
                break;
            __set_bit(i, vectors);
            if ( test_bit(i, t->hold.level) )
                __set_bit(i, level);
            __clear_bit(i, t->hold.vectors);
            n++;
        }
        t->hold.nr -= nr;
    }
    t->hold.released += nr;
    spin_unlock_irqrestore(&t->hold.lock, flags);

    held = NOW() - since;
    if ( held > 0 && held > t->max_hold_ns )
        t->max_hold_ns = held;
    /* Descheduled, or the host is slow: worth telling apart from a bug. */
    if ( held > 2 * MICROSECS(t->bound_us) )
        t->hold.late++;

    /* The hooks apply (and log) while this is set. */
    t->hold.releasing = true;

    for_each_set_bit ( i, ports, TT_HOLD_PORTS )
    {
        struct evtchn *chn;

        if ( !port_is_valid(d, i) )
            continue;
        chn = evtchn_from_port(d, i);
        /* Closed since it was held: nothing to deliver any more. */
        if ( chn->state == ECS_FREE || chn->state == ECS_RESERVED )
            continue;
        /* As tt_hold_evtchn() does for what it lets by: changes only. */
        if ( !guest_test_bit(d, i, &shared_info(d, evtchn_pending)) )
            hold_log_interrupt(t, TT_IRQ_UPCALL, arch_tt_upcall_vector(v), i);
        evtchn_2l_tt_release(v, i);
    }

    for_each_set_bit ( i, vectors, 256 )
        arch_tt_set_vector(v, i, test_bit(i, level));

    t->hold.releasing = false;

    return nr;
}

/* Apply the time writes that were deferred, on the vCPU at a landmark. */
static void hold_release_memory(struct tt_domain *t, struct vcpu *v)
{
    if ( !t->hold.mem_dirty )
        return;

    t->hold.releasing = true;
    if ( test_and_clear_bit(TT_MEM_WALLCLOCK, &t->hold.mem_dirty) )
        update_domain_wallclock_time(v->domain);
    if ( test_and_clear_bit(TT_HOLD_PVCLOCK_FORCE, &t->hold.mem_dirty) )
    {
        clear_bit(TT_MEM_PVCLOCK, &t->hold.mem_dirty);
        force_update_vcpu_system_time(v);
    }
    else if ( test_and_clear_bit(TT_MEM_PVCLOCK, &t->hold.mem_dirty) )
        update_vcpu_system_time(v);
    if ( test_and_clear_bit(TT_MEM_RUNSTATE, &t->hold.mem_dirty) )
        update_runstate_area(v);
    t->hold.releasing = false;
}

void tt_hold_exit(struct tt_domain *t, struct vcpu *v, bool landmark)
{
    unsigned long flags;

    /* Not landmarks, or replay (replay.c applies the log's items). */
    if ( !landmark || t->mode == TT_MODE_REPLAY )
        return; /* The next entry checks the bound. */

    /* From here to the next entry, asserts for v apply at once. */
    spin_lock_irqsave(&t->hold.lock, flags);
    t->hold.at_landmark = true;
    spin_unlock_irqrestore(&t->hold.lock, flags);

    hold_release(t, v);
    hold_release_memory(t, v);
}

/*
 * Is the guest on a REP string instruction whose count is already 0?
 * QEMU's TCG can leave a REP loop after its last iteration with RIP still
 * on the instruction and take an exit there, a state that hardware never
 * shows and that replay (its breakpoint changes how QEMU translates the
 * page) cannot find again.  No placement by signature on such a state:
 * the next exit, once the instruction has completed, does it.
 */
static bool hold_on_finished_rep(struct vcpu *v)
{
    static const uint8_t string_ops[] = {
        0x6c, 0x6d, 0x6e, 0x6f, 0xa4, 0xa5, 0xa6, 0xa7,
        0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
    };
    const struct cpu_user_regs *regs = guest_cpu_user_regs();
    uint32_t pfec = PFEC_insn_fetch;
    uint8_t insn[4];
    bool rep = false;
    unsigned int i, j;

    if ( regs->rcx )
        return false;
    if ( hvm_get_cpl(v) == 3 )
        pfec |= PFEC_user_mode;
    if ( hvm_copy_from_guest_linear(insn, regs->rip, sizeof(insn), pfec,
                                    NULL) != HVMTRANS_okay )
        return false;

    /* Prefixes (REP/REPNE, sizes, segments, REX), then the opcode. */
    for ( i = 0; i < sizeof(insn); i++ )
    {
        uint8_t b = insn[i];

        if ( b == 0xf3 || b == 0xf2 )
            rep = true;
        else if ( b == 0x66 || b == 0x67 || b == 0x2e || b == 0x3e ||
                  b == 0x26 || b == 0x36 || b == 0x64 || b == 0x65 ||
                  (b & 0xf0) == 0x40 )
            continue;
        else
            break;
    }
    if ( !rep || i == sizeof(insn) )
        return false;
    for ( j = 0; j < ARRAY_SIZE(string_ops); j++ )
        if ( insn[i] == string_ops[j] )
            return true;

    return false;
}

void tt_svm_intr_assist(struct vcpu *v)
{
    struct tt_domain *t = v->domain->tt;
    unsigned long flags;
    bool due;

    ASSERT(v == current);

    /*
     * The log has ended (TT_REC_END, written when the domain shut down),
     * yet the vCPU is about to run: a suspended domain resumed (`xl save
     * -c`, a suspend the toolstack cancelled) or a soft reset.  Nothing
     * it did would be logged: it stays paused, like a replay that
     * stopped, until it is destroyed (or detached, which makes it an
     * ordinary domain).
     */
    if ( unlikely(t->ended) && !v->domain->is_shutting_down )
    {
        if ( !t->ended_paused )
        {
            t->ended_paused = true;
            printk(XENLOG_G_WARNING "tt: %pd: resumed after its %s ended: "
                   "kept paused (it would run unlogged); destroy it, or "
                   "detach it to let it run as an ordinary domain\n",
                   v->domain, t->mode == TT_MODE_REPLAY ? "replay"
                                                        : "recording");
            vcpu_pause_nosync(v);
            domain_pause_by_systemcontroller_nosync(v->domain);
        }
        return;
    }

    if ( t->mode == TT_MODE_REPLAY )
    {
        tt_replay_entry(t, v);
        return;
    }

    if ( t->hold.at_landmark )
    {
        /*
         * Items held while the vCPU was stopped at the landmark (blocked,
         * descheduled, in softirqs) belong to it too.  Leave the landmark
         * only once nothing is left: another CPU may add one meanwhile.
         */
        for ( ; ; )
        {
            hold_release(t, v);
            hold_release_memory(t, v);

            spin_lock_irqsave(&t->hold.lock, flags);
            /* Nothing left, or the rest waits for the next landmark. */
            if ( !t->hold.nr || t->hold.released >= TT_RELEASE_MAX )
            {
                t->hold.at_landmark = false;
                spin_unlock_irqrestore(&t->hold.lock, flags);
                break;
            }
            spin_unlock_irqrestore(&t->hold.lock, flags);
        }
        return;
    }

    /*
     * Between landmarks: the liveness bound.  Not while a preempted
     * hypercall waits for its continuation: the guest is on the VMMCALL
     * only because Xen preempted it, which replay may not do.
     */
    if ( !ACCESS_ONCE(t->hold.nr) || t->hcall_cont )
        return;
    spin_lock_irqsave(&t->hold.lock, flags);
    due = t->hold.nr &&
          (t->hold.expired ||
           NOW() - t->hold.since >= hold_bound(t));
    spin_unlock_irqrestore(&t->hold.lock, flags);
    if ( !due )
        return;
    if ( hold_on_finished_rep(v) )
    {
        /* Come back in a moment, once the instruction has completed. */
        set_timer(&t->hold.timer, NOW() + MICROSECS(100));
        return;
    }

    t->hold.by_signature = true;
    hold_release(t, v);
    t->hold.by_signature = false;
}

bool tt_hold_memory(struct vcpu *v, unsigned int kind, bool force)
{
    struct tt_domain *t = ACCESS_ONCE(v->domain->tt);

    if ( !t )
        return false;
    /* Replay: the log's bytes are written instead (never Xen's own). */
    if ( t->mode == TT_MODE_REPLAY )
        return true;
    if ( hold_applies_now(t, v) )
        return false;

    set_bit(kind, &t->hold.mem_dirty);
    if ( force )
        set_bit(TT_HOLD_PVCLOCK_FORCE, &t->hold.mem_dirty);

    return true;
}

void tt_memory_written(struct vcpu *v, unsigned int kind,
                       const void *p, unsigned int len)
{
    struct tt_domain *t = v->domain->tt;
    struct xen_tt_rec_memory rec = {
        .gpa = 0,   /* Not known cheaply; kind says where (hypercall-abi.md). */
        .kind = kind,
        .len = len,
    };

    /* Attached while another CPU wrote (the guest has not run yet). */
    if ( !t || !hold_applies_now(t, v) )
        return;

    tt_record(t, TT_REC_MEMORY, 0, &t->pos, &rec, sizeof(rec), p, len);
}

void tt_hold_replay_interrupt(struct tt_domain *t, struct vcpu *v,
                              const struct xen_tt_rec_interrupt *irq,
                              bool by_signature)
{
    struct domain *d = v->domain;

    ASSERT(v == current);
    ASSERT(t->mode == TT_MODE_REPLAY);

    t->hold.releasing = true;
    t->hold.by_signature = by_signature;

    switch ( irq->kind )
    {
    case TT_IRQ_UPCALL:
        /* As hold_release() does: a closed port gets nothing. */
        if ( irq->port < TT_HOLD_PORTS && port_is_valid(d, irq->port) &&
             evtchn_from_port(d, irq->port)->state != ECS_FREE &&
             evtchn_from_port(d, irq->port)->state != ECS_RESERVED )
        {
            if ( !guest_test_bit(d, irq->port,
                                 &shared_info(d, evtchn_pending)) )
                hold_log_interrupt(t, TT_IRQ_UPCALL, arch_tt_upcall_vector(v),
                                   irq->port);
            evtchn_2l_tt_release(v, irq->port);
        }
        break;

    case TT_IRQ_LAPIC:
        arch_tt_set_vector(v, irq->vector, false);
        break;
    }

    t->hold.by_signature = false;
    t->hold.releasing = false;
}

int tt_hold_replay_memory(struct tt_domain *t, struct vcpu *v,
                          unsigned int kind, uint64_t gpa, const void *p,
                          unsigned int len)
{
    struct domain *d = v->domain;
    int rc = 0;

    ASSERT(v == current);

    switch ( kind )
    {
    case TT_MEM_PVCLOCK:
    {
        struct vcpu_time_info u;

        if ( len != sizeof(u) || !v->vcpu_info )
            return -EINVAL;
        memcpy(&u, p, sizeof(u));
        /*
         * The guest is stopped at a landmark: no torn read to fear.  The
         * secondary copy ends with the same bytes as the primary (its
         * writer bumps the version once more, from odd to even).
         */
        vcpu_info(v, time) = u;
        u.version -= 1;
        update_secondary_system_time(v, &u);
        break;
    }

    case TT_MEM_WALLCLOCK:
    {
        uint32_t wc[4];

        if ( len != sizeof(wc) )
            return -EINVAL;
        memcpy(wc, p, sizeof(wc));
        shared_info(d, wc_version) = wc[0];
        shared_info(d, wc_sec) = wc[1];
        shared_info(d, wc_nsec) = wc[2];
        d->shared_info->native.wc_sec_hi = wc[3];
        break;
    }

    case TT_MEM_RUNSTATE:
        if ( len != sizeof(struct vcpu_runstate_info) )
            return -EINVAL;
        if ( !guest_handle_is_null(runstate_guest(v)) &&
             __copy_to_guest(runstate_guest(v),
                             (const struct vcpu_runstate_info *)p, 1) )
            rc = -EFAULT;
        break;

    case TT_MEM_HYPERCALL:
        /* Over what the hypercall's execution here wrote, if anything. */
        if ( hvm_copy_to_guest_phys(gpa, (void *)p, len, v) != HVMTRANS_okay )
            rc = -EFAULT;
        break;

    case TT_MEM_LOST:
        printk(XENLOG_G_ERR "tt: %pd: the recording could not keep the "
               "memory results of the hypercall at landmark %"PRIu64
               " (more than %u bytes or %u ranges)\n", d, t->pos.landmark,
               TT_HCMEM_MAX, TT_HCMEM_SPANS);
        return -E2BIG;

    default:
        return -EINVAL;
    }

    /* The replay log gets what the guest got. */
    tt_record(t, TT_REC_MEMORY, 0, &t->pos,
              &(struct xen_tt_rec_memory){ .gpa = gpa, .kind = kind,
                                           .len = len },
              sizeof(struct xen_tt_rec_memory), p, len);

    return rc;
}

int tt_hold_init(struct tt_domain *t)
{
    spin_lock_init(&t->hold.lock);
    /* Asserts before the first instruction belong to position 0. */
    t->hold.at_landmark = true;
    init_timer(&t->hold.timer, hold_timer_fn, t, 0);

    return 0;
}

void tt_hold_destroy(struct tt_domain *t, struct domain *d)
{
    struct vcpu *v = d->vcpu[0];
    unsigned int i;

    ASSERT(!d->tt); /* the hooks no longer hold anything */

    kill_timer(&t->hold.timer);

    printk(XENLOG_G_INFO "tt: %pd: %"PRIu64" interrupts held, %"PRIu64
           " placed by signature, longest hold %"PRIu64" us, %"PRIu64
           " releases after more than twice the bound\n",
           d, t->irqs_held, t->irqs_by_signature,
           t->max_hold_ns / 1000, t->hold.late);
    tt_counter_report(t);

    if ( d->is_dying || t->mode == TT_MODE_REPLAY )
        return;

    /*
     * Detached from a domain that lives on (paused by the caller): give
     * it what was held, unlogged, as if it had never been a TT domain.
     * The pvclock and runstate area are refreshed by the next context
     * switch anyway; the wallclock is not.
     */
    for_each_set_bit ( i, t->hold.ports, TT_HOLD_PORTS )
        if ( port_is_valid(d, i) )
            evtchn_2l_tt_release(v, i);
    for_each_set_bit ( i, t->hold.vectors, 256 )
        arch_tt_set_vector(v, i, test_bit(i, t->hold.level));
    if ( test_bit(TT_MEM_WALLCLOCK, &t->hold.mem_dirty) )
        update_domain_wallclock_time(d);
}

/*
 * Local variables:
 * mode: C
 * c-file-style: "BSD"
 * c-basic-offset: 4
 * indent-tabs-mode: nil
 * End:
 */
