/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * arch/x86/hvm/svm/tt.c
 *
 * The SVM side of time travel: everything that reads or writes a TT
 * vCPU's VMCB, as arch/x86/vm_event.c is vm_event's x86 side.  svm.c calls
 * the hooks of xen/tt.h from its exit and entry paths; they read the VMCB
 * and hand the mechanism in common/tt/ what it needs in arch-neutral form:
 *
 *  - attach (arch_tt_attach_vcpu()): every PAUSE, I/O port and RDPMC
 *    exits, the FPU state is loaded eagerly;
 *  - every exit (tt_svm_vmexit_enter() before Xen handles it,
 *    tt_svm_vmexit() after): which exits are landmarks (the table below,
 *    docs/design-record.md has the reasons), the exit's RIP, its I/O port
 *    or exception, in struct tt_exit for common/tt/landmark.c;
 *  - every entry (tt_svm_vmenter()): replay's breakpoint around VMRUN;
 *  - every #DB exit (tt_svm_debug_trap()): Xen's own traps, never the
 *    guest's;
 *  - the counter (arch_tt_run_ticks()): the TSC read around VMRUN by
 *    svm/entry.S; the guest's debug registers (arch_tt_get_dr()).
 *
 * Where QEMU's emulated SVM departs from an AMD CPU is tt-emulator.c.
 * Everything here runs on the TT vCPU, or at attach while it is paused.
 */

#include <xen/lib.h>
#include <xen/sched.h>
#include <xen/tt.h>

#include <asm/debugreg.h>
#include <asm/hvm/hvm.h>
#include <asm/hvm/svm/svm.h>
#include <asm/hvm/svm/vmcb.h>
#include <asm/tt.h>

#include <xen/tt-private.h>

/*
 * The I/O permission map of time-travel domains: every port exits.  The
 * map all HVM guests share lets the PC debug ports 0x80 and 0xed through
 * to the host's hardware, whose answer no replay can know.
 */
static unsigned long __section(".bss.page_aligned") __aligned(PAGE_SIZE)
    svm_tt_io_bitmap[IOPM_SIZE / BYTES_PER_LONG];

void arch_tt_attach_vcpu(struct vcpu *v)
{
    struct domain *d = v->domain;
    struct vmcb_struct *vmcb = v->arch.hvm.svm.vmcb;

    ASSERT(v != current);
    ASSERT(!v->fpu_dirtied);

    /*
     * Every PAUSE exits, not only the ones that the pause filter lets
     * through after a timing-dependent spin: each one is a landmark.  A
     * filter count of 0 lets none through without an exit.
     */
    vmcb_set_pause_filter_count(vmcb, 0);
    vmcb->_pause_filter_thresh = 0;

    /*
     * No host state without an exit: every I/O port exits, and RDPMC
     * (svm_vmexit_handler() answers it with #GP: a time-travel domain has
     * no performance counters).  The domain keeps the map and the
     * intercepts after the recording ends.  The map is idempotent: every
     * caller writes the same one.
     */
    memset(svm_tt_io_bitmap, ~0, sizeof(svm_tt_io_bitmap));
    d->arch.hvm.io_bitmap = svm_tt_io_bitmap;
    vmcb_set_iopm_base_pa(vmcb, __pa(svm_tt_io_bitmap));
    vmcb_set_general1_intercepts(vmcb, vmcb_get_general1_intercepts(vmcb) |
                                       GENERAL1_INTERCEPT_PAUSE |
                                       GENERAL1_INTERCEPT_RDPMC);

    /*
     * v's FPU state is loaded whenever v runs, as Xen does for every vCPU
     * where eager FPU is the default.  With lazy switching the guest's
     * first FPU instruction after another vCPU ran on the same CPU takes a
     * #NM exit and runs again: an exit that depends on the host's
     * scheduling, in the middle of the guest's own instructions (and under
     * QEMU's -icount, an instruction counted twice).  v has not run yet,
     * so no lazily saved state exists.
     */
    v->arch.fully_eager_fpu = true;
    vmcb_set_exception_intercepts(
        vmcb, vmcb_get_exception_intercepts(vmcb) & ~(1U << TRAP_no_device));
    /* The hardware CR0 without the TS that lazy switching set. */
    hvm_update_guest_cr(v, 0);
}

uint64_t arch_tt_run_ticks(const struct vcpu *v)
{
    const struct svm_vcpu *svm = &v->arch.hvm.svm;

    return svm->tt_vmexit_tsc - svm->tt_vmrun_tsc;
}

uint64_t arch_tt_get_dr(struct vcpu *v, unsigned int reg)
{
    const struct vmcb_struct *vmcb = v->arch.hvm.svm.vmcb;

    switch ( reg )
    {
    case 0:
        /* Switched lazily: in the CPU while the guest's are loaded. */
        return v->arch.hvm.flag_dr_dirty ? read_debugreg(0) : v->arch.dr[0];
    case 6:
        return vmcb_get_dr6(vmcb);
    case 7:
        return vmcb_get_dr7(vmcb);
    }

    ASSERT_UNREACHABLE();
    return 0;
}

void arch_tt_set_dr(struct vcpu *v, unsigned int reg, uint64_t val)
{
    struct vmcb_struct *vmcb = v->arch.hvm.svm.vmcb;

    switch ( reg )
    {
    case 0:
        if ( v->arch.hvm.flag_dr_dirty )
            write_debugreg(0, val);
        v->arch.dr[0] = val;
        return;
    case 6:
        vmcb_set_dr6(vmcb, val);
        return;
    case 7:
        vmcb_set_dr7(vmcb, val);
        return;
    }

    ASSERT_UNREACHABLE();
}

void tt_svm_vmexit_enter(struct vcpu *v, struct cpu_user_regs *regs)
{
    struct tt_domain *t = v->domain->tt;
    const struct vmcb_struct *vmcb = v->arch.hvm.svm.vmcb;

    ASSERT(v == current);
    ASSERT(t);

    tt_emu_vmexit(t, v, regs);
    tt_exit_enter(t, v, regs, vmcb->exitcode == VMEXIT_VMMCALL,
                  vmcb->event_inj.raw);

    /* Replay: the breakpoint that places an interrupt is the host's. */
    if ( t->rp.host_dr7_set )
    {
        t->rp.host_dr7_set = false;
        write_debugreg(7, t->rp.host_dr7);
    }
}

/*
 * The landmark type (TT_REC_*) of an SVM exit that Xen has just handled:
 * TT_REC_HYPERCALL for VMMCALL (landmark.c tells a preempted one), or
 * TT_REC_PAD (0) if the exit is not a landmark.
 */
static unsigned int svm_landmark_type(const struct tt_domain *t,
                                      const struct vmcb_struct *vmcb,
                                      uint64_t exit_reason)
{
    switch ( exit_reason )
    {
    case VMEXIT_VMMCALL:
        return TT_REC_HYPERCALL;

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
         * A nested page fault is the guest's own landmark when Xen
         * completed an emulated access for it (the vLAPIC page, an MMIO
         * range: tt_note_access() saw it).  A fault on RAM is p2m
         * bookkeeping (populate on demand, log-dirty, paging, sharing), and
         * an emulation that Xen retried completes at a later exit: both
         * depend on the host and are not counted.
         */
        return t->mmio.size ? TT_REC_MMIO : TT_REC_PAD;

    case VMEXIT_EXCEPTION_PF:
        /*
         * Shadow paging only (HAP does not intercept #PF).  An MMIO access
         * that the shadow code emulated inside the fault is the guest's
         * own, as is a fault that Xen passes on to the guest (caused by
         * the guest's own page tables); one that Xen fixed (a shadow fill,
         * an emulated page-table write) depends on the shadow cache.
         */
        if ( t->mmio.size )
            return TT_REC_MMIO;
        /*
         * event_inj also holds Xen's re-delivery of an event that this
         * exit interrupted (a shadow miss during the guest's own #PF
         * delivery): only a #PF that Xen injected in this exit counts.
         */
        return vmcb->event_inj.v &&
               vmcb->event_inj.type == X86_EVENTTYPE_HW_EXCEPTION &&
               vmcb->event_inj.vector == TRAP_page_fault &&
               vmcb->event_inj.raw != t->entry.event_inj
               ? TT_REC_EXCEPTION : TT_REC_PAD;

    case VMEXIT_RDPMC:
        /* Intercepted for TT domains and answered with #GP (svm.c). */
        return TT_REC_EXCEPTION;

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

void tt_svm_vmexit(struct vcpu *v, uint64_t exit_reason)
{
    struct tt_domain *t = v->domain->tt;
    const struct vmcb_struct *vmcb = v->arch.hvm.svm.vmcb;
    struct tt_exit x = {
        .reason = exit_reason,
        .rip = vmcb->rip,
        .intinfo = vmcb->exit_int_info.raw,
    };

    ASSERT(v == current);
    ASSERT(t);

    x.type = svm_landmark_type(t, vmcb, exit_reason);
    switch ( x.type )
    {
    case TT_REC_IO:
    {
        ioio_info_t info = { .bytes = vmcb->exitinfo1 };

        x.io.port = info.fields.port;
        x.io.size = info.fields.sz32 ? 4 : info.fields.sz16 ? 2 : 1;
        x.io.in = info.fields.type;
        x.io.str = info.fields.str;
        break;
    }

    case TT_REC_EXCEPTION:
        if ( exit_reason == VMEXIT_RDPMC )
        {
            /* The #GP that Xen raised for the guest's RDPMC. */
            x.exc.vector = TRAP_gp_fault;
            break;
        }
        x.exc.vector = exit_reason - VMEXIT_EXCEPTION_DE;
        if ( (1U << x.exc.vector) & TRAP_HAVE_EC )
            x.exc.error_code = vmcb->exitinfo1;
        if ( x.exc.vector == TRAP_page_fault )
            x.exc.cr2 = vmcb->exitinfo2;
        break;
    }

    tt_exit(t, v, &x);
}

void tt_svm_vmenter(struct vcpu *v)
{
    struct tt_domain *t = v->domain->tt;
    const struct vmcb_struct *vmcb = v->arch.hvm.svm.vmcb;

    ASSERT(v == current);
    ASSERT(!local_irq_is_enabled());

    if ( !t )
        return;

    tt_emu_vmenter(t, v);

    /* For the exit history (landmark.c): what this entry delivers. */
    t->vmenter_inj = vmcb->event_inj.raw;
    t->vmenter_rflags = vmcb->rflags;

    /* The hardware counter is the guest's for this VMRUN (cpu/tt-pmu.c). */
    if ( t->counter == TT_COUNTER_BRANCHES )
        tt_pmu_vmenter(t);

    if ( !t->rp.armed || t->rp.far )
        return;

    /*
     * DR0 is not switched by VMRUN: it is the guest's while it runs.  The
     * host's DR7 enables it too, for QEMU's emulated SVM (7.2 and older),
     * which inserts a breakpoint only when the host writes DR7 and does not
     * when VMRUN loads the guest's; on hardware the guest's DR7 in the
     * VMCB is what counts.  Xen executes nothing at a guest address
     * between here and the exit, which puts DR7 back
     * (tt_svm_vmexit_enter()).
     */
    t->rp.host_dr7 = read_debugreg(7);
    if ( unlikely(t->rp.host_dr7 & (3U << DR_LOCAL_ENABLE_SHIFT)) )
    {
        /*
         * Breakpoint 0 is on in the host's DR7 already: an entry whose exit
         * did not put DR7 back.  QEMU would keep that breakpoint for good
         * (it inserts and removes its own on DR7 writes that change the
         * enable bits): take it off before setting it again.
         */
        t->rp.dr7_leaks++;
        t->rp.host_dr7 &= ~(3UL << DR_LOCAL_ENABLE_SHIFT);
        write_debugreg(7, t->rp.host_dr7);
    }
    write_debugreg(0, t->rp.bp_rip);
    write_debugreg(7, TT_BP_DR7);
    t->rp.host_dr7_set = true;
}

bool tt_svm_debug_trap(struct vcpu *v, struct cpu_user_regs *regs)
{
    struct tt_domain *t = v->domain->tt;

    if ( !t )
        return false;

    /* A shadow step's, tt_steptrace's, or replay's breakpoint: Xen's own. */
    if ( tt_emu_debug_trap(t) || tt_steptrace_trap(t, v, regs) ||
         tt_replay_breakpoint(t, v, regs) )
        return true;

    /* What the guest's debug state does not explain is the emulator's. */
    return tt_emu_stray_debug_trap(t, v, regs);
}

/*
 * Local variables:
 * mode: C
 * c-file-style: "BSD"
 * c-basic-offset: 4
 * indent-tabs-mode: nil
 * End:
 */
