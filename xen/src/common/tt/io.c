/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * common/tt/io.c
 *
 * TT-io: the devices of a TT guest, which shares no memory with dom0
 * (DESIGN section 6).  Only the console exists so far.
 *
 *  - TTOP_io_send (guest): Xen copies up to TT_IO_MAX bytes out of the
 *    guest and attaches them, after the struct xen_tt_io the guest passed,
 *    to the TT_REC_HYPERCALL record of the call.  The daemon finds the
 *    console output in the log it drains; there is no other path out.
 *  - TTOP_io_push (dom0): the daemon queues input for a device in Xen,
 *    TT_IO_QUEUE bytes at most per device (-EAGAIN when it does not fit).
 *  - TTOP_io_recv (guest, polled): Xen copies queued input into the guest
 *    and logs it as a TT_REC_TTIO_INPUT record right after the hypercall's
 *    landmark record, at the same position.
 *
 * Every guest-side call is a landmark, so output and input happen at
 * points fixed by the guest's own execution.  Nothing in here trusts the
 * guest: every field is checked and every bad one is an error code.
 *
 * Locking is organized as follows:
 *
 * struct tt_io belongs to its struct tt_domain and lives from attach to
 * the free of the tt_domain (tt_io_init(), tt_io_free()).  Its out[] and
 * in_copy[] buffers are used by the TT vCPU only, in its own hypercalls.
 * The input queues are shared by the TT vCPU (consumer, TTOP_io_recv) and
 * dom0 (producer, TTOP_io_push); io->lock protects head and len of every
 * queue and the bytes in them.  dom0 reaches the tt_domain under tt_lock
 * (private.h) and takes io->lock inside it; the TT vCPU takes io->lock
 * alone.  No guest memory is touched with io->lock held.
 */

#include <xen/ctype.h>
#include <xen/errno.h>
#include <xen/guest_access.h>
#include <xen/lib.h>
#include <xen/multicall.h>
#include <xen/sched.h>
#include <xen/spinlock.h>
#include <xen/string.h>
#include <xen/xmalloc.h>

#include <public/tt.h>

#include <xen/tt-private.h>

/* One device's queued input: a byte ring of TT_IO_QUEUE bytes. */
struct tt_io_queue {
    unsigned int head;          /* index in in[] of the oldest byte */
    unsigned int len;           /* bytes queued */
    uint8_t in[TT_IO_QUEUE];
};

struct tt_io {
    spinlock_t lock;            /* the queues (see the top of the file) */
    struct tt_io_queue queue[TT_IO_NR_DEVICES];
    uint8_t out[TT_IO_MAX];     /* TTOP_io_send: bytes from the guest */
    uint8_t in_copy[TT_IO_MAX]; /* TTOP_io_recv: bytes for the guest */
};

int tt_io_init(struct tt_domain *t)
{
    struct tt_io *io = xzalloc(struct tt_io);

    if ( !io )
        return -ENOMEM;
    spin_lock_init(&io->lock);
    t->io = io;

    return 0;
}

void tt_io_free(struct tt_domain *t)
{
    XFREE(t->io);
}

static bool tt_io_has_device(unsigned int device)
{
    return device < TT_IO_NR_DEVICES && (TT_IO_DEVICES & (1U << device));
}

/*
 * Read and check a guest's struct xen_tt_io.  Errors: -EFAULT unreadable,
 * -EINVAL non-zero pad, flags or cookie (the console has none), -ENODEV
 * no such device, -E2BIG len above TT_IO_MAX.
 */
static int tt_io_get(XEN_GUEST_HANDLE_PARAM(void) arg, struct xen_tt_io *op)
{
    if ( copy_from_guest(op, arg, 1) )
        return -EFAULT;
    if ( op->pad )
        return -EINVAL;
    if ( !tt_io_has_device(op->device) )
        return -ENODEV;
    /* TT_IO_BLOCK_WRITE and the cookie belong to the block device. */
    if ( op->flags || op->cookie )
        return -EINVAL;
    if ( op->len > TT_IO_MAX )
        return -E2BIG;

    return 0;
}

/*
 * Show console output on Xen's console too, line by line as "(dN) ...",
 * the way Xen shows an HVM guest's debug port (0xe9) and with its line
 * buffer: at guest debug level, so only where guest_loglvl lets it through
 * (the lab's guest_loglvl=all).  It is for people watching the hypervisor;
 * the recording holds the bytes whatever the log level.
 */
static void tt_io_echo(struct domain *d, const uint8_t *p, unsigned int len)
{
    unsigned int i;

    spin_lock(&d->pbuf_lock);
    for ( i = 0; i < len; i++ )
    {
        char c = p[i];

        if ( !isprint(c) && c != '\n' && c != '\t' )
            continue;
        if ( c != '\n' )
            d->pbuf[d->pbuf_idx++] = c;
        if ( d->pbuf_idx == DOMAIN_PBUF_SIZE - 1 || c == '\n' )
        {
            d->pbuf[d->pbuf_idx] = '\0';
            guest_printk(d, XENLOG_G_DEBUG "%s\n", d->pbuf);
            d->pbuf_idx = 0;
        }
    }
    spin_unlock(&d->pbuf_lock);
}

/*
 * TTOP_io_send from the TT guest: the bytes go into the log, attached to
 * the hypercall's record.  All len bytes or nothing; arg is not written.
 */
static long tt_io_send(struct tt_domain *t, XEN_GUEST_HANDLE_PARAM(void) arg)
{
    struct tt_io *io = t->io;
    struct xen_tt_io op;
    int rc = tt_io_get(arg, &op);

    if ( rc )
        return rc;
    if ( op.len && copy_from_guest(io->out, op.buf, op.len) )
        return -EFAULT;

    /* The struct as the guest passed it, then the bytes (ABI, log format). */
    tt_hypercall_data(t, &op, sizeof(op), io->out, op.len);
    if ( op.device == TT_DEV_CONSOLE )
        tt_io_echo(t->d, io->out, op.len);

    return 0;
}

/*
 * TTOP_io_recv from the TT guest: copy at most len queued bytes into buf
 * and write the count back into arg's len; 0 when nothing is queued.  The
 * bytes leave the queue only once the guest has them and they are logged.
 */
static long tt_io_recv(struct tt_domain *t, XEN_GUEST_HANDLE_PARAM(void) arg)
{
    struct tt_io *io = t->io;
    struct tt_io_queue *q;
    struct xen_tt_rec_ttio rec;
    struct xen_tt_io op;
    unsigned int n, first;
    int rc = tt_io_get(arg, &op);

    if ( rc )
        return rc;

    if ( t->mode == TT_MODE_REPLAY )
    {
        /*
         * Replay: the input is the log's (a TT_REC_TTIO_INPUT record after
         * this landmark's, which replay.c hands to tt_io_replay_input());
         * without one the guest got nothing, as here.
         */
        t->rp.io_recv = op;
        t->rp.io_recv_arg = arg.p;
        t->rp.io_recv_valid = true;
        op.len = 0;
        return copy_to_guest(arg, &op, 1) ? -EFAULT : 0;
    }

    q = &io->queue[op.device];

    /* Peek: only this vCPU consumes, so these bytes stay at the head. */
    spin_lock(&io->lock);
    n = min(op.len, q->len);
    first = min(n, TT_IO_QUEUE - q->head);
    memcpy(io->in_copy, &q->in[q->head], first);
    memcpy(io->in_copy + first, q->in, n - first);
    spin_unlock(&io->lock);

    if ( n && copy_to_guest(op.buf, io->in_copy, n) )
        return -EFAULT;
    op.len = n;
    if ( copy_to_guest(arg, &op, 1) )
        return -EFAULT;
    if ( !n )
        return 0;

    rec = (struct xen_tt_rec_ttio){
        .device = op.device,
        .len = n,
        .cookie = 0,
    };
    rc = tt_defer_record(t, TT_REC_TTIO_INPUT, 0, &rec, sizeof(rec),
                         io->in_copy, n);
    if ( rc )
        return rc;              /* not consumed: the guest may try again */

    spin_lock(&io->lock);
    q->head = (q->head + n) % TT_IO_QUEUE;
    q->len -= n;
    spin_unlock(&io->lock);

    return 0;
}

int tt_io_replay_input(struct tt_domain *t, const struct xen_tt_rec_ttio *rec,
                       const uint8_t *data)
{
    XEN_GUEST_HANDLE_PARAM(void) arg =
        guest_handle_from_ptr(t->rp.io_recv_arg, void);
    struct xen_tt_io op = t->rp.io_recv;

    ASSERT(t->mode == TT_MODE_REPLAY);

    /* Input only where the guest asked for it, and no more than it asked. */
    if ( !t->rp.io_recv_valid || rec->device != op.device ||
         rec->len > op.len || rec->cookie )
        return -EINVAL;
    t->rp.io_recv_valid = false;

    if ( rec->len && copy_to_guest(op.buf, data, rec->len) )
        return -EFAULT;
    op.len = rec->len;
    if ( copy_to_guest(arg, &op, 1) )
        return -EFAULT;

    /* The replay log gets what the guest got. */
    return tt_record(t, TT_REC_TTIO_INPUT, 0, &t->pos, rec, sizeof(*rec),
                     data, rec->len);
}

long tt_io_guest_op(unsigned int cmd, XEN_GUEST_HANDLE_PARAM(void) arg)
{
    /* d->tt cannot change while the domain's only vCPU is in here. */
    struct tt_domain *t = current->domain->tt;

    if ( !t )
        return -EPERM;

    /*
     * The log holds one TT-io record per hypercall landmark: the calls of
     * a multicall batch would share one, and all but one send's bytes (or
     * receive's input) would be lost.
     */
    if ( current->mc_state.flags & MCSF_in_multicall )
        return -EOPNOTSUPP;

    switch ( cmd )
    {
    case TTOP_io_send:
        return tt_io_send(t, arg);

    case TTOP_io_recv:
        return tt_io_recv(t, arg);

    default:
        ASSERT_UNREACHABLE();
        return -EINVAL;
    }
}

/*
 * TTOP_io_push from dom0: queue len bytes of input for the device, all of
 * them or none.  Errors: -EFAULT, -EPERM, -ESRCH, -EINVAL the caller
 * itself, -ENOENT not attached, -ENODEV no such device,
 * -E2BIG len above TT_IO_QUEUE, -EAGAIN not enough room (try again once
 * the guest has read), -ENOMEM, -EOPNOTSUPP a replay (input comes from
 * the log).
 */
long tt_io_push(XEN_GUEST_HANDLE_PARAM(void) arg)
{
    struct xen_tt_io_push op;
    struct tt_io_queue *q;
    struct tt_domain *t;
    struct domain *d;
    uint8_t *bytes = NULL;
    unsigned int tail, first;
    long rc;

    if ( copy_from_guest(&op, arg, 1) )
        return -EFAULT;

    rc = tt_get_target(op.domid, TTOP_io_push, &d);
    if ( rc )
        return rc;

    rc = -ENODEV;
    if ( !tt_io_has_device(op.device) )
        goto out;
    rc = -E2BIG;
    if ( op.len > TT_IO_QUEUE )
        goto out;
    rc = 0;
    if ( !op.len )
        goto out;

    /* Copy from dom0 before taking any lock. */
    rc = -ENOMEM;
    bytes = xmalloc_array(uint8_t, op.len);
    if ( !bytes )
        goto out;
    rc = -EFAULT;
    if ( copy_from_guest(bytes, op.buf, op.len) )
        goto out;

    spin_lock(&tt_lock);
    t = d->tt;
    rc = -ENOENT;
    if ( t && t->mode == TT_MODE_REPLAY )
        rc = -EOPNOTSUPP;       /* replay takes its input from the log */
    else if ( t )
    {
        q = &t->io->queue[op.device];
        spin_lock(&t->io->lock);
        rc = -EAGAIN;
        if ( op.len <= TT_IO_QUEUE - q->len )
        {
            tail = (q->head + q->len) % TT_IO_QUEUE;
            first = min(op.len, TT_IO_QUEUE - tail);
            memcpy(&q->in[tail], bytes, first);
            memcpy(q->in, bytes + first, op.len - first);
            q->len += op.len;
            rc = 0;
        }
        spin_unlock(&t->io->lock);
    }
    spin_unlock(&tt_lock);

 out:
    xfree(bytes);
    rcu_unlock_domain(d);
    return rc;
}

/*
 * Local variables:
 * mode: C
 * c-file-style: "BSD"
 * c-basic-offset: 4
 * indent-tabs-mode: nil
 * End:
 */
