/* SPDX-License-Identifier: MIT */
/*
 * tt-ctl: a lab test tool for the tt_op hypercall (docs/hypercall-abi.md).
 *
 * Not the product: ttd-deviced is the recording daemon.  This tool drives
 * the dom0 control side by hand, so that the lab can check the hypervisor
 * without the daemon:
 *
 *   tt-ctl attach DOMID         TTOP_attach in record mode
 *   tt-ctl status DOMID         TTOP_status and TTOP_landmark_counts
 *   tt-ctl detach DOMID         TTOP_detach
 *   tt-ctl drain DOMID FILE [SECONDS [PAGES [SLOW]]]
 *                               attach, set up the log ring (PAGES pages,
 *                               default 257: 1 MiB of data), map it, bind
 *                               its doorbell, unpause the domain and copy
 *                               every record (PAD dropped) into FILE until
 *                               TT_REC_END (default: give up after 600 s);
 *                               SLOW: consume at most that many bytes per
 *                               10 ms (a slow daemon: the guest must wait);
 *                               ends with the TTOP_landmark_counts read
 *                               at END ("drain counts ..." lines)
 *   tt-ctl check FILE [FROM TO] check a drained file, print counts per type
 *                               (and those of the records from the one
 *                               holding the bytes FROM to the one holding TO)
 *   tt-ctl badops DOMID [vcpus2=D] [pv=D] [running=D]
 *                               try every bad input on the paused, never
 *                               run, unattached domain DOMID (and on the
 *                               other domains given), one line per case;
 *                               exit 0 only if every error is the
 *                               documented one
 *
 * Built by ci/mkinitramfs.sh with the host's gcc against Debian's
 * libxen-dev, and put into the lab's dom0 as /usr/sbin/tt-ctl.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <xencall.h>
#include <xenctrl.h>
#include <xenevtchn.h>
#include <xenforeignmemory.h>

#include "tt.h"

#define RING_PAGES 257 /* default: control page + 1 MiB of data */

static xencall_handle *xcall;
static void *hbuf; /* hypercall buffer, one page */

static const char *const type_names[256] = {
    [TT_REC_PAD] = "PAD",
    [TT_REC_HYPERCALL] = "HYPERCALL",
    [TT_REC_CPUID] = "CPUID",
    [TT_REC_RDTSC] = "RDTSC",
    [TT_REC_RDTSCP] = "RDTSCP",
    [TT_REC_MSR_READ] = "MSR_READ",
    [TT_REC_MSR_WRITE] = "MSR_WRITE",
    [TT_REC_HLT] = "HLT",
    [TT_REC_PAUSE] = "PAUSE",
    [TT_REC_IO] = "IO",
    [TT_REC_MMIO] = "MMIO",
    [TT_REC_EXCEPTION] = "EXCEPTION",
    [TT_REC_INTERRUPT] = "INTERRUPT",
    [TT_REC_MEMORY] = "MEMORY",
    [TT_REC_TTIO_INPUT] = "TTIO_INPUT",
    [TT_REC_DOMAIN_START] = "DOMAIN_START",
    [TT_REC_DIVERGENCE] = "DIVERGENCE",
    [TT_REC_END] = "END",
};

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "tt-ctl: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

static void open_xencall(void)
{
    if (xcall)
        return;
    xcall = xencall_open(NULL, 0);
    if (!xcall)
        die("cannot open privcmd (xencall_open: %s). Run in dom0 as root.", strerror(errno));
    hbuf = xencall_alloc_buffer(xcall, 4096);
    if (!hbuf)
        die("cannot allocate a hypercall buffer: %s", strerror(errno));
}

/* tt_op(cmd, arg of len bytes): 0 or a negative errno; *arg updated. */
static int tt_op(unsigned int cmd, void *arg, size_t len)
{
    int rc;

    open_xencall();
    memset(hbuf, 0, 4096);
    if (arg)
        memcpy(hbuf, arg, len);
    rc = xencall2(xcall, __HYPERVISOR_tt_op, cmd, arg ? (uint64_t)(uintptr_t)hbuf : 0);
    if (rc < 0)
        return -errno;
    if (arg)
        memcpy(arg, hbuf, len);
    return rc;
}

/* tt_op with a raw argument address (bad pointers). */
static int tt_op_raw(unsigned int cmd, uint64_t arg)
{
    open_xencall();
    return xencall2(xcall, __HYPERVISOR_tt_op, cmd, arg) < 0 ? -errno : 0;
}

static int do_attach_counter(domid_t domid, uint16_t mode, uint32_t version,
                             uint32_t flags, uint32_t counter)
{
    struct xen_tt_attach op = {
        .domid = domid,
        .mode = mode,
        .interface_version = version,
        .flags = flags,
        .counter = counter,
    };

    return tt_op(TTOP_attach, &op, sizeof(op));
}

static int do_attach(domid_t domid, uint16_t mode, uint32_t version, uint32_t flags)
{
    return do_attach_counter(domid, mode, version, flags, TT_COUNTER_NONE);
}

static int do_ring_setup(domid_t domid, uint16_t ring, uint32_t nr_pages, uint32_t pad,
                         uint32_t *port)
{
    struct xen_tt_ring_setup op = {
        .domid = domid,
        .ring = ring,
        .nr_pages = nr_pages,
        .pad = pad,
    };
    int rc = tt_op(TTOP_ring_setup, &op, sizeof(op));

    if (!rc && port)
        *port = op.port;
    return rc;
}

static int do_status(domid_t domid, struct xen_tt_status *st)
{
    memset(st, 0, sizeof(*st));
    st->domid = domid;
    return tt_op(TTOP_status, st, sizeof(*st));
}

static int do_detach(domid_t domid, uint16_t pad0)
{
    struct xen_tt_detach op = { .domid = domid, .pad0 = pad0 };

    return tt_op(TTOP_detach, &op, sizeof(op));
}

static domid_t parse_domid(const char *s)
{
    char *end;
    unsigned long v = strtoul(s, &end, 0);

    if (!*s || *end || v >= DOMID_FIRST_RESERVED)
        die("'%s' is not a domain id", s);
    return v;
}

static const char *errname(int rc)
{
    static char buf[32];

    switch (-rc) {
    case 0: return "0";
    case EPERM: return "-EPERM";
    case ENOENT: return "-ENOENT";
    case ESRCH: return "-ESRCH";
    case E2BIG: return "-E2BIG";
    case ENOMEM: return "-ENOMEM";
    case EACCES: return "-EACCES";
    case EFAULT: return "-EFAULT";
    case EBUSY: return "-EBUSY";
    case EEXIST: return "-EEXIST";
    case ENODEV: return "-ENODEV";
    case EINVAL: return "-EINVAL";
    case ENOSYS: return "-ENOSYS";
    case EOPNOTSUPP: return "-EOPNOTSUPP";
    case ESHUTDOWN: return "-ESHUTDOWN";
    }
    snprintf(buf, sizeof(buf), "%d", rc);
    return buf;
}

static const char *state_name(uint32_t s)
{
    static const char *const n[] = { "ATTACHED", "RUNNING", "RING_WAIT", "DIVERGED", "ENDED" };

    return s < 5 ? n[s] : "?";
}

static int cmd_attach(domid_t domid)
{
    int rc = do_attach(domid, TT_MODE_RECORD, TT_INTERFACE_VERSION, 0);

    printf("attach %u: %s\n", domid, errname(rc));
    return rc ? 1 : 0;
}

/* TTOP_landmark_counts, one "PREFIXname value" line each. */
static void print_counts(const struct xen_tt_landmark_counts *lc, const char *prefix)
{
    unsigned int i;

    printf("%sexits %" PRIu64 "\n%sother %" PRIu64 "\n%scontinuations %" PRIu64 "\n", prefix,
           lc->exits, prefix, lc->other, prefix, lc->continuations);
    for (i = 1; i < TT_LM_KINDS; i++)
        if (lc->by_type[i])
            printf("%slandmarks %s %" PRIu64 "\n", prefix, type_names[i] ?: "?", lc->by_type[i]);
    printf("%smax_gap_ns %" PRIu64 "\n%sgap_sum_ns %" PRIu64 "\n%smax_gap_landmark %" PRIu64 "\n",
           prefix, lc->max_gap_ns, prefix, lc->gap_sum_ns, prefix, lc->max_gap_landmark);
}

static int cmd_status(domid_t domid)
{
    struct xen_tt_status st;
    struct xen_tt_landmark_counts lc = { .domid = domid };
    int rc = do_status(domid, &st);

    if (rc) {
        printf("status %u: %s\n", domid, errname(rc));
        return 1;
    }
    printf("state %s\nlandmarks %" PRIu64 "\nrecords %" PRIu64 "\nring_waits %" PRIu64 "\n"
           "irqs_held %" PRIu64 "\nirqs_by_signature %" PRIu64 "\n",
           state_name(st.state), st.landmarks, st.records, st.ring_waits, st.irqs_held,
           st.irqs_by_signature);
    rc = tt_op(TTOP_landmark_counts, &lc, sizeof(lc));
    if (!rc)
        print_counts(&lc, "");
    return 0;
}

static int cmd_detach(domid_t domid)
{
    int rc = do_detach(domid, 0);

    printf("detach %u: %s\n", domid, errname(rc));
    return rc ? 1 : 0;
}

/* ---- drain --------------------------------------------------------------- */

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmd_drain(domid_t domid, const char *file, unsigned int seconds,
                     unsigned int pages, unsigned int slow)
{
    xc_interface *xch = xc_interface_open(NULL, NULL, 0);
    xenforeignmemory_handle *fmem = xenforeignmemory_open(NULL, 0);
    xenevtchn_handle *xce = xenevtchn_open(NULL, 0);
    xenforeignmemory_resource_handle *fres;
    volatile struct xen_tt_ring *ring;
    const uint8_t *data;
    void *addr = NULL;
    uint32_t port, size;
    xenevtchn_port_or_error_t lport;
    uint64_t cons, nrec = 0, nbytes = 0, kicks = 0, waits_seen = 0, ring_waits = 0;
    struct xen_tt_landmark_counts lc, lc_last = { 0 };
    bool ended = false, have_lc = false;
    double t0, t_lc = 0;
    FILE *out;
    int rc;

    if (!xch || !fmem || !xce)
        die("cannot open libxenctrl/xenforeignmemory/xenevtchn: %s", strerror(errno));
    out = fopen(file, "wb");
    if (!out)
        die("cannot create %s: %s", file, strerror(errno));

    rc = do_attach(domid, TT_MODE_RECORD, TT_INTERFACE_VERSION, 0);
    if (rc)
        die("attach %u: %s", domid, errname(rc));
    rc = do_ring_setup(domid, TT_RING_LOG, pages, 0, &port);
    if (rc)
        die("ring_setup %u: %s", domid, errname(rc));
    fres = xenforeignmemory_map_resource(fmem, domid, TT_RESOURCE_TYPE, TT_RING_LOG, 0,
                                         pages, &addr, PROT_READ | PROT_WRITE, 0);
    if (!fres)
        die("cannot map the log ring of %u (acquire_resource): %s", domid, strerror(errno));
    lport = xenevtchn_bind_interdomain(xce, domid, port);
    if (lport < 0)
        die("cannot bind the doorbell %u of %u: %s", port, domid, strerror(errno));

    ring = addr;
    data = (const uint8_t *)addr + 4096;
    size = ring->data_size;
    if (ring->magic != TT_RING_MAGIC || ring->interface_version != TT_INTERFACE_VERSION ||
        size != (pages - 1) * 4096u)
        die("ring of %u: bad control page (magic %#x version %u size %u)", domid, ring->magic,
            ring->interface_version, size);
    printf("drain %u: ring %u pages, doorbell %u (local %d)\n", domid, pages, port, lport);

    if (xc_domain_unpause(xch, domid))
        die("cannot unpause %u: %s", domid, strerror(errno));

    cons = ring->cons;
    t0 = now();
    while (!ended) {
        struct pollfd pfd = { .fd = xenevtchn_fd(xce), .events = POLLIN };
        uint64_t prod;

        if (now() - t0 > seconds) {
            fprintf(stderr, "tt-ctl: drain %u: no TT_REC_END after %u s\n", domid, seconds);
            break;
        }
        if (poll(&pfd, 1, 10) > 0) {
            xenevtchn_port_or_error_t p = xenevtchn_pending(xce);

            if (p >= 0)
                xenevtchn_unmask(xce, p);
        }
        if (slow)
            usleep(10000);
        prod = ring->prod;
        __atomic_thread_fence(__ATOMIC_ACQUIRE); /* records after the index */
        if (prod - cons > size)
            die("ring of %u: prod %" PRIu64 " cons %" PRIu64 " beyond its size", domid, prod, cons);
        for (uint64_t start = cons; cons != prod && (!slow || cons - start < slow);) {
            uint32_t off = cons & (size - 1);
            const struct xen_tt_rec *rec = (const void *)(data + off);
            uint32_t rlen;

            if (rec->type == TT_REC_PAD) {
                cons += size - off;
                continue;
            }
            if (size - off < TT_REC_HDR_SIZE || rec->payload_len > TT_REC_MAX_PAYLOAD ||
                TT_REC_SIZE(rec->payload_len) > size - off ||
                TT_REC_SIZE(rec->payload_len) > prod - cons)
                die("ring of %u: bad record at %" PRIu64, domid, cons);
            rlen = TT_REC_SIZE(rec->payload_len);
            if (fwrite(rec, rlen, 1, out) != 1)
                die("cannot write %s: %s", file, strerror(errno));
            if (rec->type == TT_REC_END)
                ended = true;
            nrec++;
            nbytes += rlen;
            cons += rlen;
        }
        /*
         * The diagnostic counters (TTOP_landmark_counts), every 0.5 s and
         * at END, while the domain and its TT state still exist.
         */
        if (ended || now() - t_lc >= 0.5) {
            lc = (struct xen_tt_landmark_counts){ .domid = domid };
            if (!tt_op(TTOP_landmark_counts, &lc, sizeof(lc))) {
                lc_last = lc;
                have_lc = true;
            }
            t_lc = now();
        }
        /* Reads done before the space is handed back. */
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        ring->cons = cons;
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        if (ring->producer_waiting && !ended) {
            struct xen_tt_status st;

            /* Xen paused the guest for room: it says so in its status. */
            if (!do_status(domid, &st)) {
                if (st.state == TT_STATE_RING_WAIT)
                    waits_seen++;
                ring_waits = st.ring_waits;
            }
            xenevtchn_notify(xce, lport);
            kicks++;
        }
    }

    if (fclose(out))
        die("cannot write %s: %s", file, strerror(errno));
    printf("drain %u: %" PRIu64 " records, %" PRIu64 " bytes, %s in %.1f s\n", domid, nrec,
           nbytes, ended ? "END seen" : "NO END", now() - t0);
    printf("drain %u: %" PRIu64 " kicks, state RING_WAIT seen %" PRIu64 " times, ring_waits %" PRIu64
           "\n", domid, kicks, waits_seen, ring_waits);
    if (have_lc)
        print_counts(&lc_last, "drain counts ");
    xenforeignmemory_unmap_resource(fmem, fres);
    xenevtchn_unbind(xce, lport);
    xenevtchn_close(xce);
    xenforeignmemory_close(fmem);
    xc_interface_close(xch);
    return ended ? 0 : 1;
}

/* ---- check --------------------------------------------------------------- */

/*
 * check FILE [FROM TO]: with FROM and TO, also count the records of a
 * window: from the first record whose payload holds the bytes FROM (a
 * console line the guest sent with TT-io) to the next one holding TO,
 * both included ("window ..." lines).
 */
static int cmd_check(const char *file, const char *from, const char *to)
{
    FILE *f = fopen(file, "rb");
    uint64_t count[256] = { 0 }, outside[256] = { 0 }, n = 0, last_lm = 0, last_landmark = 0;
    uint64_t wcount[256] = { 0 }, wrec = 0, wbytes = 0, wlm0 = 0, wlm1 = 0, wtsc0 = 0, wtsc1 = 0;
    int win = 0; /* 0 before FROM, 1 inside, 2 after TO */
    struct xen_tt_rec hdr;
    uint8_t *payload = malloc(TT_REC_MAX_PAYLOAD + 8);
    unsigned int first = 0, last = 0, bad = 0, i;
    struct xen_tt_rec_end end = { 0 };
    struct xen_tt_rec_start start = { 0 };

    if (!f || !payload)
        die("cannot read %s: %s", file, strerror(errno));

    while (fread(&hdr, sizeof(hdr), 1, f) == 1) {
        uint32_t plen = TT_REC_SIZE(hdr.payload_len) - TT_REC_HDR_SIZE;

        if (hdr.payload_len > TT_REC_MAX_PAYLOAD || fread(payload, 1, plen, f) != plen) {
            printf("bad: record %" PRIu64 ": truncated or oversized\n", n);
            bad++;
            break;
        }
        if (n == 0)
            first = hdr.type;
        last = hdr.type;
        count[hdr.type & 0xff]++;
        if (hdr.flags & TT_RECF_OUTSIDE)
            outside[hdr.type & 0xff]++;
        if (hdr.flags & ~TT_RECF_ALL) {
            if (bad++ < 10)
                printf("bad: record %" PRIu64 ": flags %#x\n", n, hdr.flags);
        }
        if (hdr.pos.landmark < last_lm) {
            if (bad++ < 10)
                printf("bad: record %" PRIu64 ": landmark %" PRIu64 " after %" PRIu64 "\n", n,
                       hdr.pos.landmark, last_lm);
        }
        last_lm = hdr.pos.landmark;
        if (TT_REC_CLASS(hdr.type) == TT_REC_CLASS_LANDMARK) {
            if (hdr.type == TT_REC_PAD || hdr.pos.landmark != last_landmark + 1) {
                if (bad++ < 10)
                    printf("bad: record %" PRIu64 " (%s): landmark %" PRIu64 ", expected %" PRIu64
                           "\n", n, type_names[hdr.type] ?: "?", hdr.pos.landmark,
                           last_landmark + 1);
            }
            last_landmark = hdr.pos.landmark;
        }
        if (from && win == 0 && memmem(payload, hdr.payload_len, from, strlen(from))) {
            win = 1;
            wlm0 = hdr.pos.landmark;
        }
        if (win == 1) {
            wcount[hdr.type & 0xff]++;
            wrec++;
            wbytes += sizeof(hdr) + plen;
            wlm1 = hdr.pos.landmark;
            if ((hdr.type == TT_REC_RDTSC || hdr.type == TT_REC_RDTSCP) &&
                hdr.payload_len >= sizeof(struct xen_tt_rec_tsc)) {
                const struct xen_tt_rec_tsc *tsc = (const void *)payload;

                if (!wtsc0)
                    wtsc0 = tsc->tsc;
                wtsc1 = tsc->tsc;
            }
            if (memmem(payload, hdr.payload_len, to, strlen(to)))
                win = 2;
        }
        if (hdr.type == TT_REC_END && hdr.payload_len >= sizeof(end))
            memcpy(&end, payload, sizeof(end));
        if (hdr.type == TT_REC_DOMAIN_START && hdr.payload_len >= sizeof(start))
            memcpy(&start, payload, sizeof(start));
        for (i = hdr.payload_len; i < plen; i++)
            if (payload[i]) {
                if (bad++ < 10)
                    printf("bad: record %" PRIu64 ": non-zero padding\n", n);
                break;
            }
        n++;
    }
    fclose(f);

    printf("records %" PRIu64 "\n", n);
    for (i = 0; i < 256; i++)
        if (count[i])
            printf("type %s %" PRIu64 " (outside %" PRIu64 ")\n", type_names[i] ?: "?", count[i],
                   outside[i]);
    printf("first %s\nlast %s\n", type_names[first] ?: "?", type_names[last] ?: "?");
    printf("start interface %u memory_kb %" PRIu64 " tsc_khz %" PRIu64 " bound_us %u\n",
           start.interface_version, start.memory_kb, start.tsc_khz, start.bound_us);
    printf("end reason %u code %u landmarks %" PRIu64 "\n", end.reason, end.code, end.landmarks);
    if (from) {
        printf("window %s records %" PRIu64 " bytes %" PRIu64 " landmarks %" PRIu64 "\n",
               win == 2 ? "complete" : win ? "unended" : "absent", wrec, wbytes, wlm1 - wlm0);
        printf("window from landmark %" PRIu64 " to %" PRIu64 "\n", wlm0, wlm1);
        /* The guest's TSC (host time) between its first and last RDTSC. */
        if (start.tsc_khz && wtsc1 > wtsc0)
            printf("window tsc_ms %" PRIu64 "\n", (wtsc1 - wtsc0) / start.tsc_khz);
        for (i = 0; i < 256; i++)
            if (wcount[i])
                printf("window type %s %" PRIu64 "\n", type_names[i] ?: "?", wcount[i]);
    }
    if (n == 0 || first != TT_REC_DOMAIN_START) {
        printf("bad: the first record is not DOMAIN_START\n");
        bad++;
    }
    if (last != TT_REC_END) {
        printf("bad: the last record is not END\n");
        bad++;
    } else if (end.landmarks != last_landmark) {
        printf("bad: END says %" PRIu64 " landmarks, the log has %" PRIu64 "\n", end.landmarks,
               last_landmark);
        bad++;
    }
    if (count[TT_REC_DOMAIN_START] != 1 || count[TT_REC_END] != 1) {
        printf("bad: %" PRIu64 " DOMAIN_START and %" PRIu64 " END records\n",
               count[TT_REC_DOMAIN_START], count[TT_REC_END]);
        bad++;
    }
    printf("%s\n", bad ? "check: FAILED" : "check: ok");
    return bad ? 1 : 0;
}

/* ---- badops -------------------------------------------------------------- */

static unsigned int failures;

static void expect(const char *what, int rc, int want)
{
    bool ok = rc == want;

    printf("%s %s: %s (want %s)\n", ok ? "ok" : "FAIL", what, errname(rc), errname(want));
    if (!ok)
        failures++;
}

static int cmd_badops(domid_t domid, int argc, char **argv)
{
    xc_interface *xch = xc_interface_open(NULL, NULL, 0);
    xenforeignmemory_handle *fmem = xenforeignmemory_open(NULL, 0);
    struct xen_tt_status st;
    struct xen_tt_info info;
    struct xen_tt_io io = { .device = TT_DEV_CONSOLE };
    struct xen_tt_detach det = { .domid = domid, .pad1 = 1 };
    struct xen_tt_landmark_counts lc = { .domid = domid, .pad0 = 1 };
    struct xen_tt_ring_setup rs;
    xenforeignmemory_resource_handle *fres;
    void *addr = NULL;
    uint32_t port;
    int rc, i;

    if (!xch || !fmem)
        die("cannot open libxenctrl/xenforeignmemory: %s", strerror(errno));

    /* Before attach. */
    expect("unknown sub-op 99", tt_op(99, &st, sizeof(st)), -EINVAL);
    expect("status of an unattached domain", do_status(domid, &st), -ENOENT);
    expect("detach of an unattached domain", do_detach(domid, 0), -ENOENT);
    expect("ring_setup of an unattached domain", do_ring_setup(domid, TT_RING_LOG, 33, 0, NULL),
           -ENOENT);
    expect("info from dom0 (not a TT domain)", tt_op(TTOP_info, &info, sizeof(info)), -EPERM);
    expect("io_send from dom0 (not a TT domain)", tt_op(TTOP_io_send, &io, sizeof(io)), -EPERM);
    expect("attach with a bad argument address", tt_op_raw(TTOP_attach, 8), -EFAULT);
    expect("attach mode 7", do_attach(domid, 7, TT_INTERFACE_VERSION, 0), -EINVAL);
    expect("attach unknown flag bit 5",
           do_attach(domid, TT_MODE_RECORD, TT_INTERFACE_VERSION, 1u << 5), -EINVAL);
    expect("attach an older interface version",
           do_attach(domid, TT_MODE_RECORD, TT_INTERFACE_VERSION - 1, 0), -EACCES);
    expect("attach a newer interface version",
           do_attach(domid, TT_MODE_REPLAY, TT_INTERFACE_VERSION + 1, 0), -EACCES);
    expect("attach with TT_COUNTER_BRANCHES (no PMU counter yet)",
           do_attach_counter(domid, TT_MODE_RECORD, TT_INTERFACE_VERSION, 0,
                             TT_COUNTER_BRANCHES), -ENODEV);
    expect("attach with counter 9 (unknown)",
           do_attach_counter(domid, TT_MODE_RECORD, TT_INTERFACE_VERSION, 0, 9), -EINVAL);
    expect("attach dom0 itself", do_attach(0, TT_MODE_RECORD, TT_INTERFACE_VERSION, 0), -EINVAL);
    expect("attach a domain that does not exist",
           do_attach(31000, TT_MODE_RECORD, TT_INTERFACE_VERSION, 0), -ESRCH);

    /* Other domains given on the command line. */
    for (i = 0; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        domid_t other;
        int want;

        if (!eq)
            die("badops: '%s' is not KIND=DOMID", argv[i]);
        *eq = 0;
        other = parse_domid(eq + 1);
        if (!strcmp(argv[i], "vcpus2") || !strcmp(argv[i], "pv"))
            want = -EOPNOTSUPP;
        else if (!strcmp(argv[i], "running"))
            want = -EBUSY;
        else
            die("badops: unknown kind '%s' (vcpus2, pv, running)", argv[i]);
        rc = do_attach(other, TT_MODE_RECORD, TT_INTERFACE_VERSION, 0);
        {
            char what[64];

            snprintf(what, sizeof(what), "attach a %s domain (%u)", argv[i], other);
            expect(what, rc, want);
        }
        if (!rc)
            do_detach(other, 0);
    }

    /* Attached, no ring yet. */
    expect("attach", do_attach(domid, TT_MODE_RECORD, TT_INTERFACE_VERSION, 0), 0);
    expect("attach twice", do_attach(domid, TT_MODE_RECORD, TT_INTERFACE_VERSION, 0), -EBUSY);
    rc = do_status(domid, &st);
    expect("status after attach", rc, 0);
    if (!rc && st.state != TT_STATE_ATTACHED) {
        printf("FAIL status after attach: state %s, want ATTACHED\n", state_name(st.state));
        failures++;
    }
    expect("ring_setup of ring 5", do_ring_setup(domid, 5, 33, 0, NULL), -EINVAL);
    expect("ring_setup of the replay ring when recording",
           do_ring_setup(domid, TT_RING_REPLAY, 33, 0, NULL), -EINVAL);
    expect("ring_setup with non-zero pad", do_ring_setup(domid, TT_RING_LOG, 33, 1, NULL),
           -EINVAL);
    rs = (struct xen_tt_ring_setup){ .domid = domid, .nr_pages = 33, .pad1 = 1 };
    expect("ring_setup with non-zero pad1", tt_op(TTOP_ring_setup, &rs, sizeof(rs)), -EINVAL);
    expect("ring_setup of 0 pages", do_ring_setup(domid, TT_RING_LOG, 0, 0, NULL), -EINVAL);
    expect("ring_setup of 40 pages (39 data pages: not a power of 2)",
           do_ring_setup(domid, TT_RING_LOG, 40, 0, NULL), -EINVAL);
    expect("ring_setup of 17 pages (below the minimum)",
           do_ring_setup(domid, TT_RING_LOG, 17, 0, NULL), -EINVAL);
    expect("ring_setup of 8193 pages (above the maximum)",
           do_ring_setup(domid, TT_RING_LOG, 8193, 0, NULL), -E2BIG);
    expect("detach with non-zero padding", tt_op(TTOP_detach, &det, sizeof(det)), -EINVAL);
    expect("landmark_counts with non-zero padding", tt_op(TTOP_landmark_counts, &lc, sizeof(lc)),
           -EINVAL);
    fres = xenforeignmemory_map_resource(fmem, domid, TT_RESOURCE_TYPE, TT_RING_LOG, 0, 1, &addr,
                                         PROT_READ, 0);
    expect("map the log ring before ring_setup", fres ? 0 : -errno, -EINVAL);
    if (fres)
        xenforeignmemory_unmap_resource(fmem, fres);

    /* The toolstack's unpause must not let it run before its ring exists. */
    rc = xc_domain_unpause(xch, domid);
    expect("toolstack unpause before ring_setup", rc ? -errno : 0, 0);
    sleep(2);
    rc = do_status(domid, &st);
    if (rc || st.state != TT_STATE_ATTACHED || st.landmarks) {
        printf("FAIL the domain ran without a ring: %s state %s landmarks %" PRIu64 "\n",
               errname(rc), state_name(st.state), st.landmarks);
        failures++;
    } else
        printf("ok the domain did not run without a ring (state ATTACHED, 0 landmarks)\n");
    rc = xc_domain_pause(xch, domid);
    expect("toolstack pause again", rc ? -errno : 0, 0);

    /* A ring. */
    expect("ring_setup of 33 pages", do_ring_setup(domid, TT_RING_LOG, 33, 0, &port), 0);
    expect("ring_setup twice", do_ring_setup(domid, TT_RING_LOG, 33, 0, NULL), -EEXIST);
    fres = xenforeignmemory_map_resource(fmem, domid, TT_RESOURCE_TYPE, TT_RING_REPLAY, 0, 1,
                                         &addr, PROT_READ, 0);
    expect("map the replay ring (none)", fres ? 0 : -errno, -EINVAL);
    if (fres)
        xenforeignmemory_unmap_resource(fmem, fres);
    fres = xenforeignmemory_map_resource(fmem, domid, TT_RESOURCE_TYPE, TT_RING_LOG, 30, 4, &addr,
                                         PROT_READ, 0);
    expect("map frames 30-33 of a 33-page ring", fres ? 0 : -errno, -EINVAL);
    if (fres)
        xenforeignmemory_unmap_resource(fmem, fres);
    fres = xenforeignmemory_map_resource(fmem, domid, TT_RESOURCE_TYPE, TT_RING_LOG, 0, 33, &addr,
                                         PROT_READ, 0);
    expect("map the log ring", fres ? 0 : -errno, 0);
    if (fres) {
        const volatile struct xen_tt_ring *r = addr;
        const struct xen_tt_rec *rec = (const void *)((const uint8_t *)addr + 4096);
        bool good = r->magic == TT_RING_MAGIC && r->data_size == 32 * 4096 &&
                    r->prod == TT_REC_SIZE(sizeof(struct xen_tt_rec_start)) && r->records == 1 &&
                    rec->type == TT_REC_DOMAIN_START && rec->pos.landmark == 0;

        printf("%s ring control page and first record: magic %#x size %u prod %" PRIu64
               " first type %#x\n", good ? "ok" : "FAIL", r->magic, r->data_size, r->prod,
               rec->type);
        if (!good)
            failures++;
    }
    rc = do_detach(domid, 0);
    expect("detach", rc, 0);
    if (fres) {
        const volatile struct xen_tt_ring *r = addr;
        const struct xen_tt_rec *rec =
            (const void *)((const uint8_t *)addr + 4096 +
                           TT_REC_SIZE(sizeof(struct xen_tt_rec_start)));
        const struct xen_tt_rec_end *end = (const void *)(rec + 1);
        bool good = r->records == 2 && rec->type == TT_REC_END && end->reason == TT_END_DETACH;

        printf("%s detach wrote END (reason DETACH) into the still mapped ring\n",
               good ? "ok" : "FAIL");
        if (!good)
            failures++;
        xenforeignmemory_unmap_resource(fmem, fres);
    }
    expect("status after detach", do_status(domid, &st), -ENOENT);
    expect("detach twice", do_detach(domid, 0), -ENOENT);

    printf("badops: %u failure(s)\n", failures);
    xenforeignmemory_close(fmem);
    xc_interface_close(xch);
    return failures ? 1 : 0;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: tt-ctl attach|status|detach DOMID\n"
            "       tt-ctl drain DOMID FILE [SECONDS [PAGES [SLOW]]]\n"
            "       tt-ctl check FILE [FROM TO]\n"
            "       tt-ctl badops DOMID [vcpus2=D] [pv=D] [running=D]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 3)
        usage();
    if (!strcmp(argv[1], "check"))
        return cmd_check(argv[2], argc > 4 ? argv[3] : NULL, argc > 4 ? argv[4] : NULL);
    if (!strcmp(argv[1], "attach"))
        return cmd_attach(parse_domid(argv[2]));
    if (!strcmp(argv[1], "status"))
        return cmd_status(parse_domid(argv[2]));
    if (!strcmp(argv[1], "detach"))
        return cmd_detach(parse_domid(argv[2]));
    if (!strcmp(argv[1], "drain") && argc >= 4)
        return cmd_drain(parse_domid(argv[2]), argv[3], argc > 4 ? atoi(argv[4]) : 600,
                         argc > 5 ? atoi(argv[5]) : RING_PAGES, argc > 6 ? atoi(argv[6]) : 0);
    if (!strcmp(argv[1], "badops"))
        return cmd_badops(parse_domid(argv[2]), argc - 3, argv + 3);
    usage();
}
