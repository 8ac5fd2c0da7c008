/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * common/tt/ring.c
 *
 * The log ring: records from Xen to the dom0 daemon (ttd-deviced), the
 * doorbell between them, and the rule that keeps a record from ever being
 * dropped (docs/design-record.md has the protocol).
 *
 * The ring's pages are domheap pages of the TT domain, as Xen's vmtrace
 * buffers are: allocated with MEMF_no_refcount (they do not count against
 * the guest's memory), never in its physmap, each held by a writable type
 * reference that tt_ring_destroy() drops.  dom0 maps them with
 * XENMEM_acquire_resource (TT_RESOURCE_TYPE); its mapping holds page
 * references of its own, so a daemon that unmaps late, or dies, never
 * leaves Xen or dom0 with a dangling mapping: the pages go back to the
 * heap when the last reference goes.
 *
 * Headroom rule: one exit of the TT vCPU writes at most TT_EXIT_MAX_BYTES.
 * At the end of each exit, if less than that is free, Xen sets
 * producer_waiting, kicks the daemon and pauses the vCPU (as vm_event
 * pauses a vCPU on a full ring) until the daemon has drained the ring
 * below half full and kicked back.  So the next exit always finds room.
 *
 * The replay ring (TT_RING_REPLAY) has the same pages and control page
 * and shares the log ring's doorbell; dom0 produces into it and replay.c
 * consumes.
 *
 * The locking rules are in private.h.
 */

#include <xen/event.h>
#include <xen/lib.h>
#include <xen/mm.h>
#include <xen/sched.h>
#include <xen/spinlock.h>
#include <xen/tt.h>
#include <xen/vmap.h>
#include <xen/xmalloc.h>

#include <asm/time.h>

#include <xen/tt-private.h>

static uint64_t ring_used(const struct tt_ring *r)
{
    /* The consumer's index; a dom0 that writes nonsense gets a full ring. */
    uint64_t used = r->prod - ACCESS_ONCE(r->ctl->cons);

    return used > r->size ? r->size : used;
}

static void ring_kick(const struct tt_domain *t)
{
    if ( t->log.nr_pages )
        notify_via_xen_event_channel(t->door_d, t->log.port);
}

/*
 * Write one record; ring_lock held.  Sets *kick if the ring passed half
 * full with it (the caller kicks the daemon after dropping the lock).
 */
static int ring_put(struct tt_domain *t, unsigned int type,
                    unsigned int flags, const struct xen_tt_pos *pos,
                    const void *p1, unsigned int l1,
                    const void *p2, unsigned int l2, bool *kick)
{
    struct tt_ring *r = &t->log;
    struct xen_tt_rec *rec;
    unsigned int len = l1 + l2, size, off, tail, skip = 0;
    uint64_t used;

    ASSERT(spin_is_locked(&t->ring_lock));

    if ( !r->nr_pages || t->ended || len > TT_REC_MAX_PAYLOAD )
        goto drop;

    size = TT_REC_SIZE(len);
    used = ring_used(r);
    /* Read cons before reusing the space it hands back. */
    smp_mb();

    off = r->prod & (r->size - 1);
    tail = r->size - off;
    if ( tail < size )
        skip = tail;                   /* a record never wraps */
    if ( r->size - used < (uint64_t)skip + size )
        goto drop;

    if ( skip )
    {
        /* Type 0 (TT_REC_PAD): the consumer skips to the end. */
        memset(r->data + off, 0, skip);
        if ( skip >= TT_REC_HDR_SIZE )
            ((struct xen_tt_rec *)(r->data + off))->payload_len =
                skip - TT_REC_HDR_SIZE;
        r->prod += skip;
        off = 0;
    }

    /* With a counter, every position in the guest's execution has it. */
    if ( t->counter != TT_COUNTER_NONE &&
         TT_REC_CLASS(type) != TT_REC_CLASS_CONTROL )
        flags |= TT_RECF_BRANCHES;

    rec = (struct xen_tt_rec *)(r->data + off);
    rec->type = type;
    rec->flags = flags;
    rec->payload_len = len;
    if ( pos )
        rec->pos = *pos;
    else
        memset(&rec->pos, 0, sizeof(rec->pos));
    /* A count only with its flag (control records name it in payloads). */
    if ( !(flags & TT_RECF_BRANCHES) )
        rec->pos.branches = 0;
    if ( l1 )
        memcpy(rec + 1, p1, l1);
    if ( l2 )
        memcpy((uint8_t *)(rec + 1) + l1, p2, l2);
    memset((uint8_t *)(rec + 1) + len, 0, size - TT_REC_HDR_SIZE - len);

    r->prod += size;
    t->records++;
    r->ctl->records = t->records;
    /* The record's bytes are visible before the index that covers them. */
    smp_wmb();
    r->ctl->prod = r->prod;

    if ( used < r->size / 2 && used + skip + size >= r->size / 2 )
        *kick = true;

    return 0;

 drop:
    t->dropped++;
    /* A running domain must never lose one: tt_exit_done() stops it. */
    if ( r->nr_pages && !t->ended )
        t->lost = true;
    return -ENOSPC;
}

int tt_record(struct tt_domain *t, unsigned int type, unsigned int flags,
              const struct xen_tt_pos *pos, const void *p1, unsigned int l1,
              const void *p2, unsigned int l2)
{
    bool kick = false;
    int rc;

    spin_lock(&t->ring_lock);
    rc = ring_put(t, type, flags, pos, p1, l1, p2, l2, &kick);
    spin_unlock(&t->ring_lock);

    if ( kick )
        ring_kick(t);

    return rc;
}

void tt_hypercall_data(struct tt_domain *t, const void *p1, unsigned int l1,
                       const void *p2, unsigned int l2)
{
    ASSERT(t->d == current->domain);

    l1 = min(l1, TT_HCALL_DATA_MAX);
    l2 = min(l2, TT_HCALL_DATA_MAX - l1);
    if ( l1 )
        memcpy(t->hcall_buf, p1, l1);
    if ( l2 )
        memcpy(t->hcall_buf + l1, p2, l2);
    t->hcall_len = l1 + l2;
}

int tt_defer_record(struct tt_domain *t, unsigned int type,
                    unsigned int flags, const void *p1, unsigned int l1,
                    const void *p2, unsigned int l2)
{
    struct tt_deferred *q;

    ASSERT(t->d == current->domain);

    /* The landmark record is out already: this one follows it now. */
    if ( !t->in_exit )
        return tt_record(t, type, flags, &t->pos, p1, l1, p2, l2);

    if ( l1 + l2 > TT_DEFER_BYTES )
        return -E2BIG;
    if ( t->ndefer >= TT_DEFER_MAX ||
         t->defer_used + l1 + l2 > TT_DEFER_BYTES )
    {
        t->dropped++;
        return -ENOSPC;
    }

    q = &t->defer[t->ndefer++];
    q->type = type;
    q->flags = flags;
    q->off = t->defer_used;
    q->len = l1 + l2;
    if ( l1 )
        memcpy(t->defer_buf + q->off, p1, l1);
    if ( l2 )
        memcpy(t->defer_buf + q->off + l1, p2, l2);
    t->defer_used += l1 + l2;

    return 0;
}

/* Write TT_REC_END; ring_lock held. */
static void ring_put_end(struct tt_domain *t, unsigned int reason,
                         unsigned int code, bool *kick)
{
    struct xen_tt_rec_end end = {
        .reason = reason,
        .code = code,
        .landmarks = t->landmarks,
        .by_signature = t->irqs_by_signature,
    };

    ASSERT(spin_is_locked(&t->ring_lock));

    if ( t->ended )
        return;
    ring_put(t, TT_REC_END, 0, &t->pos, &end, sizeof(end), NULL, 0, kick);
    t->ended = true;
    *kick = true;
}

void tt_write_end(struct tt_domain *t, unsigned int reason, unsigned int code)
{
    bool kick = false;

    spin_lock(&t->ring_lock);
    ring_put_end(t, reason, code, &kick);
    spin_unlock(&t->ring_lock);

    if ( kick )
        ring_kick(t);
}

void tt_exit_done(struct tt_domain *t)
{
    struct tt_ring *r = &t->log;
    struct vcpu *v = current;
    bool kick = false;
    unsigned int i;

    ASSERT(v->domain == t->d);

    spin_lock(&t->ring_lock);

    for ( i = 0; i < t->ndefer; i++ )
        ring_put(t, t->defer[i].type, t->defer[i].flags, &t->pos,
                 t->defer_buf + t->defer[i].off, t->defer[i].len, NULL, 0,
                 &kick);
    t->ndefer = 0;
    t->defer_used = 0;
    t->hcall_len = 0;
    t->in_exit = false;

    if ( t->end_pending )
    {
        ring_put_end(t, t->end_reason, t->end_code, &kick);
        t->end_pending = false;
    }

    /*
     * A record was refused (a bug: the budget below makes it impossible):
     * the log is not whole any more, so the guest stops here, paused for
     * good, rather than run on with something unrecorded.
     */
    if ( t->lost && !t->ended )
    {
        printk(XENLOG_G_ERR "tt: %pd: a record was lost at landmark %"PRIu64
               "; the guest is paused\n", t->d, t->landmarks);
        ring_put_end(t, TT_END_CRASH, 0, &kick);
        vcpu_pause_nosync(v);
    }
    /* The next exit starts with a fresh share of held items to release. */
    t->hold.released = 0;

    /* The headroom rule. */
    if ( r->nr_pages && !t->ended && !t->waiting &&
         r->size - ring_used(r) < TT_EXIT_MAX_BYTES )
    {
        r->ctl->producer_waiting = 1;
        /* The flag is visible before cons is read again. */
        smp_mb();
        if ( ring_used(r) >= r->size / 2 )
        {
            t->waiting = true;
            t->ring_waits++;
            vcpu_pause_nosync(v);
        }
        else
            r->ctl->producer_waiting = 0;
        kick = true;
    }

    spin_unlock(&t->ring_lock);

    if ( kick )
        ring_kick(t);
}

bool tt_ring_waiting(struct tt_domain *t)
{
    bool w;

    spin_lock(&t->ring_lock);
    w = t->waiting || t->rp.waiting;
    spin_unlock(&t->ring_lock);

    return w;
}

/*
 * The TT domain whose doorbell is port of cd, or NULL.  tt_lock held: a
 * domain's tt and its doorbell do not change under it.
 */
static struct tt_domain *tt_by_doorbell(const struct domain *cd,
                                        unsigned int port)
{
    struct tt_domain *t = NULL;
    struct domain *d;

    ASSERT(spin_is_locked(&tt_lock));

    rcu_read_lock(&domlist_read_lock);
    for_each_domain ( d )
        if ( d->tt && d->tt->door_d == cd && d->tt->log.nr_pages &&
             d->tt->log.port == port )
        {
            t = d->tt;
            break;
        }
    rcu_read_unlock(&domlist_read_lock);

    return t;
}

/*
 * The daemon kicked the doorbell (it advanced cons while producer_waiting
 * was set): let the vCPU run again once the ring is below half full.
 * Runs on the daemon's CPU; dv is a vCPU of the daemon's domain, whose
 * port space holds the doorbell.
 */
static void cf_check tt_ring_notify(struct vcpu *dv, unsigned int port)
{
    struct tt_domain *t;
    struct vcpu *v;

    spin_lock(&tt_lock);
    t = tt_by_doorbell(dv->domain, port);
    v = t ? t->d->vcpu[0] : NULL;
    if ( t && t->rp.ring.nr_pages )
        tt_replay_notify(t, v);
    if ( t )
    {
        bool resume = false;

        spin_lock(&t->ring_lock);
        if ( t->waiting && ring_used(&t->log) < t->log.size / 2 )
        {
            t->waiting = false;
            t->log.ctl->producer_waiting = 0;
            resume = true;
        }
        spin_unlock(&t->ring_lock);

        /* Under tt_lock: detach cannot take this pause back twice. */
        if ( resume )
            vcpu_unpause(v);
    }
    spin_unlock(&tt_lock);
}

/*
 * Pages for a ring of nr_pages (control page + data), d's, zeroed, mapped
 * into Xen, the control page initialised.  No doorbell yet.
 */
static int ring_alloc(struct domain *d, unsigned int nr_pages,
                      struct tt_ring *r)
{
    mfn_t *mfns;
    unsigned int n = 0;
    int rc = -ENOMEM;

    memset(r, 0, sizeof(*r));
    r->nr_pages = nr_pages;
    r->pages = xzalloc_array(struct page_info *, nr_pages);
    mfns = xmalloc_array(mfn_t, nr_pages);
    if ( !r->pages || !mfns )
        goto fail;

    for ( n = 0; n < nr_pages; n++ )
    {
        struct page_info *pg = alloc_domheap_page(d, MEMF_no_refcount);

        if ( !pg )
            goto fail;
        if ( unlikely(!get_page_and_type(pg, d, PGT_writable_page)) )
        {
            /*
             * d cannot know this page yet: something is badly wrong.  Leak
             * it rather than drop a reference that may be the last.
             */
            rc = -ENODATA;
            goto fail;
        }
        r->pages[n] = pg;
        mfns[n] = page_to_mfn(pg);
    }

    r->ctl = vmap(mfns, nr_pages);
    if ( !r->ctl )
        goto fail;
    memset(r->ctl, 0, (size_t)nr_pages << PAGE_SHIFT);
    r->data = (uint8_t *)r->ctl + PAGE_SIZE;
    r->size = (nr_pages - 1) << PAGE_SHIFT;
    r->ctl->magic = TT_RING_MAGIC;
    r->ctl->interface_version = TT_INTERFACE_VERSION;
    r->ctl->data_size = r->size;

    xfree(mfns);
    return 0;

 fail:
    while ( n-- )
    {
        put_page_alloc_ref(r->pages[n]);
        put_page_and_type(r->pages[n]);
    }
    xfree(r->pages);
    xfree(mfns);
    memset(r, 0, sizeof(*r));
    return rc;
}

/* Undo ring_alloc(): dom0's mappings keep the pages until it unmaps them. */
static void ring_free(struct tt_ring *r)
{
    unsigned int i;

    if ( !r->nr_pages )
        return;
    vunmap(r->ctl);
    for ( i = 0; i < r->nr_pages; i++ )
    {
        put_page_alloc_ref(r->pages[i]);
        put_page_and_type(r->pages[i]);
    }
    xfree(r->pages);
    memset(r, 0, sizeof(*r));
}

int tt_replay_ring_create(struct tt_domain *t, unsigned int nr_pages)
{
    struct tt_ring r;
    int rc;

    ASSERT(spin_is_locked(&tt_lock));
    ASSERT(t->log.nr_pages && !t->rp.ring.nr_pages);

    rc = ring_alloc(t->d, nr_pages, &r);
    if ( rc )
        return rc;
    /* One doorbell for both rings. */
    r.port = t->log.port;

    spin_lock(&t->ring_lock);
    t->rp.ring = r;
    t->rp.cons = 0;
    spin_unlock(&t->ring_lock);

    return 0;
}

/*
 * The log ring, its first record, and the doorbell: an event channel in the
 * port space of cd (the caller of TTOP_ring_setup, the daemon's domain),
 * which the daemon binds as an interdomain channel to itself.  Not in the
 * TT domain's port space: there it would take a port the guest would have
 * had unrecorded, and move every port the guest binds after it.
 */
int tt_ring_create(struct tt_domain *t, unsigned int nr_pages,
                   struct domain *cd)
{
    struct domain *d = t->d;
    struct tt_ring r;
    struct xen_tt_rec_start start = {
        .interface_version = TT_INTERFACE_VERSION,
        .mode = t->mode,
        .vcpus = 1,
        .attach_flags = t->attach_flags,
        .bound_us = t->bound_us,
        .counter = t->counter,
        .memory_kb = (uint64_t)d->max_pages << (PAGE_SHIFT - 10),
        .tsc_khz = d->arch.tsc_khz,
    };
    static const struct xen_tt_pos zero;
    bool kick = false;
    int rc;

    ASSERT(spin_is_locked(&tt_lock));
    ASSERT(!t->log.nr_pages);

    rc = ring_alloc(d, nr_pages, &r);
    if ( rc )
        return rc;

    rc = alloc_unbound_xen_event_channel(cd, 0, cd->domain_id,
                                         tt_ring_notify);
    if ( rc < 0 )
    {
        ring_free(&r);
        return rc;
    }
    r.port = rc;
    get_knownalive_domain(cd);

    spin_lock(&t->ring_lock);
    t->door_d = cd;
    t->log = r;
    /* The first record of every log. */
    ring_put(t, TT_REC_DOMAIN_START, 0, &zero, &start, sizeof(start),
             NULL, 0, &kick);
    spin_unlock(&t->ring_lock);

    ring_kick(t);

    return 0;
}

void tt_ring_destroy(struct tt_domain *t)
{
    /* The replay ring borrows the log ring's doorbell. */
    ring_free(&t->rp.ring);
    if ( !t->log.nr_pages )
        return;
    free_xen_event_channel(t->door_d, t->log.port);
    put_domain(t->door_d);
    t->door_d = NULL;
    /* dom0's mappings keep their own references: the pages outlive us. */
    ring_free(&t->log);
}

int tt_acquire_resource(struct domain *d, unsigned int id,
                        unsigned int frame, unsigned int nr_frames,
                        xen_pfn_t mfn_list[])
{
    const struct tt_domain *t;
    const struct tt_ring *r = NULL;
    unsigned int i;
    int rc = -ENOENT;

    spin_lock(&tt_lock);
    t = d->tt;
    if ( t )
        r = id == TT_RING_LOG ? &t->log :
            id == TT_RING_REPLAY ? &t->rp.ring : NULL;
    if ( r && r->nr_pages )
    {
        rc = -EINVAL;
        if ( frame + nr_frames <= r->nr_pages )
        {
            for ( i = 0; i < nr_frames; i++ )
                mfn_list[i] = mfn_x(page_to_mfn(r->pages[frame + i]));
            rc = nr_frames;
        }
    }
    spin_unlock(&tt_lock);

    return rc;
}

unsigned int tt_resource_max_frames(const struct domain *d, unsigned int id)
{
    unsigned int n = 0;

    spin_lock(&tt_lock);
    if ( d->tt && id == TT_RING_LOG )
        n = d->tt->log.nr_pages;
    else if ( d->tt && id == TT_RING_REPLAY )
        n = d->tt->rp.ring.nr_pages;
    spin_unlock(&tt_lock);

    return n;
}

int tt_buffers_alloc(struct tt_domain *t)
{
    t->hcall_buf = xmalloc_array(uint8_t, TT_HCALL_DATA_MAX);
    t->defer_buf = xmalloc_array(uint8_t, TT_DEFER_BYTES);
    t->hcmem_buf = xmalloc_array(uint8_t, TT_HCMEM_MAX);
    if ( !t->hcall_buf || !t->defer_buf || !t->hcmem_buf )
    {
        tt_buffers_free(t);
        return -ENOMEM;
    }
    return 0;
}

void tt_buffers_free(struct tt_domain *t)
{
    XFREE(t->hcall_buf);
    XFREE(t->defer_buf);
    XFREE(t->hcmem_buf);
}

/*
 * Local variables:
 * mode: C
 * c-file-style: "BSD"
 * c-basic-offset: 4
 * indent-tabs-mode: nil
 * End:
 */
