/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * asm-x86/tt.h
 *
 * The arch side of time travel: what common/tt/ asks of x86, as
 * common/vm_event.c asks asm/vm_event.h.  Implemented in arch/x86/tt.c
 * (the CPU policy, the vLAPIC and event-channel upcall) and in
 * arch/x86/hvm/svm/tt.c (everything that reads or writes the VMCB).
 * TTOP_attach refuses a host without SVM, so there is no VMX side yet: a
 * VMX one would implement the same functions.
 *
 * Only common/tt/ and the arch side include this (through xen/tt-private.h);
 * the rest of Xen sees xen/tt.h.
 */

#ifndef __ASM_X86_TT_H__
#define __ASM_X86_TT_H__

#include <xen/types.h>

struct domain;
struct vcpu;

/* --- arch/x86/tt.c ----------------------------------------------------- */

/* At attach: hide the CPUID features whose results no log holds. */
int arch_tt_cpuid_attach(struct domain *d);

/* The vector an event-channel upcall arrives with for v (0: none). */
unsigned int arch_tt_upcall_vector(const struct vcpu *v);

/* Is vector pending in v's vLAPIC (IRR)?  v must be current. */
bool arch_tt_vector_pending(struct vcpu *v, unsigned int vector);

/* Assert vector in v's vLAPIC, if it is enabled. */
void arch_tt_set_vector(struct vcpu *v, unsigned int vector, bool level);

/* Is an MMIO read of gpa by v a read of time (the xAPIC timer's count)? */
bool arch_tt_mmio_is_time(struct vcpu *v, paddr_t gpa);

/* --- arch/x86/hvm/svm/tt.c --------------------------------------------- */

/*
 * At attach, v not running yet: every PAUSE, I/O port and RDPMC exits, and
 * v's FPU state is loaded eagerly (no #NM exits that depend on what else
 * ran on the CPU).
 */
void arch_tt_attach_vcpu(struct vcpu *v);

/* TSC ticks between the two reads around v's latest VMRUN (svm/entry.S). */
uint64_t arch_tt_run_ticks(const struct vcpu *v);

/*
 * v's debug registers as the CPU checks them while v's guest runs: DR6 and
 * DR7 live in the VMCB, DR0 is switched lazily by Xen.  Replay borrows
 * breakpoint 0 to place an interrupt by signature (common/tt/replay.c).
 */
uint64_t arch_tt_get_dr(struct vcpu *v, unsigned int reg);
void arch_tt_set_dr(struct vcpu *v, unsigned int reg, uint64_t val);

#endif /* __ASM_X86_TT_H__ */
