/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * common/tt/tt.c
 *
 * Time-travel record and replay: the tt_op hypercall and the attach state
 * of a TT domain.
 *
 * The dom0 control side shared by record and replay (TTOP_attach,
 * TTOP_ring_setup of the log ring and, in replay, of the replay ring,
 * TTOP_status, TTOP_landmark_counts, TTOP_detach, the end of a log at
 * shutdown and at domain teardown) and the guest side's TTOP_info.
 * Attaching makes every RDTSC/RDTSCP and every PAUSE of the domain exit
 * and keeps the domain paused until its rings exist; landmark.c records
 * (or, through replay.c, replays) every landmark.  TT-io (TTOP_io_send,
 * TTOP_io_recv, TTOP_io_push) is in io.c.
 *
 * The locking rules are in private.h.
 */

#include <xen/guest_access.h>
#include <xen/hypercall.h>
#include <xen/init.h>
#include <xen/lib.h>
#include <xen/sched.h>
#include <xen/spinlock.h>
#include <xen/tt.h>
#include <xen/xmalloc.h>
#include <xsm/xsm.h>

#include <asm/cpufeature.h>
#include <asm/hvm/hvm.h>
#include <asm/hvm/nestedhvm.h>
#include <asm/time.h>

#include <public/sched.h>
#include <public/tt.h>

#include <xen/tt-private.h>

DEFINE_SPINLOCK(tt_lock);

/* The liveness bound when TTOP_attach passes 0 (DESIGN section 4). */
#define TT_DEFAULT_BOUND_US 2000

/*
 * Look up the target of a control sub-op and check the caller's right to
 * it (XSM hook tt_op, privileged domains only by default).  On success
 * *dp is RCU-locked: rcu_unlock_domain() it.
 * Errors: -EPERM not allowed, -ESRCH no such domain, -EINVAL the caller
 * itself.
 */
int tt_get_target(domid_t domid, unsigned int cmd, struct domain **dp)
{
    struct domain *d = rcu_lock_domain_by_id(domid);
    int rc = xsm_tt_op(XSM_PRIV, d, cmd);

    if ( rc )
        goto fail;
    rc = -ESRCH;
    if ( !d )
        goto fail;
    rc = -EINVAL;
    if ( d == current->domain )
        goto fail;

    *dp = d;
    return 0;

 fail:
    if ( d )
        rcu_unlock_domain(d);
    return rc;
}

/*
 * Can d become a TT domain?  Checks that need no lock; the ones that can
 * change under our feet (dying, attached, paused, has run) are made under
 * tt_lock with d paused.
 */
static int tt_check_domain(const struct domain *d)
{
    /*
     * Single-vCPU PVH: HVM with no emulated device but the local APIC, no
     * nested virtualization.  And an SVM host: only the SVM exit path
     * classifies landmarks so far.
     */
    if ( !is_hvm_domain(d) ||
         (d->arch.emulation_flags & ~X86_EMU_LAPIC) ||
         nestedhvm_enabled(d) ||
         d->max_vcpus != 1 || !d->vcpu || !d->vcpu[0] ||
         !cpu_has_svm || !hvm_enabled )
        return -EOPNOTSUPP;

    return 0;
}

static long tt_attach(XEN_GUEST_HANDLE_PARAM(void) arg)
{
    struct xen_tt_attach op;
    struct tt_domain *t;
    struct domain *d;
    struct vcpu *v;
    long rc;

    if ( copy_from_guest(&op, arg, 1) )
        return -EFAULT;

    rc = tt_get_target(op.domid, TTOP_attach, &d);
    if ( rc )
        return rc;

    rc = -EINVAL;
    if ( (op.mode != TT_MODE_RECORD && op.mode != TT_MODE_REPLAY) ||
         op.flags ||
         (op.tsc_khz &&
          (op.tsc_khz < TT_TSC_KHZ_MIN || op.tsc_khz > TT_TSC_KHZ_MAX)) ||
         (op.bound_us &&
          (op.bound_us < TT_BOUND_US_MIN || op.bound_us > TT_BOUND_US_MAX)) )
        goto out;
    rc = -EACCES; /* as domctl does for its interface version */
    if ( op.interface_version != TT_INTERFACE_VERSION )
        goto out;
    rc = tt_counter_check(op.counter);
    if ( rc )
        goto out;
    rc = tt_check_domain(d);
    if ( rc )
        goto out;

    rc = -ENOMEM;
    t = xzalloc(struct tt_domain);
    if ( !t )
        goto out;
    t->d = d;
    t->mode = op.mode;
    t->attach_flags = op.flags;
    t->counter = op.counter;
    t->counter_min = ~0ULL;
    t->bound_us = op.bound_us ?: TT_DEFAULT_BOUND_US;
    spin_lock_init(&t->ring_lock);
    rc = tt_buffers_alloc(t);
    if ( !rc )
        rc = tt_io_init(t);
    if ( !rc && t->mode == TT_MODE_REPLAY )
        rc = tt_replay_init(t);
    if ( rc )
    {
        tt_replay_free(t);
        tt_io_free(t);
        tt_buffers_free(t);
        xfree(t);
        goto out;
    }

    /*
     * Our own pause: the vCPU stays off the CPU while we set it up, and
     * then until TTOP_ring_setup: a TT domain never runs unrecorded.
     */
    domain_pause(d);
    v = d->vcpu[0];

    spin_lock(&tt_lock);

    rc = -ESRCH;
    if ( d->is_dying )
        goto unlock;
    rc = -EBUSY;
    /*
     * Already attached; not paused by the toolstack (running); or has run
     * (a recording starts at the guest's first instruction).
     */
    if ( d->tt || !d->controller_pause_count ||
         v->runstate.time[RUNSTATE_running] )
        goto unlock;

    /*
     * RDTSC and RDTSCP exit: the TSC is emulated for d, at the frequency
     * asked for (a replay: the recording's) or the host's.  d has not run,
     * so restarting its TSC at 0 here changes nothing it saw.
     */
    if ( d->arch.tsc_mode != TSC_MODE_ALWAYS_EMULATE ||
         (op.tsc_khz && op.tsc_khz != d->arch.tsc_khz) )
    {
        rc = tsc_set_info(d, TSC_MODE_ALWAYS_EMULATE, 0, op.tsc_khz, 0);
        if ( rc )
            goto unlock;
    }
    /*
     * Every PAUSE, I/O port and RDPMC exits (the host's answers are not
     * replayable), and no #NM exits that depend on what else ran on the
     * CPU.
     */
    arch_tt_attach_vcpu(v);
    /* No RDRAND, RDSEED, HLE, RTM. */
    rc = arch_tt_cpuid_attach(d);
    if ( rc )
        goto unlock;
    rc = tt_hold_init(t);
    if ( rc )
        goto unlock;
    /*
     * The wallclock in shared_info was written when the domain was
     * created, at a host time replay cannot know: write it again at the
     * first entry, where it is logged (position 0) and replay applies it.
     */
    if ( t->mode == TT_MODE_RECORD )
        set_bit(TT_MEM_WALLCLOCK, &t->hold.mem_dirty);

    t->attach_paused = true;
    d->tt = t;
    t = NULL;
    rc = 0;

 unlock:
    spin_unlock(&tt_lock);
    if ( rc )
    {
        domain_unpause(d);
        if ( t )
            tt_replay_free(t);
        tt_io_free(t);
        tt_buffers_free(t);
        xfree(t);
    }
    else
        printk(XENLOG_G_INFO "tt: %pd attached for %s\n", d,
               op.mode == TT_MODE_REPLAY ? "replay" : "recording");

 out:
    rcu_unlock_domain(d);
    return rc;
}

/*
 * End the recording (TT_REC_END with reason/code unless one was written),
 * clear d->tt and give back the pauses recording holds (TTOP_attach's,
 * the headroom rule's).  The caller frees the result with tt_free().
 * d must be paused (by the caller, or dying).
 */
static struct tt_domain *tt_unhook(struct domain *d, unsigned int reason,
                                   unsigned int code)
{
    struct tt_domain *t;
    bool unpause_d = false;

    spin_lock(&tt_lock);
    t = d->tt;
    if ( t )
    {
        /* A shutdown whose exit never got to tt_exit_done(): its reason. */
        if ( t->end_pending )
            tt_write_end(t, t->end_reason, t->end_code);
        else
            tt_write_end(t, reason, code);
        d->tt = NULL;
        unpause_d = t->attach_paused;
        t->attach_paused = false;
        spin_lock(&t->ring_lock);
        if ( t->waiting )
        {
            t->waiting = false;
            vcpu_unpause(d->vcpu[0]);
        }
        /*
         * A replay waiting for records is let go; one that diverged or
         * ran out of log stays paused (replay.c): kept for inspection.
         */
        if ( t->rp.waiting )
        {
            t->rp.waiting = false;
            vcpu_unpause(d->vcpu[0]);
        }
        /*
         * Resumed after END (hold.c): detached, it is an ordinary domain;
         * the toolstack's pause stays until `xl unpause`.
         */
        if ( t->ended_paused )
        {
            t->ended_paused = false;
            vcpu_unpause(d->vcpu[0]);
        }
        spin_unlock(&t->ring_lock);
    }
    spin_unlock(&tt_lock);

    if ( unpause_d )
        domain_unpause(d);

    if ( t )
        printk(XENLOG_G_INFO
               "tt: %pd detached: %"PRIu64" landmarks, %"PRIu64" exits, "
               "%"PRIu64" records, %"PRIu64" dropped, %"PRIu64" ring waits, "
               "%"PRIu64" hypercall continuations, %"PRIu64" second "
               "deliveries by the emulator (%"PRIu64" taken back), %"PRIu64
               " interrupt windows stepped past a shadow\n",
               d, t->landmarks, t->exits, t->records, t->dropped,
               t->ring_waits, t->continuations, t->double_delivered,
               t->double_undone, t->shadow_steps);

    return t;
}

static void cf_check tt_free_rcu(struct rcu_head *head)
{
    xfree(container_of(head, struct tt_domain, rcu));
}

/*
 * Free what tt_unhook() returned: the ring goes once dom0 unmaps it.
 * The struct itself goes after an RCU grace period: hold.c's hooks on
 * other CPUs (an event that dom0 sends) read d->tt without tt_lock.
 */
static void tt_free(struct tt_domain *t)
{
    if ( !t )
        return;
    tt_ring_destroy(t);
    tt_replay_free(t);
    tt_io_free(t);
    tt_buffers_free(t);
    call_rcu(&t->rcu, tt_free_rcu);
}

static long tt_detach(XEN_GUEST_HANDLE_PARAM(void) arg)
{
    struct xen_tt_detach op;
    struct tt_domain *t;
    struct domain *d;
    long rc;

    if ( copy_from_guest(&op, arg, 1) )
        return -EFAULT;

    rc = tt_get_target(op.domid, TTOP_detach, &d);
    if ( rc )
        return rc;

    rc = -EINVAL;
    if ( op.pad0 || op.pad1 )
        goto out;

    /* The vCPU must not be in its exit handler while t goes away. */
    domain_pause(d);
    t = tt_unhook(d, TT_END_DETACH, 0);
    if ( t )
        tt_hold_destroy(t, d);  /* d lives on: it gets what was held */
    domain_unpause(d);

    rc = t ? 0 : -ENOENT;
    tt_free(t);

 out:
    rcu_unlock_domain(d);
    return rc;
}

void tt_domain_destroy(struct domain *d)
{
    struct tt_domain *t;

    /* domain_kill() has paused d and marked it dying. */
    ASSERT(d->is_dying);

    /* Destroyed without shutting down first (xl destroy): a crash. */
    t = tt_unhook(d, TT_END_CRASH, 0);
    if ( t )
        tt_hold_destroy(t, d);
    tt_free(t);
}

void tt_domain_shutdown(struct domain *d, unsigned int reason)
{
    struct tt_domain *t;
    unsigned int end = reason == SHUTDOWN_crash ? TT_END_CRASH
                                                : TT_END_SHUTDOWN;

    spin_lock(&tt_lock);
    t = d->tt;
    if ( t )
    {
        if ( current->domain == d && t->in_exit )
        {
            /* The guest's own exit: END goes after its landmark record. */
            t->end_pending = true;
            t->end_reason = end;
            t->end_code = reason;
        }
        else
            tt_write_end(t, end, reason);
    }
    spin_unlock(&tt_lock);
}

static long tt_ring_setup(XEN_GUEST_HANDLE_PARAM(void) arg)
{
    struct xen_tt_ring_setup op;
    struct tt_domain *t;
    struct domain *d;
    unsigned int data_pages;
    bool unpause = false;
    long rc;

    if ( copy_from_guest(&op, arg, 1) )
        return -EFAULT;

    rc = tt_get_target(op.domid, TTOP_ring_setup, &d);
    if ( rc )
        return rc;

    rc = -EINVAL;
    data_pages = op.nr_pages - 1;
    if ( op.pad || op.pad1 ||
         (op.ring != TT_RING_LOG && op.ring != TT_RING_REPLAY) ||
         !op.nr_pages || data_pages < TT_RING_MIN_DATA_PAGES ||
         (data_pages & (data_pages - 1)) )
        goto out;
    rc = -E2BIG;
    if ( op.nr_pages > TT_RING_MAX_PAGES )
        goto out;

    spin_lock(&tt_lock);
    t = d->tt;
    rc = -ENOENT;
    if ( !t )
        goto unlock;
    rc = -EEXIST;
    if ( op.ring == TT_RING_LOG ? t->log.nr_pages : t->rp.ring.nr_pages )
        goto unlock;
    rc = -ESRCH;
    if ( d->is_shutting_down || d->is_dying )
        goto unlock;
    /* The replay ring: in replay only, after the log ring (its doorbell). */
    rc = -EINVAL;
    if ( op.ring == TT_RING_REPLAY &&
         (t->mode != TT_MODE_REPLAY || !t->log.nr_pages) )
        goto unlock;

    if ( op.ring == TT_RING_LOG )
        rc = tt_ring_create(t, op.nr_pages, current->domain);
    else
        rc = tt_replay_ring_create(t, op.nr_pages);
    if ( rc )
        goto unlock;
    op.port = t->log.port;

    /*
     * The rings exist: the domain may run when the toolstack lets it (a
     * replay once it has records: replay.c keeps it waiting for them).
     */
    if ( t->mode == TT_MODE_RECORD || op.ring == TT_RING_REPLAY )
    {
        if ( t->mode == TT_MODE_REPLAY )
            tt_replay_exit_done(t, d->vcpu[0]);
        unpause = t->attach_paused;
        t->attach_paused = false;
    }

 unlock:
    spin_unlock(&tt_lock);
    if ( unpause )
        domain_unpause(d);
    if ( !rc && copy_to_guest(arg, &op, 1) )
        rc = -EFAULT;

 out:
    rcu_unlock_domain(d);
    return rc;
}

static long tt_status(XEN_GUEST_HANDLE_PARAM(void) arg)
{
    struct xen_tt_status op;
    struct tt_domain *t;
    struct domain *d;
    long rc;

    if ( copy_from_guest(&op, arg, 1) )
        return -EFAULT;

    rc = tt_get_target(op.domid, TTOP_status, &d);
    if ( rc )
        return rc;

    spin_lock(&tt_lock);
    t = d->tt;
    rc = -ENOENT;
    if ( t )
    {
        memset(&op, 0, sizeof(op));
        op.domid = d->domain_id;
        op.mode = t->mode;
        op.state = t->rp.diverged ? TT_STATE_DIVERGED :
                   t->ended ? TT_STATE_ENDED :
                   tt_ring_waiting(t) ? TT_STATE_RING_WAIT :
                   t->exits ? TT_STATE_RUNNING : TT_STATE_ATTACHED;
        op.landmarks = t->landmarks;
        op.records = t->records;
        op.ring_waits = t->ring_waits;
        op.irqs_held = t->irqs_held;
        op.irqs_by_signature = t->irqs_by_signature;
        op.max_hold_ns = t->max_hold_ns;
        op.replayed = t->rp.replayed;
        op.sig_placed = t->rp.sig_placed;
        op.bp_hits = t->rp.bp_hits;
        op.search_ns = t->rp.search_ns;
        rc = 0;
    }
    spin_unlock(&tt_lock);
    rcu_unlock_domain(d);

    if ( !rc && copy_to_guest(arg, &op, 1) )
        rc = -EFAULT;

    return rc;
}

static long tt_landmark_counts(XEN_GUEST_HANDLE_PARAM(void) arg)
{
    struct xen_tt_landmark_counts op;
    const struct tt_domain *t;
    struct domain *d;
    unsigned int i;
    long rc;

    if ( copy_from_guest(&op, arg, 1) )
        return -EFAULT;

    rc = tt_get_target(op.domid, TTOP_landmark_counts, &d);
    if ( rc )
        return rc;

    rc = -EINVAL;
    if ( op.pad0 || op.pad1 )
        goto out;

    spin_lock(&tt_lock);
    t = d->tt;
    rc = -ENOENT;
    if ( t )
    {
        op.exits = t->exits;
        op.other = t->other;
        op.continuations = t->continuations;
        for ( i = 0; i < TT_LM_KINDS; i++ )
            op.by_type[i] = t->by_type[i];
        op.max_gap_ns = t->lm_gap_max_ns;
        op.gap_sum_ns = t->lm_gap_sum_ns;
        op.max_gap_landmark = t->lm_gap_max_at;
        rc = 0;
    }
    spin_unlock(&tt_lock);

    if ( !rc && copy_to_guest(arg, &op, 1) )
        rc = -EFAULT;

 out:
    rcu_unlock_domain(d);
    return rc;
}

/* TTOP_info, from the guest itself. */
static long tt_info(XEN_GUEST_HANDLE_PARAM(void) arg)
{
    const struct domain *currd = current->domain;
    struct xen_tt_info info = {
        .interface_version = TT_GUEST_INTERFACE_VERSION,
        .devices = TT_IO_DEVICES,
        .max_io = TT_IO_MAX,
    };

    /* d->tt cannot change while the domain's only vCPU is in here. */
    if ( !currd->tt )
        return -EPERM;
    /*
     * RECORD in replay too: a replayed guest must not be able to tell
     * that it is replayed, or it would run differently.
     */
    info.mode = TT_MODE_RECORD;

    return copy_to_guest(arg, &info, 1) ? -EFAULT : 0;
}

long do_tt_op(unsigned int cmd, XEN_GUEST_HANDLE_PARAM(void) arg)
{
    switch ( cmd )
    {
    case TTOP_info:
        return tt_info(arg);

    case TTOP_io_send:
    case TTOP_io_recv:
        return tt_io_guest_op(cmd, arg);

    case TTOP_attach:
        return tt_attach(arg);

    case TTOP_ring_setup:
        return tt_ring_setup(arg);

    case TTOP_status:
        return tt_status(arg);

    case TTOP_detach:
        return tt_detach(arg);

    case TTOP_landmark_counts:
        return tt_landmark_counts(arg);

    case TTOP_io_push:
        return tt_io_push(arg);

    default:
        return -EINVAL;
    }
}

/*
 * The ABI of public/tt.h: every structure has the size that
 * docs/hypercall-abi.md and docs/log-format.md give it (the dom0 tools
 * check the same sizes against this header in their unit tests).
 */
static void __init __maybe_unused build_assertions(void)
{
    BUILD_BUG_ON(sizeof(struct xen_tt_info) != 16);
    BUILD_BUG_ON(sizeof(struct xen_tt_io) != 32);
    BUILD_BUG_ON(sizeof(struct xen_tt_attach) != 24);
    BUILD_BUG_ON(sizeof(struct xen_tt_ring_setup) != 24);
    BUILD_BUG_ON(sizeof(struct xen_tt_status) != 88);
    BUILD_BUG_ON(sizeof(struct xen_tt_detach) != 8);
    BUILD_BUG_ON(sizeof(struct xen_tt_landmark_counts) != 184);
    BUILD_BUG_ON(sizeof(struct xen_tt_ring) != 64);
    BUILD_BUG_ON(sizeof(struct xen_tt_io_push) != 16);
    BUILD_BUG_ON(sizeof(struct xen_tt_pos) != 32);
    BUILD_BUG_ON(sizeof(struct xen_tt_rec) != 40);
    BUILD_BUG_ON(sizeof(struct xen_tt_rec_hypercall) != 64);
    BUILD_BUG_ON(sizeof(struct xen_tt_rec_cpuid) != 24);
    BUILD_BUG_ON(sizeof(struct xen_tt_rec_tsc) != 16);
    BUILD_BUG_ON(sizeof(struct xen_tt_rec_msr) != 16);
    BUILD_BUG_ON(sizeof(struct xen_tt_rec_io) != 16);
    BUILD_BUG_ON(sizeof(struct xen_tt_rec_mmio) != 24);
    BUILD_BUG_ON(sizeof(struct xen_tt_rec_exception) != 16);
    BUILD_BUG_ON(sizeof(struct xen_tt_rec_interrupt) != 16);
    BUILD_BUG_ON(sizeof(struct xen_tt_regs) != 160);
    BUILD_BUG_ON(sizeof(struct xen_tt_rec_memory) != 16);
    BUILD_BUG_ON(sizeof(struct xen_tt_rec_ttio) != 16);
    BUILD_BUG_ON(sizeof(struct xen_tt_rec_start) != 40);
    BUILD_BUG_ON(sizeof(struct xen_tt_rec_divergence) != 72);
    BUILD_BUG_ON(sizeof(struct xen_tt_rec_end) != 24);
    BUILD_BUG_ON(sizeof(struct xen_tt_rec) != TT_REC_HDR_SIZE);
    /* A port or MMIO landmark's data fits in the landmark's share below. */
    BUILD_BUG_ON(sizeof(struct xen_tt_rec_mmio) + TT_ACCESS_DATA_MAX >
                 TT_HCALL_DATA_MAX + 64);
    /*
     * One exit's records fit in TT_EXIT_MAX_BYTES (the headroom rule):
     * the landmark's with its data, the deferred ones, an outside
     * hypercall's memory results, TT_RELEASE_MAX released items of two
     * interrupt records each (with signatures), and END.
     */
    BUILD_BUG_ON(TT_REC_SIZE(TT_HCALL_DATA_MAX + 64) +
                 TT_DEFER_BYTES + TT_DEFER_MAX * TT_REC_HDR_SIZE +
                 TT_HCMEM_MAX +
                 (TT_HCMEM_SPANS + 1) *
                 TT_REC_SIZE(sizeof(struct xen_tt_rec_memory)) +
                 2 * TT_RELEASE_MAX *
                 TT_REC_SIZE(sizeof(struct xen_tt_rec_interrupt) +
                             sizeof(struct xen_tt_regs)) +
                 TT_REC_SIZE(sizeof(struct xen_tt_rec_end)) >
                 TT_EXIT_MAX_BYTES);
}

static int __init cf_check tt_init(void)
{
    printk("tt: time-travel record and replay support, ABI version %u "
           "(guest side %u)\n", TT_INTERFACE_VERSION,
           TT_GUEST_INTERFACE_VERSION);

    return 0;
}
__initcall(tt_init);

/*
 * Local variables:
 * mode: C
 * c-file-style: "BSD"
 * c-basic-offset: 4
 * indent-tabs-mode: nil
 * End:
 */
