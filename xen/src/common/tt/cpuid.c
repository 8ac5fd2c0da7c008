/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * common/tt/cpuid.c
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

#include "private.h"

int tt_cpuid_attach(struct domain *d)
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

/*
 * Local variables:
 * mode: C
 * c-file-style: "BSD"
 * c-basic-offset: 4
 * indent-tabs-mode: nil
 * End:
 */
