/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xen/tt.h
 *
 * Time-travel record and replay: the hooks that the rest of Xen calls.
 * The implementation is in common/tt/ and its arch side (asm/tt.h); the
 * guest and toolstack ABI is in public/tt.h.  Without CONFIG_TIME_TRAVEL
 * every hook is an inline stub, so that no call site needs an #ifdef.
 */

#ifndef __XEN_TT_H__
#define __XEN_TT_H__

#include <xen/errno.h>
#include <xen/types.h>

#include <public/tt.h>

struct cpu_user_regs;
struct domain;
struct vcpu;

#ifdef CONFIG_TIME_TRAVEL

/* True if d is attached for recording or replay (d->tt is set). */
#define is_tt_domain(d) (unlikely((d)->tt != NULL))

/*
 * Domain teardown: detach d if it is attached.  Called from domain_kill()
 * once d is paused and marked dying.
 */
void tt_domain_destroy(struct domain *d);

/*
 * d shuts down (domain_shutdown(), first call only, reason SHUTDOWN_*):
 * the recording ends with TT_REC_END.
 */
void tt_domain_shutdown(struct domain *d, unsigned int reason);

/*
 * Every VM exit of a TT domain's vCPU, before Xen handles it: keeps the
 * registers the guest left (the inputs of the landmark's record).
 */
void tt_svm_vmexit_enter(struct vcpu *v, struct cpu_user_regs *regs);

/*
 * A port (mmio false) or MMIO access that Xen emulated for v
 * (arch/x86/hvm/intercept.c), in the order made: every one goes into the
 * exit's TT_REC_IO or TT_REC_MMIO record, and an MMIO one makes the exit a
 * TT_REC_MMIO landmark.
 */
void tt_note_access(struct vcpu *v, bool mmio, paddr_t addr,
                    unsigned int size, bool read, uint64_t value);

/*
 * Xen is about to emulate, outside any landmark, an instruction v's guest
 * was executing (the shadow code's emulation of a write to a guest page
 * table), and has done so (x86_emulate() answered X86EMUL_OKAY, with the
 * guest's registers in regs).  With an instruction counter, what the guest
 * retired that way counts as if the CPU had executed it: whether Xen
 * emulates a write depends on the shadow cache, i.e. on the host.
 */
void tt_emulate_start(struct vcpu *v, const struct cpu_user_regs *regs);
void tt_emulate_done(struct vcpu *v, unsigned int opcode,
                     const struct cpu_user_regs *regs);

/*
 * Every VM exit of a TT domain's vCPU, after Xen has handled it (SVM only:
 * the lab and the first TT hosts are AMD; VMX has no hook yet).  Classifies
 * the exit, counts the landmarks and writes their records.
 */
void tt_svm_vmexit(struct vcpu *v, uint64_t exit_reason);

/*
 * XENMEM_acquire_resource of type TT_RESOURCE_TYPE, id TT_RING_*: the
 * frames of d's ring (as _acquire_resource() answers: nr_frames or
 * -errno), and the ring's size in frames (0: no such ring).
 */
int tt_acquire_resource(struct domain *d, unsigned int id,
                        unsigned int frame, unsigned int nr_frames,
                        xen_pfn_t mfn_list[]);
unsigned int tt_resource_max_frames(const struct domain *d, unsigned int id);

/*
 * Holding the outside world to landmarks (common/tt/hold.c).  Each hook
 * is called only for a TT domain (is_tt_domain()).
 *
 * An assert for v's guest: event channel port made pending (2-level),
 * vLAPIC vector set in IRR.  Returns true if it is held (the caller must
 * not apply it now: it is applied at a landmark, or at the liveness
 * bound), false if the caller applies it now.
 */
bool tt_hold_evtchn(struct vcpu *v, unsigned int port);
bool tt_hold_vector(struct vcpu *v, unsigned int vector, bool level);

/*
 * A write of guest time by Xen (kind TT_MEM_PVCLOCK, _WALLCLOCK,
 * _RUNSTATE; force: a forced pvclock update).  Returns true if it is
 * deferred to the next landmark (the caller skips it), false if the
 * caller writes now and then calls tt_memory_written() with the bytes it
 * wrote, which logs them.
 */
bool tt_hold_memory(struct vcpu *v, unsigned int kind, bool force);
void tt_memory_written(struct vcpu *v, unsigned int kind,
                       const void *p, unsigned int len);

/*
 * At every VM entry of a TT vCPU, from svm_intr_assist() before it looks
 * for a pending interrupt: leaves the landmark state, applies what the
 * liveness bound releases.
 */
void tt_svm_intr_assist(struct vcpu *v);

/*
 * Replay (common/tt/replay.c).  tt_svm_vmenter(): from svm_vmenter_helper(),
 * interrupts off, right before VMRUN: arms the breakpoint that places an
 * interrupt by signature.  tt_svm_debug_trap(): a #DB exit; true if it is
 * that breakpoint's (the caller then leaves the guest alone).
 */
void tt_svm_vmenter(struct vcpu *v);
bool tt_svm_debug_trap(struct vcpu *v, struct cpu_user_regs *regs);

/*
 * arch/x86/hvm/hvm.c (__hvm_copy()): Xen wrote len bytes at gpa of v's
 * guest, now at p.  What an outside hypercall writes goes into the log.
 */
void tt_note_guest_write(struct vcpu *v, paddr_t gpa, const void *p,
                         unsigned int len);

/*
 * common/event_2l.c: make port pending for v's guest as
 * evtchn_port_set_pending() would have, without asking tt_hold_evtchn().
 */
void evtchn_2l_tt_release(struct vcpu *v, unsigned int port);

#else /* !CONFIG_TIME_TRAVEL */

/*
 * Without the option every hook is a stub that changes nothing, so that
 * Xen's own files call them without #ifdefs: is_tt_domain() is false, and
 * the hooks that answer say "not held", "not ours", or what Xen's own
 * default case would.
 */
#define is_tt_domain(d) ((void)(d), false)

static inline void tt_domain_destroy(struct domain *d) {}
static inline void tt_domain_shutdown(struct domain *d, unsigned int reason) {}
static inline void tt_svm_vmexit_enter(struct vcpu *v,
                                       struct cpu_user_regs *regs) {}
static inline void tt_note_access(struct vcpu *v, bool mmio, paddr_t addr,
                                  unsigned int size, bool read,
                                  uint64_t value) {}
static inline void tt_emulate_start(struct vcpu *v,
                                    const struct cpu_user_regs *regs) {}
static inline void tt_emulate_done(struct vcpu *v, unsigned int opcode,
                                   const struct cpu_user_regs *regs) {}
static inline void tt_svm_vmexit(struct vcpu *v, uint64_t exit_reason) {}

/* As XENMEM_acquire_resource answers a type it does not know. */
static inline int tt_acquire_resource(struct domain *d, unsigned int id,
                                      unsigned int frame,
                                      unsigned int nr_frames,
                                      xen_pfn_t mfn_list[])
{
    return -EOPNOTSUPP;
}
static inline unsigned int tt_resource_max_frames(const struct domain *d,
                                                  unsigned int id)
{
    return -EOPNOTSUPP;
}

static inline bool tt_hold_evtchn(struct vcpu *v, unsigned int port)
{
    return false;
}
static inline bool tt_hold_vector(struct vcpu *v, unsigned int vector,
                                  bool level)
{
    return false;
}
static inline bool tt_hold_memory(struct vcpu *v, unsigned int kind,
                                  bool force)
{
    return false;
}
static inline void tt_memory_written(struct vcpu *v, unsigned int kind,
                                     const void *p, unsigned int len) {}
static inline void tt_svm_intr_assist(struct vcpu *v) {}
static inline void tt_svm_vmenter(struct vcpu *v) {}
static inline bool tt_svm_debug_trap(struct vcpu *v,
                                     struct cpu_user_regs *regs)
{
    return false;
}
static inline void tt_note_guest_write(struct vcpu *v, paddr_t gpa,
                                       const void *p, unsigned int len) {}

#endif /* CONFIG_TIME_TRAVEL */

#endif /* __XEN_TT_H__ */
