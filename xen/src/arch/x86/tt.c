/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * arch/x86/tt.c
 *
 * The x86 side of time travel that is no SVM's (asm/tt.h): the CPU policy
 * of a TT domain, and the vLAPIC and upcall through which the interrupts
 * held to landmarks reach its guest (common/tt/hold.c).
 *
 * The CPUID policy of a TT domain (DESIGN section 5).  Some instructions
 * return values that neither the guest's execution nor a VM exit fixes:
 * RDRAND and RDSEED (random numbers; SVM cannot intercept them), and
 * transactional memory (HLE, RTM: whether a transaction aborts depends on
 * caches, interrupts and the other hyperthread).  A TT guest must not be
 * told they exist.
 *
 * At attach the domain has not run, so nobody has seen its policy yet:
 * the features are cleared from it rather than the attach refused.
 * Refusing would make every recording on a host with RDRAND fail unless
 * the user listed cpuid= masks in the guest's config; clearing costs the
 * guest nothing it may use.  A guest that executes RDRAND although CPUID
 * says it is absent still gets a random number (on SVM the instruction
 * cannot be made to exit): Linux does not, and replay reports the
 * divergence that follows.  The toolstack cannot give the bits back:
 * XEN_DOMCTL_set_cpu_policy is refused for a TT domain.
 *
 * The policy the guest sees is logged by the daemon in the log header,
 * and every CPUID the guest executes is a landmark logged with its result.
 */

#include <xen/lib.h>
#include <xen/sched.h>

#include <asm/cpu-policy.h>
#include <asm/domain.h>
#include <asm/hvm/irq.h>
#include <asm/hvm/vlapic.h>
#include <asm/tt.h>

int arch_tt_cpuid_attach(struct domain *d)
{
    struct cpu_policy *p = d->arch.cpu_policy;
    bool rdrand = p->basic.rdrand, rdseed = p->feat.rdseed;
    bool hle = p->feat.hle, rtm = p->feat.rtm;

    if ( !rdrand && !rdseed && !hle && !rtm )
        return 0;

    p->basic.rdrand = false;
    p->feat.rdseed = false;
    p->feat.hle = false;
    p->feat.rtm = false;

    /* As XEN_DOMCTL_set_cpu_policy does after changing a policy. */
    recalculate_cpuid_policy(d);
    domain_cpu_policy_changed(d);

    printk(XENLOG_G_INFO "tt: %pd: CPUID hides%s%s%s%s (not deterministic)\n",
           d, rdrand ? " RDRAND" : "", rdseed ? " RDSEED" : "",
           hle ? " HLE" : "", rtm ? " RTM" : "");

    return 0;
}

unsigned int arch_tt_upcall_vector(const struct vcpu *v)
{
    const struct hvm_irq *irq = hvm_domain_irq(v->domain);

    /* Per-vCPU (HVMOP_set_evtchn_upcall_vector), or the domain's callback. */
    if ( v->arch.hvm.evtchn_upcall_vector )
        return v->arch.hvm.evtchn_upcall_vector;
    if ( irq->callback_via_type == HVMIRQ_callback_vector )
        return irq->callback_via.vector;
    return 0;
}

bool arch_tt_vector_pending(struct vcpu *v, unsigned int vector)
{
    ASSERT(v == current);

    return vlapic_test_irq(vcpu_vlapic(v), vector);
}

void arch_tt_set_vector(struct vcpu *v, unsigned int vector, bool level)
{
    if ( vlapic_enabled(vcpu_vlapic(v)) )
        vlapic_set_irq(vcpu_vlapic(v), vector, level);
}

bool arch_tt_mmio_is_time(struct vcpu *v, paddr_t gpa)
{
    return (gpa & PAGE_MASK) == vlapic_base_address(vcpu_vlapic(v)) &&
           (gpa & 0xff0) == APIC_TMCCT;
}

/*
 * Local variables:
 * mode: C
 * c-file-style: "BSD"
 * c-basic-offset: 4
 * indent-tabs-mode: nil
 * End:
 */
