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
 * Only SVM is classified: the lab (QEMU with +svm) and the first TT hosts
 * are AMD.  VMX has no hook yet, and TTOP_attach refuses a host without
 * SVM.
 *
 * Recording (a record per landmark) and replay (the check against the
 * log) will be called from tt_landmark() below, the one place where a
 * landmark becomes a position.
 */

#include <xen/sched.h>
#include <xen/tt.h>

#include <asm/hvm/svm/vmcb.h>
#include <asm/p2m.h>
#include <asm/processor.h>

#include "private.h"

/*
 * The landmark type (TT_REC_*) of an SVM exit that Xen has just handled,
 * or TT_REC_PAD (0) if the exit is not a landmark.  VMMCALL is handled by
 * the caller (continuations).
 */
static unsigned int svm_landmark_type(struct vcpu *v,
                                      const struct vmcb_struct *vmcb,
                                      uint64_t exit_reason)
{
    p2m_type_t p2mt;

    switch ( exit_reason )
    {
    case VMEXIT_CPUID:
        return TT_REC_CPUID;

    case VMEXIT_RDTSC:
        return TT_REC_RDTSC;

    case VMEXIT_RDTSCP:
        return TT_REC_RDTSCP;

    case VMEXIT_MSR:
        /* exitinfo1: 0 RDMSR, 1 WRMSR. */
        return vmcb->exitinfo1 ? TT_REC_MSR_WRITE : TT_REC_MSR_READ;

    case VMEXIT_HLT:
        return TT_REC_HLT;

    case VMEXIT_PAUSE:
        /* Intercepted on every execution (pause filter count 0). */
        return TT_REC_PAUSE;

    case VMEXIT_IOIO:
        return TT_REC_IO;

    case VMEXIT_NPF:
        /*
         * A nested page fault on a frame that is not RAM is an access Xen
         * emulates (the vLAPIC page, an MMIO range): the guest's own.  A
         * fault on RAM is p2m bookkeeping (populate on demand, log-dirty,
         * paging, sharing) and depends on the host.
         */
        get_gfn_query_unlocked(v->domain, vmcb->exitinfo2 >> PAGE_SHIFT,
                               &p2mt);
        return p2m_is_ram(p2mt) ? TT_REC_PAD : TT_REC_MMIO;

    case VMEXIT_EXCEPTION_PF:
        /*
         * Shadow paging only (HAP does not intercept #PF).  A fault that
         * Xen passes on to the guest is caused by the guest's own page
         * tables; one that Xen fixed (a shadow fill, an emulated
         * page-table write) depends on the shadow cache.  Known gap: an
         * MMIO access that the shadow code emulates inside the fault is
         * not counted yet.
         */
        return vmcb->event_inj.v &&
               vmcb->event_inj.type == X86_EVENTTYPE_HW_EXCEPTION &&
               vmcb->event_inj.vector == TRAP_page_fault
               ? TT_REC_EXCEPTION : TT_REC_PAD;

    case VMEXIT_EXCEPTION_NM: /* lazy FPU switching: host state */
    case VMEXIT_EXCEPTION_MC: /* machine check: the host's hardware */
        return TT_REC_PAD;

    default:
        if ( exit_reason >= VMEXIT_EXCEPTION_DE &&
             exit_reason <= VMEXIT_EXCEPTION_XF )
            /* #UD, #GP, #AC, #DB, #BP ...: raised by a guest instruction. */
            return TT_REC_EXCEPTION;
        /*
         * INTR, NMI, SMI, VINTR (interrupt window), IRET (NMI window),
         * CR/DR accesses (their intercepts follow lazy FPU and debug
         * register state), INVLPG, XSETBV, task switches, SHUTDOWN and
         * the nested-virtualization exits.
         */
        return TT_REC_PAD;
    }
}

/* Count one landmark of type type at the current exit. */
static void tt_landmark(struct tt_domain *t, const struct vmcb_struct *vmcb,
                        const struct cpu_user_regs *regs, unsigned int type)
{
    ASSERT(type > TT_REC_PAD && type < TT_LM_KINDS);

    t->landmarks++;
    t->by_type[type]++;
    t->pos.landmark = t->landmarks;
    t->pos.rip = vmcb->rip;          /* the exit's RIP (regs may be past it) */
    t->pos.rcx = regs->rcx;
    t->pos.branches = 0;
}

void tt_svm_vmexit(struct vcpu *v, uint64_t exit_reason)
{
    struct tt_domain *t = v->domain->tt;
    const struct vmcb_struct *vmcb = v->arch.hvm.svm.vmcb;
    unsigned int type;

    ASSERT(v == current);
    ASSERT(t);

    t->exits++;

    if ( exit_reason == VMEXIT_VMMCALL )
    {
        /*
         * A preempted hypercall leaves RIP on its VMMCALL, which the guest
         * executes again (perhaps after an interrupt): how often depends
         * on the host, so the re-executions belong to the first one's
         * landmark.  hcall_preempted was set by this very exit's
         * hvm_hypercall().
         */
        bool cont = t->hcall_preempted && t->hcall_rip == vmcb->rip;

        t->hcall_preempted = v->hcall_preempted;
        t->hcall_rip = vmcb->rip;
        if ( cont )
        {
            t->continuations++;
            return;
        }
        type = TT_REC_HYPERCALL;
    }
    else
        type = svm_landmark_type(v, vmcb, exit_reason);

    if ( type == TT_REC_PAD )
        t->other++;
    else
        tt_landmark(t, vmcb, guest_cpu_user_regs(), type);
}

/*
 * Local variables:
 * mode: C
 * c-file-style: "BSD"
 * c-basic-offset: 4
 * indent-tabs-mode: nil
 * End:
 */
