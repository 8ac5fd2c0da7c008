/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * arch/x86/cpu/tt-pmu.c
 *
 * TT_COUNTER_BRANCHES: the guest's retired taken branches, counted by one
 * AMD core performance counter that counts in guest mode only, for hosts
 * with SVM (docs/design-replay.md, "The hardware counter").
 *
 * The counter (AMD64 Architecture Programmer's Manual Vol. 2, section
 * 13.2 "Performance Monitoring Counters") is programmed with PMCx0C4,
 * "Retired Taken Branch Instructions", counting at every CPL (USR and
 * OS) with PERF_CTL.GuestOnly set and HostOnly clear: with EFER.SVME set
 * it counts only between VMRUN and #VMEXIT, never Xen's own branches.
 * It is the TT vCPU's for the length of one VMRUN: tt_pmu_vmenter(),
 * from svm_vmenter_helper() with interrupts off, writes the counter and
 * enables it; tt_pmu_exit(), at the start of the exit (tt_counter_exit()),
 * disables it and reads it.  The difference, modulo 2^48
 * (tt-pmu-arith.h), is what the guest retired in that run, whatever other
 * guests or other TT domains did with the counter on this CPU before.
 * No fixed part of Xen's to subtract, unlike TT_COUNTER_ICOUNT.
 *
 * Replay stops short of a count with the counter's overflow interrupt:
 * tt_pmu_arm() asks for the next run to overflow TT_PMU_SKID_MARGIN
 * branches before the count (the interrupt's skid: the guest retires a
 * few more before the #VMEXIT the interrupt causes), and replay's
 * breakpoint covers the rest, comparing the count at each pass as it
 * does for the lab's counter.  The interrupt (a vector of Xen's own,
 * through the local APIC's performance counter LVT entry) only makes the
 * guest exit: its handler acknowledges it.
 *
 * Boot option tt_counter=branches offers it (counter.c), once
 * tt_pmu_init() has checked that the host is an AMD CPU with SVM in use,
 * picked the counter (the last of the six PerfCtrExtCore counters, or
 * the last of the four legacy ones), made sure nobody else uses it (the
 * NMI watchdog, vPMU, firmware; xenoprof is locked out by reserving the
 * local APIC's performance counter NMI) and watched it count branches in
 * host mode only without GuestOnly.  It never ran on hardware in this
 * project: the lab (QEMU TCG) has no performance counters.
 */

#include <xen/init.h>
#include <xen/lib.h>
#include <xen/sched.h>

#include <asm/apic.h>
#include <asm/hvm/hvm.h>
#include <asm/irq.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/vpmu.h>

#include <public/pmu.h>

#include <xen/tt-private.h>
#include "tt-pmu-arith.h"

/* CPUID 0x80000001 ECX: PerfCtrExtCore, six counters at 0xc0010200. */
#define TT_CPUID_PERFCTREXTCORE (1U << 23)

/* The counter's MSRs, chosen at boot. */
static unsigned int __read_mostly pmu_ctl_msr;
static unsigned int __read_mostly pmu_ctr_msr;

/* The overflow interrupt's vector (alloc_direct_apic_vector()). */
static uint8_t __read_mostly pmu_vector;

static void cf_check pmu_interrupt(struct cpu_user_regs *regs)
{
    /*
     * The interrupt made the guest exit, which is all it is for: the
     * exit reads the counter.  The LVT entry is written again at every
     * entry that arms the counter.
     */
    ack_APIC_irq();
}

/* Taken branches in host mode: a loop of n - 1 taken ones, plus a few. */
static uint64_t __init pmu_probe_run(uint64_t ctl, unsigned long n)
{
    uint64_t v;

    wrmsrl(pmu_ctr_msr, 0);
    wrmsrl(pmu_ctl_msr, ctl);
    asm volatile ( "1: dec %0; jnz 1b" : "+r" (n) :: "cc" );
    wrmsrl(pmu_ctl_msr, 0);
    rdmsrl(pmu_ctr_msr, v);

    return v & TT_PMU_MASK;
}

/*
 * Can TT_COUNTER_BRANCHES be offered?  false with one printk line saying
 * why not.  From tt_counter_init() (an initcall, on the boot CPU, after
 * HVM, vPMU and the NMI watchdog were set up).
 */
bool __init tt_pmu_init(void)
{
    const char *why = NULL;
    uint64_t ctl, v, host, guest;
    unsigned int idx;
    unsigned long flags;

    if ( boot_cpu_data.x86_vendor != X86_VENDOR_AMD )
        why = "not an AMD CPU";
    else if ( !cpu_has_svm || !hvm_enabled )
        why = "SVM is not in use";
    else if ( !(read_efer() & EFER_SVME) )
        why = "EFER.SVME is clear (GuestOnly would count nothing)";
    else if ( nmi_watchdog != NMI_NONE )
        why = "the NMI watchdog uses the performance counters (boot "
              "without 'watchdog')";
    else if ( vpmu_mode != XENPMU_MODE_OFF )
        why = "vPMU lends the performance counters to guests (boot "
              "without 'vpmu')";
    if ( why )
        goto refuse;

    if ( cpuid_ecx(0x80000001) & TT_CPUID_PERFCTREXTCORE )
    {
        idx = 5;
        pmu_ctl_msr = MSR_AMD_FAM15H_EVNTSEL5;
        pmu_ctr_msr = MSR_AMD_FAM15H_PERFCTR5;
    }
    else
    {
        idx = 3;
        pmu_ctl_msr = MSR_K7_EVNTSEL3;
        pmu_ctr_msr = MSR_K7_PERFCTR3;
    }

    local_irq_save(flags);
    if ( rdmsr_safe(pmu_ctl_msr, ctl) || rdmsr_safe(pmu_ctr_msr, v) )
        why = "its MSRs cannot be read";
    else if ( ctl & TT_PMU_CTL_EN )
        why = "it is already counting (the firmware's?)";
    else if ( wrmsr_safe(pmu_ctr_msr, TT_PMU_MASK - 0x5a5a) ||
              rdmsr_safe(pmu_ctr_msr, v) || v != TT_PMU_MASK - 0x5a5a )
        why = "it does not hold a 48-bit value";
    else
    {
        /* 1000 taken branches in host mode: counted, unless GuestOnly. */
        host = pmu_probe_run(tt_pmu_ctl(TT_PMU_EVENT_TAKEN_BRANCHES, 0,
                                        false, false), 1001);
        guest = pmu_probe_run(tt_pmu_ctl(TT_PMU_EVENT_TAKEN_BRANCHES, 0,
                                         true, false), 1001);
        if ( host < 1000 || host > 2000 )
            why = "it does not count taken branches (fewer or more than "
                  "1000 for a loop of 1000)";
        else if ( guest )
            why = "GuestOnly does not keep it from counting Xen's branches";
    }
    wrmsrl(pmu_ctr_msr, 0);
    local_irq_restore(flags);
    if ( why )
    {
        printk(XENLOG_ERR "tt: tt_counter=branches refused: performance "
               "counter %u (MSR %#x): %s\n", idx, pmu_ctl_msr, why);
        return false;
    }

    /*
     * Xen's other user of the counters, xenoprof (dom0's oprofile), takes
     * them through this reservation: it gets -EBUSY from now on.
     */
    if ( reserve_lapic_nmi() )
    {
        why = "the performance counters are reserved (xenoprof)";
        goto refuse;
    }

    alloc_direct_apic_vector(&pmu_vector, pmu_interrupt);
    printk(XENLOG_INFO "tt: counter: guest retired taken branches (AMD "
           "PMCx0C4, GuestOnly) on performance counter %u, overflow vector "
           "%#x, skid margin %llu\n", idx, pmu_vector, TT_PMU_SKID_MARGIN);

    return true;

 refuse:
    printk(XENLOG_ERR "tt: tt_counter=branches refused: %s\n", why);
    return false;
}

void tt_pmu_vmenter(struct tt_domain *t)
{
    uint64_t n = t->pmu_arm;

    ASSERT(!local_irq_is_enabled());

    /* An arming is for one run: replay arms again at every entry. */
    t->pmu_arm = 0;
    t->pmu_run = n;
    t->pmu_start = n ? tt_pmu_start(n) : 0;
    if ( n )
        apic_write(APIC_LVTPC, pmu_vector);
    wrmsrl(pmu_ctr_msr, t->pmu_start);
    wrmsrl(pmu_ctl_msr, tt_pmu_ctl(TT_PMU_EVENT_TAKEN_BRANCHES, 0, true, n));
}

void tt_pmu_exit(struct tt_domain *t)
{
    uint64_t end, n;

    wrmsrl(pmu_ctl_msr, 0);
    rdmsrl(pmu_ctr_msr, end);
    n = tt_pmu_delta(t->pmu_start, end);

    t->pmu_fired = tt_pmu_fired(t->pmu_run, n);
    if ( t->pmu_fired )
    {
        uint64_t skid = n - t->pmu_run;

        t->pmu_pmis++;
        if ( skid > t->pmu_skid_max )
            t->pmu_skid_max = skid;
        /* Past the margin: replay's breakpoint may have missed the spot. */
        if ( skid >= TT_PMU_SKID_MARGIN )
            t->pmu_overshoots++;
    }
    t->pmu_run = 0;
    t->pmu_start = 0;

    if ( !tt_pmu_count_add(&t->count, n) )
        t->counter_short++;
}

bool tt_pmu_arm(struct tt_domain *t, uint64_t want)
{
    t->pmu_arm = tt_pmu_stop_distance(t->count, want, TT_PMU_SKID_MARGIN);

    return t->pmu_arm;
}

void tt_pmu_report(const struct tt_domain *t)
{
    printk(XENLOG_INFO "tt: %pd: counter: branches: %"PRIu64" overflow "
           "stops, most skid %"PRIu64" (margin %llu, %"PRIu64" past it), "
           "%"PRIu64" counts saturated\n", t->d, t->pmu_pmis,
           t->pmu_skid_max, TT_PMU_SKID_MARGIN, t->pmu_overshoots,
           t->counter_short);
}

/*
 * Local variables:
 * mode: C
 * c-file-style: "BSD"
 * c-basic-offset: 4
 * indent-tabs-mode: nil
 * End:
 */
