/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xen/tt.h
 *
 * Time-travel record and replay: the hooks that the rest of Xen calls.
 * The implementation is in common/tt/; the guest and toolstack ABI is in
 * public/tt.h.  Without CONFIG_TIME_TRAVEL every hook is an empty inline.
 */

#ifndef __XEN_TT_H__
#define __XEN_TT_H__

#include <xen/types.h>

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
 * Every VM exit of a TT domain's vCPU, after Xen has handled it (SVM only:
 * the lab and the first TT hosts are AMD; VMX has no hook yet).  Classifies
 * the exit and counts the landmarks.
 */
void tt_svm_vmexit(struct vcpu *v, uint64_t exit_reason);

#else /* !CONFIG_TIME_TRAVEL */

#define is_tt_domain(d) false

static inline void tt_domain_destroy(struct domain *d) {}

#endif /* CONFIG_TIME_TRAVEL */

#endif /* __XEN_TT_H__ */
