/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * common/tt/landmark.c
 *
 * Landmarks: the VM exits that a TT guest causes itself, at an instruction
 * fixed by its own execution (docs/design-record.md has the table and the
 * reasons).  Their count is the landmark index of a position
 * (struct xen_tt_pos), so an exit the host causes must never be counted:
 * it would happen at another place, or not at all, in replay.
 *
 * The arch side reads the exit (arch/x86/hvm/svm/tt.c: the VMCB) and
 * hands it here twice: tt_exit_enter() before Xen handles it, tt_exit()
 * after, with the exit described in struct tt_exit (its landmark type
 * included: which exits are landmarks is the arch's table).  Only SVM has
 * such a side: the lab (QEMU with +svm) and the first TT hosts are AMD,
 * and TTOP_attach refuses a host without SVM.
 *
 * Every landmark writes one record (landmark_done()), at the end of the
 * exit, after Xen has handled it: its payload holds what the guest passed
 * in (captured by tt_exit_enter() before Xen touched the registers) and
 * what Xen answered.  In replay the same record is built
 * and handed to tt_replay_landmark() (replay.c), which checks it against
 * the log, puts the log's outside results into it and into the guest's
 * registers, and writes it into the replay log.
 */

#include <xen/guest_access.h>
#include <xen/hypercall.h>
#include <xen/domain_page.h>
#include <xen/param.h>
#include <xen/sched.h>
#include <xen/tt.h>

#include <asm/debugreg.h>
#include <asm/hvm/support.h>
#include <asm/p2m.h>
#include <asm/processor.h>

#include <public/hvm/hvm_op.h>
#include <public/memory.h>
#include <public/xen.h>
#include <public/sched.h>
#include <public/vcpu.h>

#include <xen/tt-private.h>

/*
 * Diagnostic (boot option tt_regtrace=N): a rolling hash of the guest's
 * registers at every landmark, printed every N landmarks, so that the
 * console of a recording and of its replay show where their register
 * states first part, long before a landmark's check fails.
 */
static unsigned int __read_mostly opt_tt_regtrace;
integer_param("tt_regtrace", opt_tt_regtrace);

/*
 * Diagnostic (boot option tt_memhash=L): at landmark L, a hash of the
 * guest's RAM per MiB, printed, so that the consoles of a recording and
 * of its replay show which memory differs.
 */
static unsigned long __read_mostly opt_tt_memhash;
integer_param("tt_memhash", opt_tt_memhash);

/*
 * Diagnostic (boot option tt_evtrace=N): the guest's event state (2-level
 * pending and mask words 0, its vCPU's selector and upcall flag, the
 * vLAPIC's IRR/ISR bit of the upcall vector, RFLAGS.IF, the count) at
 * each landmark where an interrupt was delivered and the N after it.
 */
static unsigned int __read_mostly opt_tt_evtrace;
integer_param("tt_evtrace", opt_tt_evtrace);
/* With tt_evtrace_mem, also a hash per MiB of the guest's RAM. */
static bool __read_mostly opt_tt_evtrace_mem;
boolean_param("tt_evtrace_mem", opt_tt_evtrace_mem);
/* ... and from landmark tt_evtrace_from on, every exit between landmarks. */
static unsigned long __read_mostly opt_tt_evtrace_from;
integer_param("tt_evtrace_from", opt_tt_evtrace_from);

/*
 * Diagnostic (boot option tt_steptrace=L, or at run time: xl
 * set-parameters tt_steptrace=L): single-step the guest from the end of
 * landmark L's exit to the next landmark (at most 50 000 steps),
 * printing every instruction's RIP and registers, in record and replay
 * alike.  The guest can see the trap flag (PUSHF): for finding where a
 * replay's path leaves the recording's, never for normal use.
 */
static unsigned int __read_mostly opt_tt_steptrace;
integer_runtime_param("tt_steptrace", opt_tt_steptrace);

static void tt_steptrace_landmark(struct tt_domain *t,
                                  struct cpu_user_regs *regs)
{
    if ( t->steptrace_left )
    {
        printk(XENLOG_ERR "tt: %pd: steptrace ends at lm %"PRIu64" rip %#"
               PRIx64"\n", t->d, t->landmarks, t->pos.rip);
        t->steptrace_left = 0;
        regs->rflags &= ~X86_EFLAGS_TF;
    }
    if ( t->landmarks == opt_tt_steptrace )
    {
        t->steptrace_left = 50000;
        regs->rflags |= X86_EFLAGS_TF;
    }
}

bool tt_steptrace_trap(struct tt_domain *t, struct vcpu *v,
                       struct cpu_user_regs *regs)
{
    uint64_t dr6 = arch_tt_get_dr(v, 6);

    if ( !opt_tt_steptrace || !(dr6 & DR_STEP) )
        return false;

    arch_tt_set_dr(v, 6, dr6 & ~DR_STEP);
    /* Ours, not the guest's: no landmark. */
    t->exit_is_xens = true;
    if ( !t->steptrace_left )
    {
        /* A trap flag the guest saved while it was stepped. */
        regs->rflags &= ~X86_EFLAGS_TF;
        return true;
    }
    printk(XENLOG_ERR "tt: %pd: step n %"PRIu64" rip %#"PRIx64" rax %#"
           PRIx64" rbx %#"PRIx64" rcx %#"PRIx64" rdx %#"PRIx64" rsi %#"
           PRIx64" rdi %#"PRIx64" rsp %#"PRIx64" fl %#"PRIx64"\n", t->d,
           t->count, regs->rip, regs->rax, regs->rbx, regs->rcx, regs->rdx,
           regs->rsi, regs->rdi, regs->rsp, regs->rflags);
    if ( !--t->steptrace_left )
        regs->rflags &= ~X86_EFLAGS_TF;

    return true;
}

void tt_evtrace_delivered(struct tt_domain *t)
{
    if ( opt_tt_evtrace )
        t->evtrace_left = opt_tt_evtrace + 1;
}

/* Fold guest frame g into the FNV-1a hash *h if it is RAM; true if so. */
static bool tt_hash_gfn(struct domain *d, unsigned long g, uint64_t *h)
{
    p2m_type_t p2mt;
    struct page_info *pg = get_page_from_gfn(d, g, &p2mt, P2M_ALLOC);
    const uint64_t *p;
    unsigned int i;
    bool ram;

    if ( !pg )
        return false;
    ram = p2m_is_ram(p2mt);
    if ( ram )
    {
        p = __map_domain_page(pg);
        for ( i = 0; i < PAGE_SIZE / 8; i++ )
            *h = (*h ^ p[i]) * 0x100000001b3ULL;
        unmap_domain_page(p);
    }
    put_page(pg);

    return ram;
}

/* A 32-bit hash of the guest's RAM in MiB mib (0: no RAM there). */
static uint32_t tt_mib_hash(struct domain *d, unsigned long mib)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    unsigned long g;
    bool ram = false;

    for ( g = mib << 8; g < (mib + 1) << 8; g++ )
        ram |= tt_hash_gfn(d, g, &h);

    return ram ? (uint32_t)(h ^ (h >> 32)) | 1 : 0;
}

/*
 * The exits since the previous landmark, oldest first: the exit's reason,
 * where the guest was, the count there, what the entry before it injected
 * (EVENTINJ) with the guest's RFLAGS then, and the event it interrupted
 * (EXITINTINFO).
 */
static void tt_exhist_print(const struct tt_domain *t)
{
    unsigned int i, n = min_t(unsigned int, t->exhist_n,
                              ARRAY_SIZE(t->exhist));

    for ( i = t->exhist_n - n; i != t->exhist_n; i++ )
    {
        unsigned int j = i % ARRAY_SIZE(t->exhist);

        printk(XENLOG_ERR "tt: %pd: exhist lm %"PRIu64" #%u exit %#"PRIx64
               " rip %#"PRIx64" rcx %#"PRIx64" n %"PRIu64" inj %#"PRIx64
               " fl %#"PRIx64" intinfo %#"PRIx64" insn %08x\n",
               t->d, t->landmarks, t->exhist_n - i, t->exhist[j].reason,
               t->exhist[j].rip, t->exhist[j].rcx, t->exhist[j].count,
               t->exhist[j].inj, t->exhist[j].rflags, t->exhist[j].intinfo,
               t->exhist[j].insn);
    }
}

static void tt_evtrace(struct tt_domain *t, struct vcpu *v)
{
    const struct domain *d = v->domain;
    const struct vlapic *vl = vcpu_vlapic(v);
    unsigned int vec = v->arch.hvm.evtchn_upcall_vector;

    if ( !t->evtrace_left )
        return;
    t->evtrace_left--;
    printk(XENLOG_ERR "tt: %pd: evtrace lm %"PRIu64" n %"PRIu64" rip %#"
           PRIx64" pend %#lx mask %#lx sel %#lx up %u irr %d isr %d if %d"
           " regs %016"PRIx64"\n", d, t->landmarks, t->lm_pos.branches,
           t->pos.rip,
           (unsigned long)shared_info(d, evtchn_pending)[0],
           (unsigned long)shared_info(d, evtchn_mask)[0],
           (unsigned long)vcpu_info(v, evtchn_pending_sel),
           vcpu_info(v, evtchn_upcall_pending),
           vec ? vlapic_test_irq(vl, vec) : -1,
           vec ? !!vlapic_test_vector(vec, &vl->regs->data[APIC_ISR]) : -1,
           !!(guest_cpu_user_regs()->rflags & X86_EFLAGS_IF),
           t->entry.reghash);
    /* tt_evtrace_mem: the guest's RAM (the first 128 MiB), a hash per MiB. */
    if ( opt_tt_evtrace_mem )
    {
        unsigned long mib;
        uint32_t h[16];
        unsigned int i;

        for ( mib = 0; mib < 128; mib += 16 )
        {
            for ( i = 0; i < 16; i++ )
                h[i] = tt_mib_hash(v->domain, mib + i);
            printk(XENLOG_ERR "tt: %pd: evmem lm %"PRIu64" %3lu: %08x %08x "
                   "%08x %08x %08x %08x %08x %08x %08x %08x %08x %08x %08x "
                   "%08x %08x %08x\n", d, t->landmarks, mib, h[0], h[1],
                   h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10],
                   h[11], h[12], h[13], h[14], h[15]);
        }
    }
}

static void tt_memhash(struct tt_domain *t)
{
    struct domain *d = t->d;
    unsigned long gfn, end = domain_get_maximum_gpfn(d) + 1;

    for ( gfn = 0; gfn < end; gfn += 256 )
    {
        uint64_t h = 0xcbf29ce484222325ULL;
        unsigned long g;

        for ( g = gfn; g < gfn + 256 && g < end; g++ )
            tt_hash_gfn(d, g, &h);
        printk(XENLOG_ERR "tt: %pd: memhash lm %"PRIu64" MiB %lu %016"PRIx64"\n",
               d, t->landmarks, gfn >> 8, h);
    }
}

void tt_exit_enter(struct tt_domain *t, struct vcpu *v,
                   struct cpu_user_regs *regs, bool hypercall,
                   uint64_t event_inj)
{
    ASSERT(v == current);
    ASSERT(t == v->domain->tt);

    t->in_exit = true;
    t->in_hcall = hypercall;
    t->hcall_len = 0;
    tt_counter_exit(t, v);
    t->entry.rax = regs->rax;
    t->entry.rcx = regs->rcx;
    t->entry.rdx = regs->rdx;
    t->entry.rsi = regs->rsi;
    t->entry.rdi = regs->rdi;
    t->entry.r8 = regs->r8;
    t->entry.r9 = regs->r9;
    t->entry.r10 = regs->r10;
    t->entry.rip = regs->rip;
    /* Xen's re-delivery of an event this exit interrupted, if any. */
    t->entry.event_inj = event_inj;
    if ( unlikely(opt_tt_regtrace) )
    {
        const uint64_t *r = (const uint64_t *)regs;
        uint64_t h = regs->rflags & ~X86_EFLAGS_RF;
        unsigned int i;

        /* r15 .. rdi: the GPRs at the start of struct cpu_user_regs. */
        for ( i = 0; i < 15; i++ )
            h = (h ^ r[i]) * 0x100000001b3ULL;
        t->entry.reghash = (h ^ regs->rsp) * 0x100000001b3ULL;
    }
    t->mmio.size = 0;
    t->acc.n = 0;
    t->acc.bytes = 0;
}

void tt_note_access(struct vcpu *v, bool mmio, paddr_t addr,
                    unsigned int size, bool read, uint64_t value)
{
    struct tt_domain *t = v->domain->tt;

    /* Only the TT vCPU's own exits. */
    if ( v != current || !t || !t->in_exit || !size || size > 8 )
        return;

    if ( size < 8 )
        value &= (1ULL << (size * 8)) - 1;
    /* The first MMIO access of the exit makes it an MMIO landmark. */
    if ( mmio && !t->mmio.size )
    {
        t->mmio.gpa = addr;
        t->mmio.size = size;
        t->mmio.dir = read ? TT_IO_IN : TT_IO_OUT;
        t->mmio.value = value;
    }
    t->acc.n++;
    /* Little-endian: the access's own bytes. */
    if ( t->acc.bytes + size <= sizeof(t->acc.data) )
    {
        memcpy(t->acc.data + t->acc.bytes, &value, size);
        t->acc.bytes += size;
    }
}

/*
 * Diagnostic (TTOP_landmark_counts): the vCPU's running time since the
 * previous landmark, the longest such gap (and the landmark that ended
 * it), and their sum.  Running time includes Xen's handling of the vCPU's
 * exits, not the time it is paused or descheduled: it is how long an
 * interrupt held to a landmark can wait.
 */
static void tt_landmark_gap(struct tt_domain *t, const struct vcpu *v)
{
    uint64_t run = v->runstate.time[RUNSTATE_running], gap;

    if ( v->runstate.state == RUNSTATE_running )
        run += NOW() - v->runstate.state_entry_time;
    gap = run - t->lm_run_ns;
    t->lm_run_ns = run;
    t->lm_gap_sum_ns += gap;
    if ( gap > t->lm_gap_max_ns )
    {
        t->lm_gap_max_ns = gap;
        t->lm_gap_max_at = t->landmarks + 1;
    }
}

/* Count one landmark of type type at the current exit. */
static void tt_landmark(struct tt_domain *t, const struct tt_exit *x,
                        unsigned int type)
{
    ASSERT(type > TT_REC_PAD && type < TT_LM_KINDS);

    tt_landmark_gap(t, current);
    t->landmarks++;
    t->by_type[type]++;
    t->pos.landmark = t->landmarks;
    t->pos.rip = x->rip;             /* the exit's RIP (regs may be past it) */
    t->pos.rcx = t->entry.rcx;       /* as the guest left it (CPUID...) */
    /*
     * The landmark's own record has the count since the previous one;
     * what the log delivers at it (and t->pos) has 0, what follows
     * counts from here.
     */
    t->pos.branches = 0;
    t->lm_pos = t->pos;
    t->lm_pos.branches = t->count;
    t->count = 0;

}

/*
 * Hypercalls whose result depends on more than the guest's own execution
 * and Xen's deterministic handling of it (docs/design-record.md): time,
 * the host's memory, the host's build, outside input.  Their records
 * carry TT_RECF_OUTSIDE; replay takes their results from the log.
 */
static bool hypercall_is_outside(uint64_t nr, uint64_t a1)
{
    switch ( nr )
    {
    case __HYPERVISOR_xen_version:      /* the host's Xen build */
    case __HYPERVISOR_console_io:       /* the host's console input */
        return true;

    case __HYPERVISOR_memory_op:        /* the host's free memory */
        switch ( a1 & MEMOP_CMD_MASK )
        {
        case XENMEM_increase_reservation:
        case XENMEM_decrease_reservation:
        case XENMEM_populate_physmap:
        case XENMEM_exchange:
        case XENMEM_maximum_ram_page:
        case XENMEM_current_reservation:
        case XENMEM_maximum_reservation:
            return true;
        }
        return false;

    case __HYPERVISOR_hvm_op:           /* host time */
        return a1 == HVMOP_get_time;

    case __HYPERVISOR_vcpu_op:
        /*
         * Host time (set_singleshot_timer: -ETIME), the host's CPU.
         * Registering the runstate area writes the vCPU's runstate (the
         * host's time running and waiting) into it at once, not through
         * update_runstate_area() and its hold: Linux's steal clock starts
         * from those bytes, so replay must have the recording's.
         */
        return a1 == VCPUOP_get_runstate_info ||
               a1 == VCPUOP_register_runstate_memory_area ||
               a1 == VCPUOP_set_singleshot_timer || a1 == VCPUOP_get_physid;

    case __HYPERVISOR_sched_op:         /* a timeout races with events */
        return a1 == SCHEDOP_poll;

    case __HYPERVISOR_tt_op:            /* TT-io: the outside world */
        return a1 == TTOP_io_send || a1 == TTOP_io_recv;
    }

    return false;
}

/* The most entries of a batch looked at; a longer one counts as outside. */
#define TT_MULTICALL_MAX 64U

/*
 * A multicall is outside when one of its calls is: then its record
 * carries TT_RECF_OUTSIDE, what Xen writes into the guest's memory while
 * it runs (each call's result in its entry, and the outside calls' own
 * results) is logged as for any outside hypercall (hcmem_log()), and
 * replay takes those bytes from the log.  The entries are read from the
 * guest after the batch ran: Xen writes back only their results, so op
 * and args are what the guest passed.  A batch that cannot be read, or
 * is longer than TT_MULTICALL_MAX, counts as outside (logging too much
 * costs bytes, too little costs a silent divergence).  TT-io is refused
 * inside a batch (io.c).
 */
static bool multicall_is_outside(uint64_t list, uint64_t nr)
{
    XEN_GUEST_HANDLE_PARAM(multicall_entry_t) h =
        guest_handle_from_ptr((void *)(unsigned long)list, multicall_entry_t);
    multicall_entry_t e;
    unsigned int i;

    if ( nr > TT_MULTICALL_MAX )
        return true;
    for ( i = 0; i < nr; i++ )
    {
        if ( copy_from_guest_offset(&e, h, i, 1) )
            return true;
        if ( e.op == __HYPERVISOR_multicall ||
             hypercall_is_outside(e.op, e.args[0]) )
            return true;
    }

    return false;
}

/*
 * CPUID leaves whose values depend on the host: Xen's own leaves report
 * the host's TSC frequency and the domain's id (which the toolstack
 * picks).
 */
static bool cpuid_is_outside(uint32_t leaf)
{
    return (leaf & 0xffff0000U) == 0x40000000U;
}

/*
 * MSRs whose reads depend on time: the TSC, APERF/MPERF, the x2APIC
 * timer's current count.
 */
static bool msr_is_outside(uint32_t index)
{
    switch ( index )
    {
    case MSR_IA32_TSC:
    case MSR_IA32_APERF:
    case MSR_IA32_MPERF:
    case 0x839: /* x2APIC TMCCT */
        return true;
    }
    return false;
}

/* The record of the landmark just counted, of type type, into *lr. */
static void build_landmark(struct tt_domain *t, struct vcpu *v,
                           const struct tt_exit *x,
                           const struct cpu_user_regs *regs,
                           unsigned int type, bool cont, struct tt_lmrec *lr)
{
    unsigned int len = 0, flags = 0;
    const void *data = NULL;
    unsigned int dlen = 0;

    memset(lr, 0, sizeof(*lr));

    switch ( type )
    {
    case TT_REC_HYPERCALL:
        /* A completed continuation: the arguments of its first exit. */
        lr->p.hcall.nr = cont ? t->cont_args[0] : t->entry.rax;
        lr->p.hcall.args[0] = cont ? t->cont_args[1] : t->entry.rdi;
        lr->p.hcall.args[1] = cont ? t->cont_args[2] : t->entry.rsi;
        lr->p.hcall.args[2] = cont ? t->cont_args[3] : t->entry.rdx;
        lr->p.hcall.args[3] = cont ? t->cont_args[4] : t->entry.r10;
        lr->p.hcall.args[4] = cont ? t->cont_args[5] : t->entry.r8;
        lr->p.hcall.args[5] = cont ? t->cont_args[6] : t->entry.r9;
        lr->p.hcall.ret = (int64_t)regs->rax;
        if ( lr->p.hcall.nr == __HYPERVISOR_multicall
             ? multicall_is_outside(lr->p.hcall.args[0], lr->p.hcall.args[1])
             : hypercall_is_outside(lr->p.hcall.nr, lr->p.hcall.args[0]) )
            flags |= TT_RECF_OUTSIDE;
        len = sizeof(lr->p.hcall);
        data = t->hcall_buf;
        dlen = t->hcall_len;
        break;

    case TT_REC_CPUID:
        lr->p.cpuid.leaf = t->entry.rax;
        lr->p.cpuid.subleaf = t->entry.rcx;
        lr->p.cpuid.eax = regs->eax;
        lr->p.cpuid.ebx = regs->ebx;
        lr->p.cpuid.ecx = regs->ecx;
        lr->p.cpuid.edx = regs->edx;
        if ( cpuid_is_outside(lr->p.cpuid.leaf) )
            flags |= TT_RECF_OUTSIDE;
        len = sizeof(lr->p.cpuid);
        break;

    case TT_REC_RDTSCP:
        lr->p.tsc.aux = regs->ecx;
        /* fallthrough */
    case TT_REC_RDTSC:
        /* The emulated TSC counts host time. */
        lr->p.tsc.tsc = ((uint64_t)regs->edx << 32) | regs->eax;
        flags |= TT_RECF_OUTSIDE;
        len = sizeof(lr->p.tsc);
        break;

    case TT_REC_MSR_READ:
    case TT_REC_MSR_WRITE:
        lr->p.msr.index = t->entry.rcx;
        lr->p.msr.value = type == TT_REC_MSR_READ
            ? ((uint64_t)regs->edx << 32) | regs->eax
            : ((t->entry.rdx & 0xffffffffUL) << 32) |
              (t->entry.rax & 0xffffffffUL);
        if ( type == TT_REC_MSR_READ && msr_is_outside(lr->p.msr.index) )
            flags |= TT_RECF_OUTSIDE;
        len = sizeof(lr->p.msr);
        break;

    case TT_REC_IO:
    {
        uint64_t mask = (1UL << (x->io.size * 8)) - 1;

        lr->p.io.port = x->io.port;
        lr->p.io.size = x->io.size;
        lr->p.io.dir = x->io.in ? TT_IO_IN : TT_IO_OUT;
        lr->p.io.count = 1;
        if ( !x->io.str )
            lr->p.io.value = (x->io.in ? regs->rax : t->entry.rax) & mask;
        else
        {
            /* The elements this exit moved (tt_note_access()), and their bytes. */
            lr->p.io.count = t->acc.n;
            data = t->acc.data;
            dlen = t->acc.bytes;
        }
        len = sizeof(lr->p.io);
        break;
    }

    case TT_REC_MMIO:
        /* The first access that Xen emulated in this exit. */
        lr->p.mmio.gpa = t->mmio.gpa;
        lr->p.mmio.size = t->mmio.size;
        lr->p.mmio.dir = t->mmio.dir;
        lr->p.mmio.value = t->mmio.value;
        lr->p.mmio.count = t->acc.n;
        /* More than one access: the bytes of all of them. */
        if ( t->acc.n > 1 )
        {
            data = t->acc.data;
            dlen = t->acc.bytes;
        }
        /* The xAPIC timer's current count: time. */
        if ( lr->p.mmio.dir == TT_IO_IN &&
             arch_tt_mmio_is_time(v, lr->p.mmio.gpa) )
            flags |= TT_RECF_OUTSIDE;
        len = sizeof(lr->p.mmio);
        break;

    case TT_REC_EXCEPTION:
        lr->p.exc.vector = x->exc.vector;
        lr->p.exc.error_code = x->exc.error_code;
        lr->p.exc.cr2 = x->exc.cr2;
        len = sizeof(lr->p.exc);
        break;

    case TT_REC_HLT:
    case TT_REC_PAUSE:
        break;
    }

    lr->type = type;
    lr->flags = flags;
    lr->len = len;
    lr->data = data;
    lr->dlen = dlen;
}

void tt_note_guest_write(struct vcpu *v, paddr_t gpa, const void *p,
                         unsigned int len)
{
    struct tt_domain *t = v->domain->tt;
    unsigned int n;

    /* The TT vCPU's own hypercalls, while recording. */
    if ( v != current || !t || t->mode != TT_MODE_RECORD || !t->in_exit ||
         !t->in_hcall || !len )
        return;

    n = t->hcmem_n;
    if ( t->hcmem_used + len > TT_HCMEM_MAX )
        t->hcmem_lost = true;
    else if ( n && t->hcmem[n - 1].gpa + t->hcmem[n - 1].len == gpa )
        t->hcmem[n - 1].len += len;     /* the next bytes of the same copy */
    else if ( n < TT_HCMEM_SPANS )
    {
        t->hcmem[n].gpa = gpa;
        t->hcmem[n].off = t->hcmem_used;
        t->hcmem[n].len = len;
        t->hcmem_n++;
    }
    else
        t->hcmem_lost = true;

    if ( !t->hcmem_lost )
    {
        memcpy(t->hcmem_buf + t->hcmem_used, p, len);
        t->hcmem_used += len;
    }
}

/*
 * A hypercall completed (its landmark record is out): if its results are
 * the outside world's, the bytes Xen wrote into the guest's memory for it
 * follow as TT_MEM_HYPERCALL records, which replay writes over what its
 * own execution wrote.  More than TT_HCMEM_* is logged as TT_MEM_LOST:
 * replay stops there rather than run on with other memory.  What a
 * preempted hypercall wrote before it completes is kept until it does.
 */
static void hcmem_log(struct tt_domain *t, bool outside)
{
    unsigned int i;

    for ( i = 0; outside && i < t->hcmem_n; i++ )
        tt_record(t, TT_REC_MEMORY, 0, &t->pos,
                  &(struct xen_tt_rec_memory){ .gpa = t->hcmem[i].gpa,
                                               .kind = TT_MEM_HYPERCALL,
                                               .len = t->hcmem[i].len },
                  sizeof(struct xen_tt_rec_memory),
                  t->hcmem_buf + t->hcmem[i].off, t->hcmem[i].len);
    if ( outside && t->hcmem_lost )
        tt_record(t, TT_REC_MEMORY, 0, &t->pos,
                  &(struct xen_tt_rec_memory){ .kind = TT_MEM_LOST },
                  sizeof(struct xen_tt_rec_memory), NULL, 0);
    t->hcmem_n = 0;
    t->hcmem_used = 0;
    t->hcmem_lost = false;
}

/* A landmark of type type at this exit: count it, record or replay it. */
static void landmark_done(struct tt_domain *t, struct vcpu *v,
                          const struct tt_exit *x, unsigned int type,
                          bool cont)
{
    struct cpu_user_regs *regs = guest_cpu_user_regs();
    struct tt_lmrec lr;

    tt_landmark(t, x, type);
    build_landmark(t, v, x, regs, type, cont, &lr);
    if ( unlikely(opt_tt_memhash) && t->landmarks == opt_tt_memhash )
        tt_memhash(t);

    /*
     * tt_regtrace: a continuation's entry registers are Xen's own
     * bookkeeping, which differs with preemption: its first exit's count.
     */
    if ( unlikely(opt_tt_regtrace) )
    {
        t->regtrace = (t->regtrace ^
                       (cont ? t->cont_reghash : t->entry.reghash)) *
                      0x100000001b3ULL;
        if ( !(t->landmarks % opt_tt_regtrace) )
            printk(XENLOG_ERR "tt: %pd: regtrace lm %"PRIu64" %016"PRIx64
                   " rip %#"PRIx64"\n", t->d, t->landmarks, t->regtrace,
                   t->pos.rip);
    }

    if ( t->mode == TT_MODE_REPLAY )
        tt_replay_landmark(t, v, regs, &lr);
    else
    {
        tt_record(t, lr.type, lr.flags, &t->lm_pos, &lr.p, lr.len, lr.data,
                  lr.dlen);
        if ( type == TT_REC_HYPERCALL )
            hcmem_log(t, lr.flags & TT_RECF_OUTSIDE &&
                         lr.p.hcall.nr != __HYPERVISOR_tt_op);
        /*
         * What follows in this exit (held items applied, a runstate or
         * pvclock write among them) is not the hypercall's result: those
         * log their own records.
         */
        t->in_hcall = false;
        /* What was held for this landmark is applied, after its record. */
        tt_hold_exit(t, v, true);
    }
    if ( unlikely(opt_tt_evtrace) )
        tt_evtrace(t, v);
    /*
     * The exits since the previous landmark (this one last): at a
     * divergence, and with tt_evtrace after a long stretch or from
     * tt_evtrace_from on.
     */
    if ( t->rp.diverged ||
         (unlikely(opt_tt_evtrace) &&
          (t->lm_pos.branches > 50000 ||
           (opt_tt_evtrace_from && t->landmarks >= opt_tt_evtrace_from &&
            t->exhist_n > 1))) )
        tt_exhist_print(t);
    t->exhist_n = 0;
    if ( unlikely(opt_tt_steptrace) )
        tt_steptrace_landmark(t, regs);
}

void tt_exit(struct tt_domain *t, struct vcpu *v, const struct tt_exit *x)
{
    unsigned int type = x->type;

    ASSERT(v == current);
    ASSERT(t == v->domain->tt);

    t->exits++;
    ASSERT(t->in_exit);

    /* A few stores per exit: kept always, for a divergence's report. */
    {
        unsigned int i = t->exhist_n++ % ARRAY_SIZE(t->exhist);

        t->exhist[i].reason = x->reason;
        t->exhist[i].rip = t->entry.rip;
        t->exhist[i].rcx = t->entry.rcx;
        t->exhist[i].count = t->count;
        t->exhist[i].inj = t->vmenter_inj;
        t->exhist[i].rflags = t->vmenter_rflags;
        t->exhist[i].intinfo = x->intinfo;
        t->exhist[i].insn = 0;
        if ( unlikely(opt_tt_evtrace) && opt_tt_evtrace_from &&
             t->landmarks + 1 >= opt_tt_evtrace_from )
            hvm_copy_from_guest_linear(&t->exhist[i].insn, t->entry.rip, 4,
                                       hvm_get_cpl(v) == 3
                                       ? PFEC_insn_fetch | PFEC_user_mode
                                       : PFEC_insn_fetch, NULL);
    }

    if ( t->exit_is_xens )
    {
        /*
         * A #DB of Xen's own (replay's breakpoint, a shadow step, a stray
         * emulator breakpoint, tt_steptrace): the host's, not a landmark.
         */
        t->exit_is_xens = false;
        t->other++;
        goto done;
    }

    if ( type == TT_REC_HYPERCALL )
    {
        /*
         * A hypercall that Xen preempts leaves RIP on its VMMCALL, with
         * the registers of its continuation, and the guest executes it
         * again (perhaps after an interrupt whose handler makes hypercalls
         * of its own from the same VMMCALL: Linux has one for all).  How
         * often Xen preempts depends on the host, so a preempted exit is
         * no landmark and releases nothing: the hypercall is one landmark,
         * counted when it completes, with its first exit's arguments and
         * its final result.  Its continuation is told apart from another
         * hypercall by RIP and RSP (an interrupt handler runs on another
         * stack).  hcall_preempted was set by this very exit's
         * hvm_hypercall().
         */
        const struct cpu_user_regs *regs = guest_cpu_user_regs();
        bool cont = t->hcall_cont && t->cont_rip == x->rip &&
                    t->cont_rsp == regs->rsp;

        if ( cont )
            t->continuations++;
        if ( v->hcall_preempted )
        {
            if ( !cont )
            {
                t->cont_args[0] = t->entry.rax;
                t->cont_args[1] = t->entry.rdi;
                t->cont_args[2] = t->entry.rsi;
                t->cont_args[3] = t->entry.rdx;
                t->cont_args[4] = t->entry.r10;
                t->cont_args[5] = t->entry.r8;
                t->cont_args[6] = t->entry.r9;
                t->cont_reghash = t->entry.reghash;
            }
            t->hcall_cont = true;
            t->cont_rip = x->rip;
            t->cont_rsp = regs->rsp;
            t->other++;
            goto done;
        }
        t->hcall_cont = false;
        if ( cont )
        {
            /*
             * The continuations left Xen's bookkeeping (start extents
             * and the like) in the argument registers, which an
             * unpreempted call leaves alone.  They are the guest's to
             * clobber, so it gets its own arguments back: its registers
             * after the call do not depend on how often Xen preempted.
             */
            struct cpu_user_regs *r = guest_cpu_user_regs();

            r->rdi = t->cont_args[1];
            r->rsi = t->cont_args[2];
            r->rdx = t->cont_args[3];
            r->r10 = t->cont_args[4];
            r->r8 = t->cont_args[5];
            r->r9 = t->cont_args[6];
        }
        landmark_done(t, v, x, type, cont);
        goto done;
    }

    if ( type == TT_REC_PAD )
    {
        t->other++;
        /*
         * An instruction that Xen completed for the guest at an exit that
         * is no landmark (MOV to or from CR0 while Xen intercepts it, a
         * page-table write the shadow code emulated) is one instruction
         * of the guest's: the counter did not see it run, and whether it
         * exits at all depends on the host (lazy FPU, the shadow cache).
         * For the branch counter it is nothing: those are no branches,
         * which the CPU would not have counted either (a CALL whose push
         * the shadow code emulates would be one: docs/design-replay.md).
         */
        if ( t->counter == TT_COUNTER_ICOUNT &&
             guest_cpu_user_regs()->rip != t->entry.rip )
        {
            t->count++;
            if ( unlikely(opt_tt_evtrace) )
                printk(XENLOG_ERR "tt: %pd: exittrace lm %"PRIu64" n %"PRIu64
                       " exit %#"PRIx64" rip %#"PRIx64" -> %#lx\n", t->d,
                       t->landmarks, t->count, x->reason, t->entry.rip,
                       guest_cpu_user_regs()->rip);
        }
    }
    else
        landmark_done(t, v, x, type, false);

 done:
    /* Deferred records, END after a shutdown, the headroom rule. */
    tt_exit_done(t);
    if ( t->mode == TT_MODE_REPLAY )
        tt_replay_exit_done(t, v);
}

/*
 * Local variables:
 * mode: C
 * c-file-style: "BSD"
 * c-basic-offset: 4
 * indent-tabs-mode: nil
 * End:
 */
