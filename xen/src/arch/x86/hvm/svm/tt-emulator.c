/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * arch/x86/hvm/svm/tt-emulator.c
 *
 * Where the lab's CPU departs from an AMD CPU, and what Xen does so that a
 * TT guest runs there as it would on hardware.
 *
 * The lab runs TT Xen under QEMU 7.2's emulated SVM (TCG).  Two of its
 * departures from the APM change where a guest takes an interrupt, and
 * they do so depending on host timing: an exit that falls at one spot in
 * one run and not in the other.  Replay then finds the guest a few
 * instructions off at the next landmark, which no log can prevent.  Both
 * are mended here, at every exit and entry of a TT vCPU, in record and in
 * replay alike:
 *
 *  - VMRUN delivers the injected event and leaves its vector pending:
 *    tt_undo_double_delivery() takes the second delivery back;
 *  - VMRUN ignores the interrupt shadow that the VMCB carries:
 *    tt_shadow_step() steps the guest over the shadowed instruction
 *    before the interrupt window opens.
 *
 * A third departure only replay meets: QEMU keeps a breakpoint of the
 * host's DR7 after DR7 no longer enables it, and raises #DB for it with
 * no status bit; tt_emu_stray_debug_trap() keeps it from the guest.
 *
 * On hardware neither condition arises (the first cannot, the second costs
 * one #DB exit where an exit falls inside an interrupt shadow while an
 * interrupt waits), so none of this depends on knowing the host.
 * docs/design-replay.md ("QEMU delivers an injected interrupt twice", "QEMU
 * drops the interrupt shadow at VMRUN") has the traces that found them.
 *
 * Everything here runs on the TT vCPU, in its exit and entry paths.
 */

#include <xen/guest_access.h>
#include <xen/sched.h>
#include <xen/tt.h>

#include <asm/debugreg.h>
#include <asm/hvm/support.h>
#include <asm/hvm/svm/vmcb.h>

#include <xen/tt-private.h>

/*
 * QEMU 7.2's emulated VMRUN delivers the event Xen injects (EVENTINJ) and
 * leaves its vector behind as the CPU's pending exception: the next time
 * the emulator leaves its execution loop without a #VMEXIT (an icount
 * deadline, a request from its main loop), it delivers the vector a second
 * time, to wherever the guest then is, interrupts masked or not.
 * EXITINTINFO shows that second delivery as an exception (type 3) with the
 * injected interrupt's vector, which no CPU reports (exceptions have
 * vectors below 32).  The guest would run the handler twice, which the
 * recording did not, or the recording holds a handler the replay does not
 * run: found as a count one handler's length off at its EOI.  If the exit
 * came before the second handler's first instruction (the deadline's own
 * timer interrupt makes it come there), take the delivery back: pop the
 * frame it pushed (RIP, CS, RFLAGS, RSP, SS; same privilege, no error
 * code).  Otherwise it is counted and said: replay's next landmark check
 * finds what it did.
 */
static void tt_undo_double_delivery(struct tt_domain *t, struct vcpu *v,
                                    struct cpu_user_regs *regs)
{
    struct vmcb_struct *vmcb = v->arch.hvm.svm.vmcb;
    intinfo_t ii = vmcb->exit_int_info, inj = { .raw = t->vmenter_inj };
    uint64_t frame[5];
    uint32_t gate[4];
    unsigned long handler;
    unsigned int vec = ii.vector;

    if ( likely(ii.v || ii.type != X86_EVENTTYPE_HW_EXCEPTION || vec < 32) )
        return;
    /* The entry before delivered this very vector as an interrupt. */
    if ( !inj.v || inj.type != X86_EVENTTYPE_EXT_INTR || inj.vector != vec )
        return;

    t->double_delivered++;
    if ( hvm_copy_from_guest_linear(gate, vmcb->idtr.base + vec * 16,
                                    sizeof(gate), 0, NULL) != HVMTRANS_okay )
        goto cannot;
    /* The 64-bit gate's offset: bits 0-15, 16-31 and 32-63. */
    handler = (gate[0] & 0xffff) | (gate[1] & 0xffff0000UL) |
              ((unsigned long)gate[2] << 32);
    if ( regs->rip != handler ||
         hvm_copy_from_guest_linear(frame, regs->rsp, sizeof(frame), 0,
                                    NULL) != HVMTRANS_okay ||
         frame[1] != vmcb->cs.sel || frame[4] != vmcb->ss.sel )
        goto cannot;

    regs->rip = frame[0];
    regs->rflags = frame[2];
    regs->rsp = frame[3];
    t->double_undone++;
    if ( t->double_undone <= 3 )
        printk(XENLOG_G_INFO "tt: %pd: the emulator delivered vector %#x a "
               "second time (QEMU's VMRUN event injection); taken back, the "
               "guest resumes at %#lx\n", t->d, vec, regs->rip);
    return;

 cannot:
    printk(XENLOG_G_WARNING "tt: %pd: the emulator delivered vector %#x a "
           "second time (QEMU's VMRUN event injection) and the guest has run "
           "its handler (at %#lx): the log will not hold it\n",
           t->d, vec, regs->rip);
}

/*
 * STI and MOV SS leave an interrupt shadow: no interrupt before the next
 * instruction has completed.  An exit inside the shadow (a host interrupt,
 * a shadow page fault on the next instruction's fetch) saves it in the
 * VMCB, and a CPU honours it again at VMRUN; QEMU 7.2 does not (fixed
 * upstream in 2024).  If an interrupt waits, Xen has opened the interrupt
 * window (VINTR), and the emulator leaves at once, before the shadowed
 * instruction: the interrupt is taken one instruction early, in the run
 * where the exit fell there and not in the other (seen as a count one
 * off at the handler's EOI, `sti; ret` of pv_ops.irq_enable).
 *
 * So when an entry would open the window inside a shadow, the window
 * waits one instruction: the trap flag, hidden from the guest, stops it
 * after the shadowed instruction (a #DB trap that Xen always intercepts),
 * and the entry after that opens the window where a CPU would.  Not when
 * an event is being injected (its frame would save the flag), interrupts
 * are masked (the window opens at the guest's own STI, whose shadow the
 * emulator keeps while it runs) or the guest or tt_steptrace uses the flag.
 */
static void tt_shadow_step(struct tt_domain *t, struct vcpu *v)
{
    struct vmcb_struct *vmcb = v->arch.hvm.svm.vmcb;
    uint32_t general1 = vmcb_get_general1_intercepts(vmcb);
    vintr_t intr;

    if ( likely(!vmcb->int_stat.intr_shadow) ||
         !(general1 & GENERAL1_INTERCEPT_VINTR) || vmcb->event_inj.v ||
         !(vmcb->rflags & X86_EFLAGS_IF) || (vmcb->rflags & X86_EFLAGS_TF) )
        return;

    intr = vmcb_get_vintr(vmcb);
    intr.fields.irq = 0;
    vmcb_set_vintr(vmcb, intr);
    vmcb_set_general1_intercepts(vmcb, general1 & ~GENERAL1_INTERCEPT_VINTR);
    vmcb->rflags |= X86_EFLAGS_TF;
    t->shadow_step = true;
    t->shadow_steps++;
}

/* The exit that ends a shadow step: the flag goes, the trap is ours. */
static void tt_shadow_step_end(struct tt_domain *t, struct vcpu *v,
                               struct cpu_user_regs *regs)
{
    struct vmcb_struct *vmcb = v->arch.hvm.svm.vmcb;
    uint64_t dr6 = vmcb_get_dr6(vmcb);

    t->shadow_step = false;
    regs->rflags &= ~X86_EFLAGS_TF;
    if ( vmcb->exitcode == VMEXIT_EXCEPTION_DB && (dr6 & DR_STEP) )
    {
        vmcb_set_dr6(vmcb, dr6 & ~DR_STEP);
        t->shadow_step_trap = true;
    }
}

void tt_emu_vmexit(struct tt_domain *t, struct vcpu *v,
                   struct cpu_user_regs *regs)
{
    tt_undo_double_delivery(t, v, regs);
    if ( unlikely(t->shadow_step) )
        tt_shadow_step_end(t, v, regs);
}

void tt_emu_vmenter(struct tt_domain *t, struct vcpu *v)
{
    tt_shadow_step(t, v);
}

bool tt_emu_debug_trap(struct tt_domain *t)
{
    if ( !t->shadow_step_trap )
        return false;

    /* Not a landmark: the guest's instruction was an ordinary one. */
    t->shadow_step_trap = false;
    t->exit_is_xens = true;

    return true;
}

/*
 * A #DB that is none of Xen's own traps: the guest's own if its debug
 * state explains it (a breakpoint its DR7 enables, a single step, a task
 * switch, a general detect), else the emulator's.  QEMU's emulated SVM
 * (7.2) raises #DB for every instruction breakpoint in its own list, which
 * it keeps in step with DR7 writes only: a breakpoint of replay's that
 * outlived its DR7 (see tt_svm_vmenter()) fires wherever the guest passes
 * its address, with no status bit the guest's DR7 would account for.
 * The guest must never see one: it would run its #DB handler, which the
 * recording never did (a divergence, the log's count exceeded at the next
 * landmark).  Swallowed, counted, and the instruction resumed past it.
 */
bool tt_emu_stray_debug_trap(struct tt_domain *t, struct vcpu *v,
                             struct cpu_user_regs *regs)
{
    struct vmcb_struct *vmcb = v->arch.hvm.svm.vmcb;
    uint64_t dr6 = vmcb_get_dr6(vmcb);
    uint64_t dr7 = t->rp.armed ? t->rp.guest_dr7 : vmcb_get_dr7(vmcb);
    unsigned int i, enabled = 0;

    /* ICEBP (INT1) is the guest's own instruction, whatever DR6 says. */
    if ( vmcb->exitcode != VMEXIT_EXCEPTION_DB )
        return false;

    for ( i = 0; i < 4; i++ )
        if ( dr7 & (3UL << (i * 2)) )
            enabled |= 1U << i;
    if ( (dr6 & (DR_STEP | DR_SWITCH | (1UL << 13))) || (dr6 & enabled) )
        return false;

    if ( t->rp.stray_db++ < 5 )
        printk(XENLOG_G_WARNING "tt: %pd: a #DB at %#"PRIx64" that the "
               "guest's debug state does not explain (dr6 %#"PRIx64", dr7 "
               "%#"PRIx64", host dr7 %#lx, lm %"PRIu64" n %"PRIu64"): the "
               "emulator's breakpoint, not delivered\n", t->d, regs->rip,
               dr6, dr7, read_debugreg(7), t->pos.landmark, t->count);
    vmcb_set_dr6(vmcb, dr6 & ~0xfUL);
    regs->rflags |= X86_EFLAGS_RF;
    /* Not a landmark, and the guest ran no instruction. */
    t->exit_is_xens = true;

    return true;
}
