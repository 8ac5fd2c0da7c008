/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unit test of xen/src/arch/x86/cpu/tt-pmu-arith.h, the 48-bit counter
 * arithmetic of TT_COUNTER_BRANCHES, with the host's compiler.
 *
 *   make -C xen unit-test      (also part of `make check`)
 *
 * Prints one line per failure and closes with
 * "pmu-arith: N tests, N failures"; exits 1 on any failure.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "tt-pmu-arith.h"

static unsigned int tests, failures;

#define CHECK(cond) check(!!(cond), #cond, __LINE__)
#define CHECK_EQ(got, want) check_eq((got), (want), #got, __LINE__)

static void check(int ok, const char *what, int line)
{
    tests++;
    if ( !ok )
    {
        failures++;
        printf("FAIL line %d: %s\n", line, what);
    }
}

static void check_eq(uint64_t got, uint64_t want, const char *what, int line)
{
    tests++;
    if ( got != want )
    {
        failures++;
        printf("FAIL line %d: %s is %#" PRIx64 ", want %#" PRIx64 "\n",
               line, what, got, want);
    }
}

#define MASK  TT_PMU_MASK
#define HALF  TT_PMU_PERIOD_MAX
#define U64MAX UINT64_MAX

static void test_constants(void)
{
    CHECK_EQ(MASK, 0xffffffffffffULL);
    CHECK_EQ(HALF, 0x800000000000ULL);
    CHECK(TT_PMU_SKID_MARGIN < HALF);
}

/* PERF_CTL: the event, USR+OS, EN, GuestOnly without HostOnly. */
static void test_ctl(void)
{
    uint64_t c = tt_pmu_ctl(TT_PMU_EVENT_TAKEN_BRANCHES, 0, true, false);

    CHECK_EQ(c, 0x100004300c4ULL);
    CHECK(c & TT_PMU_CTL_GUESTONLY);
    CHECK(!(c & TT_PMU_CTL_HOSTONLY));
    CHECK(!(c & TT_PMU_CTL_INT));
    CHECK((c & (TT_PMU_CTL_USR | TT_PMU_CTL_OS)) ==
          (TT_PMU_CTL_USR | TT_PMU_CTL_OS));
    CHECK(c & TT_PMU_CTL_EN);

    /* The overflow interrupt only when asked for. */
    CHECK_EQ(tt_pmu_ctl(0xc4, 0, true, true), 0x100004300c4ULL | (1ULL << 20));
    /* Host and guest: neither bit (both set would count always, too). */
    CHECK_EQ(tt_pmu_ctl(0xc4, 0, false, false), 0x4300c4ULL);
    /* A 12-bit event: EventSelect[11:8] in bits 35:32; a umask. */
    CHECK_EQ(tt_pmu_ctl(0x1d1, 0x5a, false, false), 0x100435ad1ULL);
    /* Bits that do not fit are dropped, never spilled into others. */
    CHECK_EQ(tt_pmu_ctl(0xf0c4, 0x1ff, true, false) &
             ~(0xfffULL | 0xf00000000ULL | 0xff00ULL),
             TT_PMU_CTL_USR | TT_PMU_CTL_OS | TT_PMU_CTL_EN |
             TT_PMU_CTL_GUESTONLY);
    CHECK(!(tt_pmu_ctl(~0U, ~0U, true, true) >> 42));
}

/* The value to program for "interrupt after n events". */
static void test_start(void)
{
    static const uint64_t ns[] = {
        1, 2, 3, 1000, TT_PMU_SKID_MARGIN, 0xffffffffULL, 0x100000000ULL,
        HALF - 1, HALF,
    };
    unsigned int i;

    CHECK_EQ(tt_pmu_start(1), MASK);
    CHECK_EQ(tt_pmu_start(2), MASK - 1);
    CHECK_EQ(tt_pmu_start(HALF), HALF);
    CHECK_EQ(tt_pmu_start(HALF - 1), HALF + 1);
    /* Zero distance: clamped to one event, never 2^48 (a value of 0). */
    CHECK_EQ(tt_pmu_start(0), MASK);
    /* Huge distances: clamped to half the counter. */
    CHECK_EQ(tt_pmu_start(HALF + 1), HALF);
    CHECK_EQ(tt_pmu_start(MASK), HALF);
    CHECK_EQ(tt_pmu_start(MASK + 1), HALF);
    CHECK_EQ(tt_pmu_start(U64MAX), HALF);

    for ( i = 0; i < sizeof(ns) / sizeof(ns[0]); i++ )
    {
        uint64_t s = tt_pmu_start(ns[i]);

        /* Fits the counter; after n events it is 2^48: zero, overflowed. */
        CHECK(s <= MASK);
        CHECK_EQ((s + ns[i]) & MASK, 0);
        CHECK_EQ(tt_pmu_delta(s, 0), ns[i]);
        CHECK(tt_pmu_fired(ns[i], tt_pmu_delta(s, 0)));
        /* One event short: not yet. */
        CHECK(!tt_pmu_fired(ns[i], tt_pmu_delta(s, (s + ns[i] - 1) & MASK)));
    }
}

/* Events between a write and a read, across the wrap. */
static void test_delta(void)
{
    CHECK_EQ(tt_pmu_delta(5, 10), 5);
    CHECK_EQ(tt_pmu_delta(0, 0), 0);
    CHECK_EQ(tt_pmu_delta(MASK, MASK), 0);
    CHECK_EQ(tt_pmu_delta(0, MASK), MASK);
    /* Wrap-around: from 2^48 - 3 to 3 is 6 events. */
    CHECK_EQ(tt_pmu_delta(MASK - 2, 3), 6);
    CHECK_EQ(tt_pmu_delta(MASK, 0), 1);
    /* A read that wrapped past its start is 2^48 - 1 at most, not negative. */
    CHECK_EQ(tt_pmu_delta(1, 0), MASK);
    /* Bits above the counter's width do not count. */
    CHECK_EQ(tt_pmu_delta(0, 1ULL << 48), 0);
    CHECK_EQ(tt_pmu_delta(0xffff000000000005ULL, 7), 2);
    CHECK_EQ(tt_pmu_delta(3, 0xabcd000000000009ULL), 6);

    /* An armed run that overflowed with a skid of k: n + k. */
    {
        static const uint64_t ns[] = { 1, 77, 1ULL << 20, HALF };
        static const uint64_t ks[] = { 0, 1, 250, TT_PMU_SKID_MARGIN - 1,
                                       1ULL << 40 };
        unsigned int i, j;

        for ( i = 0; i < sizeof(ns) / sizeof(ns[0]); i++ )
            for ( j = 0; j < sizeof(ks) / sizeof(ks[0]); j++ )
            {
                uint64_t s = tt_pmu_start(ns[i]);
                uint64_t e = (s + ns[i] + ks[j]) & MASK;

                CHECK_EQ(tt_pmu_delta(s, e), ns[i] + ks[j]);
                CHECK(tt_pmu_fired(ns[i], tt_pmu_delta(s, e)));
            }
    }

    /* Not armed: never fired, whatever was counted. */
    CHECK(!tt_pmu_fired(0, 0));
    CHECK(!tt_pmu_fired(0, MASK));
}

/* The distance to arm, less the skid margin, and its clamps. */
static void test_stop_distance(void)
{
    const uint64_t m = TT_PMU_SKID_MARGIN;

    /* Zero distance, and a target behind: no PMI. */
    CHECK_EQ(tt_pmu_stop_distance(0, 0, m), 0);
    CHECK_EQ(tt_pmu_stop_distance(500, 500, m), 0);
    CHECK_EQ(tt_pmu_stop_distance(501, 500, m), 0);
    CHECK_EQ(tt_pmu_stop_distance(U64MAX, 0, m), 0);
    /* Closer than the margin, or at it: no PMI (the breakpoint steps). */
    CHECK_EQ(tt_pmu_stop_distance(0, 1, m), 0);
    CHECK_EQ(tt_pmu_stop_distance(100, 100 + m - 1, m), 0);
    CHECK_EQ(tt_pmu_stop_distance(100, 100 + m, m), 0);
    /* Just past it: one event before the margin. */
    CHECK_EQ(tt_pmu_stop_distance(100, 100 + m + 1, m), 1);
    CHECK_EQ(tt_pmu_stop_distance(0, 1000000, m), 1000000 - m);
    /* Without a margin: the whole distance. */
    CHECK_EQ(tt_pmu_stop_distance(7, 8, 0), 1);
    CHECK_EQ(tt_pmu_stop_distance(7, 7, 0), 0);
    /* Huge distances: half the counter per run. */
    CHECK_EQ(tt_pmu_stop_distance(0, HALF + m, m), HALF);
    CHECK_EQ(tt_pmu_stop_distance(0, HALF + m + 1, m), HALF);
    CHECK_EQ(tt_pmu_stop_distance(0, HALF + m - 1, m), HALF - 1);
    CHECK_EQ(tt_pmu_stop_distance(0, U64MAX, m), HALF);
    CHECK_EQ(tt_pmu_stop_distance(U64MAX - 1, U64MAX, 0), 1);
    /* A margin larger than anything: never armed. */
    CHECK_EQ(tt_pmu_stop_distance(0, U64MAX, U64MAX), 0);
}

/* The running 64-bit count. */
static void test_count_add(void)
{
    uint64_t c = 0;

    CHECK(tt_pmu_count_add(&c, 5));
    CHECK_EQ(c, 5);
    CHECK(tt_pmu_count_add(&c, 0));
    CHECK_EQ(c, 5);
    CHECK(tt_pmu_count_add(&c, MASK));
    CHECK_EQ(c, MASK + 5);

    c = U64MAX - 10;
    CHECK(tt_pmu_count_add(&c, 10));
    CHECK_EQ(c, U64MAX);
    CHECK(tt_pmu_count_add(&c, 0));

    c = U64MAX - 10;
    CHECK(!tt_pmu_count_add(&c, 11));
    CHECK_EQ(c, U64MAX);
    c = 1;
    CHECK(!tt_pmu_count_add(&c, U64MAX));
    CHECK_EQ(c, U64MAX);
}

/*
 * Replay's approach to a count: arm, run to the PMI with a skid short of
 * the margin, add, again, until the target is within the margin.  The
 * stop never passes the target, and ends within the margin of it.
 */
static void test_approach(void)
{
    static const uint64_t wants[] = {
        0, 1, TT_PMU_SKID_MARGIN, TT_PMU_SKID_MARGIN + 1, 123456789,
        HALF + 17, 3 * HALF, 0xfedcba9876543210ULL,
    };
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    unsigned int i;

    for ( i = 0; i < sizeof(wants) / sizeof(wants[0]); i++ )
    {
        uint64_t count = 0, want = wants[i], n, start, end, skid;
        unsigned int stops = 0;
        int ok = 1;

        while ( (n = tt_pmu_stop_distance(count, want,
                                          TT_PMU_SKID_MARGIN)) != 0 )
        {
            /* A skid below the margin (xorshift). */
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            skid = seed % TT_PMU_SKID_MARGIN;

            start = tt_pmu_start(n);
            end = (start + n + skid) & MASK;
            if ( !tt_pmu_fired(n, tt_pmu_delta(start, end)) ||
                 !tt_pmu_count_add(&count, tt_pmu_delta(start, end)) ||
                 count >= want || ++stops > 1000000 )
            {
                ok = 0;
                break;
            }
        }
        CHECK(ok);
        CHECK(count <= want);
        CHECK(want - count <= TT_PMU_SKID_MARGIN);
    }
}

int main(void)
{
    test_constants();
    test_ctl();
    test_start();
    test_delta();
    test_stop_distance();
    test_count_add();
    test_approach();

    printf("pmu-arith: %u tests, %u failures\n", tests, failures);

    return failures ? 1 : 0;
}
