/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * common/tt/counter.c
 *
 * The counter of a TT guest's progress between two landmarks
 * (TT_COUNTER_*, public/tt.h): with one, a position names the very
 * instruction, and replay delivers an interrupt exactly where the
 * recording did instead of at the first pass of a register signature.
 *
 * TT_COUNTER_ICOUNT is the lab's.  Under QEMU's `-icount shift=0` the TSC
 * is the number of instructions the emulated CPU has executed (QEMU ends
 * a translation block at RDTSC, so the read is exact), and svm/entry.S
 * reads it just before VMRUN and just after #VMEXIT, on a straight-line
 * path.  The difference is the guest's instructions plus a fixed number
 * of Xen's own: those between the first read and VMRUN, VMRUN, and those
 * from #VMEXIT to the second read.  That number, TT_ICOUNT_XEN
 * (private.h), is counted from the straight-line code of svm/entry.S and
 * confirmed in the lab by the fewest an exit ever counts (an interrupt
 * pending at VMRUN: no guest instruction at all).  An exit that counts
 * fewer is reported (counter_short).  docs/design-replay.md tells what
 * exactly is counted (REP iterations one by one; an intercepted or
 * faulting instruction not at all: it counts when it completes).
 *
 * Boot option tt_counter=icount offers it.  At boot Xen checks that the
 * TSC advances by exactly the number of instructions between two reads,
 * and refuses the option (with a message) on a host where it does not.
 *
 * TT_COUNTER_BRANCHES, the hardware one, is counter-pmu.c's: boot option
 * tt_counter=branches, on an AMD host with SVM whose performance counters
 * nobody else uses.  A host offers one counter at most.
 */

#include <xen/init.h>
#include <xen/lib.h>
#include <xen/param.h>
#include <xen/sched.h>
#include <xen/tt.h>

#include <asm/msr.h>

#include <xen/tt-private.h>

static char __initdata opt_tt_counter[16];
string_param("tt_counter", opt_tt_counter);

/*
 * Xen's instructions inside one VMRUN/#VMEXIT pair of reads
 * (svm/entry.S), measured under QEMU 7.2: see the header comment.
 * Boot option tt_icount_xen=N overrides it (for another entry.S).
 */
static unsigned int __read_mostly opt_tt_icount_xen = TT_ICOUNT_XEN;
integer_param("tt_icount_xen", opt_tt_icount_xen);

/* The counter this host offers (TT_COUNTER_*), set at boot. */
static unsigned int __read_mostly tt_host_counter = TT_COUNTER_NONE;

/*
 * Does the TSC count instructions?  Three reads around a fixed sequence
 * of NOPs must differ by exactly the same amount, and that amount must
 * be the instruction count (QEMU counts the RDTSC itself once).
 */
static uint64_t __init icount_probe(void)
{
    uint64_t a, b;

    a = rdtsc_ordered();
    asm volatile ( ".rept 100; nop; .endr" ::: "memory" );
    b = rdtsc_ordered();

    return b - a;
}

static int __init tt_counter_init(void)
{
    uint64_t d0, d1, d2;
    unsigned long flags;

    if ( !opt_tt_counter[0] || !strcmp(opt_tt_counter, "none") )
        return 0;
    if ( !strcmp(opt_tt_counter, "branches") )
    {
        if ( tt_pmu_init() )
            tt_host_counter = TT_COUNTER_BRANCHES;
        return 0;
    }
    if ( strcmp(opt_tt_counter, "icount") )
    {
        printk(XENLOG_ERR "tt: tt_counter=%s: unknown counter (icount, "
               "branches or none); time travel runs without one\n",
               opt_tt_counter);
        return 0;
    }

    local_irq_save(flags);
    d0 = icount_probe();
    d1 = icount_probe();
    d2 = icount_probe();
    local_irq_restore(flags);

    /* 100 NOPs, plus the few instructions of rdtsc_ordered(). */
    if ( d0 != d1 || d1 != d2 || d0 < 100 || d0 > 120 )
    {
        printk(XENLOG_ERR "tt: tt_counter=icount refused: the TSC does not "
               "count instructions here (%"PRIu64", %"PRIu64", %"PRIu64
               " for 100 NOPs; the lab runs QEMU with -icount shift=0)\n",
               d0, d1, d2);
        return 0;
    }

    tt_host_counter = TT_COUNTER_ICOUNT;
    printk(XENLOG_INFO "tt: counter: guest instructions (QEMU icount: %"
           PRIu64" for 100 NOPs, %u of Xen's per VM entry)\n",
           d0, opt_tt_icount_xen);

    return 0;
}
__initcall(tt_counter_init);

int tt_counter_check(unsigned int counter)
{
    switch ( counter )
    {
    case TT_COUNTER_NONE:
        return 0;
    case TT_COUNTER_ICOUNT:
    case TT_COUNTER_BRANCHES:
        return counter == tt_host_counter ? 0 : -ENODEV;
    default:
        return -EINVAL;
    }
}

void tt_counter_exit(struct tt_domain *t, struct vcpu *v)
{
    uint64_t n = arch_tt_run_ticks(v);

    if ( t->counter == TT_COUNTER_BRANCHES )
    {
        tt_pmu_exit(t);
        return;
    }
    if ( t->counter != TT_COUNTER_ICOUNT )
        return;

    /*
     * Fewer than Xen's own: a TSC that stopped counting instructions (a
     * host changed under us).  Count nothing rather than wrap; replay's
     * check of every landmark's count catches what follows.
     */
    if ( unlikely(n < opt_tt_icount_xen) )
    {
        t->counter_short++;
        n = opt_tt_icount_xen;
    }
    t->count += n - opt_tt_icount_xen;

    /* The fewest per exit: TT_ICOUNT_XEN itself when no guest instruction ran. */
    if ( n < t->counter_min )
        t->counter_min = n;
}

/* The TT vCPU's own exit, with the instruction counter. */
static struct tt_domain *emulate_counted(const struct vcpu *v)
{
    struct tt_domain *t = v->domain->tt;

    if ( !t || v != current || !t->in_exit ||
         t->counter != TT_COUNTER_ICOUNT )
        return NULL;

    return t;
}

void tt_emulate_start(struct vcpu *v, const struct cpu_user_regs *regs)
{
    struct tt_domain *t = emulate_counted(v);

    if ( !t )
        return;
    t->emul_rip = regs->rip;
    t->emul_rcx = regs->rcx;
}

/*
 * Count the REP iterations Xen's emulator retired for the guest, as QEMU's
 * -icount counts them when the CPU runs them: one per iteration.  The
 * instruction itself, when it completed (RIP moved), is the one that
 * tt_svm_vmexit() counts for every exit that is no landmark and moved RIP:
 * together that is QEMU's count of a REP, its iterations and the block
 * that finds RCX zero (under icount QEMU translates a REP one iteration
 * per block), and of any other instruction, one.
 */
void tt_emulate_done(struct vcpu *v, unsigned int opcode,
                     const struct cpu_user_regs *regs)
{
    struct tt_domain *t = emulate_counted(v);
    uint64_t reps;

    if ( !t )
        return;

    /* MOVS, STOS, INS: the string instructions that write memory. */
    if ( !(opcode == 0xa4 || opcode == 0xa5 || opcode == 0xaa ||
           opcode == 0xab || opcode == 0x6c || opcode == 0x6d) ||
         regs->rcx == t->emul_rcx )
        return;

    reps = t->emul_rcx - regs->rcx;
    /* A 32-bit address size counts in ECX. */
    if ( reps > t->emul_rcx )
        reps = (uint32_t)reps;

    t->count += reps;
    t->emulated += reps;
}

void tt_counter_report(const struct tt_domain *t)
{
    if ( t->counter == TT_COUNTER_NONE )
        return;
    if ( t->counter == TT_COUNTER_BRANCHES )
    {
        tt_pmu_report(t);
        return;
    }
    printk(XENLOG_INFO "tt: %pd: counter: fewest per exit %"PRIu64
           ", short exits %"PRIu64", %"PRIu64" REP iterations emulated"
           " by Xen\n", t->d, t->counter_min, t->counter_short,
           t->emulated);
}

/*
 * Local variables:
 * mode: C
 * c-file-style: "BSD"
 * c-basic-offset: 4
 * indent-tabs-mode: nil
 * End:
 */
