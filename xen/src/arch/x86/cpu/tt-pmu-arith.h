/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * arch/x86/cpu/tt-pmu-arith.h
 *
 * The arithmetic of TT_COUNTER_BRANCHES (counter-pmu.c): what to write
 * into an AMD core performance counter and its event select register,
 * and what a value read back means.  Pure functions of integers, with no
 * Xen dependency beyond uint64_t and bool, so that the host's compiler
 * tests them (xen/tests/pmu-arith/, run by `make check`).
 *
 * An AMD core performance counter (AMD64 Architecture Programmer's
 * Manual Vol. 2, section 13.2 "Performance Monitoring Counters") is
 * TT_PMU_WIDTH bits wide and counts up; when it passes from all ones to
 * zero and PERF_CTL.Int is set, the local APIC's performance counter LVT
 * entry raises an interrupt (the PMI).  So "interrupt after n events" is
 * the value 2^48 - n, and the events counted between a write of start and
 * a read of end are (end - start) mod 2^48, whether or not the counter
 * overflowed in between, as long as fewer than 2^48 events happened.
 * TT_PMU_PERIOD_MAX keeps an armed run at half of that, so the events
 * past the PMI (its skid) never make the difference ambiguous.
 */

#ifndef __ASM_X86_CPU_TT_PMU_ARITH_H__
#define __ASM_X86_CPU_TT_PMU_ARITH_H__

#ifndef __XEN__
#include <stdbool.h>
#include <stdint.h>
#endif

/* Counter width (APM Vol. 2, 13.2.1: 48 bits in current implementations). */
#define TT_PMU_WIDTH        48
#define TT_PMU_MASK         ((1ULL << TT_PMU_WIDTH) - 1)

/* Most events an armed run waits for before its PMI. */
#define TT_PMU_PERIOD_MAX   (1ULL << (TT_PMU_WIDTH - 1))

/*
 * Branches the PMI is armed before the count replay must reach: the
 * PMI's skid, the events the guest still retires between the overflow
 * and the #VMEXIT its interrupt causes.  rr's figure for AMD Zen (10000,
 * which rr marks as not a hard bound); within the margin replay's
 * breakpoint compares each pass of the spot by its count.
 */
#define TT_PMU_SKID_MARGIN  10000ULL

/* PERF_CTL (APM Vol. 2, 13.2.1; the PPR: Core::X86::Msr::PERF_CTL). */
#define TT_PMU_CTL_USR       (1ULL << 16)   /* count at CPL > 0 */
#define TT_PMU_CTL_OS        (1ULL << 17)   /* count at CPL 0 */
#define TT_PMU_CTL_INT       (1ULL << 20)   /* APIC interrupt on overflow */
#define TT_PMU_CTL_EN        (1ULL << 22)   /* counter enabled */
#define TT_PMU_CTL_GUESTONLY (1ULL << 40)   /* count only in guest mode */
#define TT_PMU_CTL_HOSTONLY  (1ULL << 41)   /* count only in host mode */

/*
 * PMCx0C4 "Retired Taken Branch Instructions": in every family's event
 * list (the BKDGs of families 10h-16h, the PPRs of 17h and 19h).
 */
#define TT_PMU_EVENT_TAKEN_BRANCHES 0x0c4U

/*
 * The PERF_CTL value for event (12 bits: EventSelect[7:0] in bits 7:0,
 * EventSelect[11:8] in bits 35:32) and umask, counting at every CPL,
 * enabled; guest_only: in guest mode only (GuestOnly set, HostOnly
 * clear), else in both (both clear); intr: with the overflow interrupt.
 */
static inline uint64_t tt_pmu_ctl(unsigned int event, unsigned int umask,
                                  bool guest_only, bool intr)
{
    uint64_t ctl = (event & 0xffU) | ((uint64_t)((event >> 8) & 0xfU) << 32) |
                   ((uint64_t)(umask & 0xffU) << 8) |
                   TT_PMU_CTL_USR | TT_PMU_CTL_OS | TT_PMU_CTL_EN;

    if ( guest_only )
        ctl |= TT_PMU_CTL_GUESTONLY;
    if ( intr )
        ctl |= TT_PMU_CTL_INT;

    return ctl;
}

/*
 * The counter value that overflows after n events: 2^48 - n, n taken
 * between 1 and TT_PMU_PERIOD_MAX (0 would mean 2^48, more would leave
 * no room for the skid).
 */
static inline uint64_t tt_pmu_start(uint64_t n)
{
    if ( n == 0 )
        n = 1;
    if ( n > TT_PMU_PERIOD_MAX )
        n = TT_PMU_PERIOD_MAX;

    return (0 - n) & TT_PMU_MASK;
}

/*
 * Events counted by a counter written with start and read as end (only
 * their low TT_PMU_WIDTH bits count): modulo 2^48, so an overflow in
 * between is no error.
 */
static inline uint64_t tt_pmu_delta(uint64_t start, uint64_t end)
{
    return (end - start) & TT_PMU_MASK;
}

/*
 * Did a run armed for n events (tt_pmu_start(n)) overflow, counting
 * delta?  0 for a run that was not armed.
 */
static inline bool tt_pmu_fired(uint64_t n, uint64_t delta)
{
    return n && delta >= n;
}

/*
 * How many events to let the guest run before the PMI so that it stops
 * short of want, having counted count, with margin for the skid: the
 * distance less the margin, at most TT_PMU_PERIOD_MAX (a farther target
 * takes several stops).  0: no PMI, because want is within the margin,
 * here, or behind (the breakpoint's business, or a divergence).
 */
static inline uint64_t tt_pmu_stop_distance(uint64_t count, uint64_t want,
                                            uint64_t margin)
{
    uint64_t left;

    if ( want <= count )
        return 0;
    left = want - count;
    if ( left <= margin )
        return 0;
    left -= margin;

    return left < TT_PMU_PERIOD_MAX ? left : TT_PMU_PERIOD_MAX;
}

/*
 * *count += delta, saturating: false (and *count all ones) if the sum
 * does not fit 64 bits, which a count since one landmark never reaches
 * (2^64 branches are 146 years at 4 GHz).
 */
static inline bool tt_pmu_count_add(uint64_t *count, uint64_t delta)
{
    if ( delta > ~0ULL - *count )
    {
        *count = ~0ULL;
        return false;
    }
    *count += delta;

    return true;
}

#endif /* __ASM_X86_CPU_TT_PMU_ARITH_H__ */

/*
 * Local variables:
 * mode: C
 * c-file-style: "BSD"
 * c-basic-offset: 4
 * indent-tabs-mode: nil
 * End:
 */
