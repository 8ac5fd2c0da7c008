// SPDX-License-Identifier: GPL-2.0-only
/*
 * tt-itimer: does a recorded guest account CPU time as an unrecorded one?
 *
 * Linux counts a process's CPU time by timer ticks: the tick that lands
 * while it runs in user space charges it a tick of user time.  Where a
 * recording holds timer interrupts to landmarks, a process spinning in
 * user space (no landmarks) gets fewer ticks, and everything built on CPU
 * time runs slow: interval timers (ITIMER_VIRTUAL, ITIMER_PROF), times(),
 * the scheduler's fairness, watchdogs (issue 11, item 8).
 *
 * For each of ITIMER_VIRTUAL and ITIMER_PROF: arm it for MS milliseconds
 * of CPU time, spin in user space until its signal, and print how long
 * that took on the guest's own clock (CLOCK_MONOTONIC) and the user and
 * system time times() charged meanwhile.  Unrecorded, both take about MS
 * ms of clock; bench/record.sh prints the recorded/unrecorded ratio.
 *
 *   tt-itimer [MS]   (default 500)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t fired;

static void on_signal(int sig)
{
    (void)sig;
    fired = 1;
}

static long ms_between(const struct timespec *a, const struct timespec *b)
{
    return (b->tv_sec - a->tv_sec) * 1000L +
           (b->tv_nsec - a->tv_nsec) / 1000000L;
}

static int measure(const char *name, int which, int sig, long ms)
{
    struct itimerval it = {
        .it_value = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 },
    };
    struct sigaction sa = { .sa_handler = on_signal };
    long hz = sysconf(_SC_CLK_TCK);
    struct timespec t0, t1;
    struct tms c0, c1;
    unsigned long spins = 0;

    sigemptyset(&sa.sa_mask);
    fired = 0;
    if (sigaction(sig, &sa, NULL)) {
        perror("tt-itimer: sigaction");
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    times(&c0);
    if (setitimer(which, &it, NULL)) {
        perror("tt-itimer: setitimer");
        return 1;
    }
    while (!fired)
        spins++;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    times(&c1);
    printf("TT-GUEST: itimer %s %ld ms of CPU time: signal after %ld ms "
           "(guest clock), user %ld ms, system %ld ms charged, %lu spins\n",
           name, ms, ms_between(&t0, &t1),
           (long)(c1.tms_utime - c0.tms_utime) * 1000L / hz,
           (long)(c1.tms_stime - c0.tms_stime) * 1000L / hz, spins);

    return 0;
}

int main(int argc, char **argv)
{
    long ms = argc > 1 ? atol(argv[1]) : 500;

    if (ms < 1 || ms > 60000) {
        fprintf(stderr, "tt-itimer: MS must be 1..60000\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);

    return measure("virtual", ITIMER_VIRTUAL, SIGVTALRM, ms) ||
           measure("prof", ITIMER_PROF, SIGPROF, ms);
}
