// SPDX-License-Identifier: GPL-2.0-only
/*
 * tt-alarm-loop: the replay case that a register signature cannot place.
 *
 * The loop below keeps its state only in memory: every pass of it has the
 * same registers, RIP and flags, so an interrupt that lands inside it
 * (a timer tick between two landmarks) has one signature for thousands
 * of passes.  A SIGALRM every 20 ms stops it for a moment; the handler
 * notes how far the loop had got.  The counts printed differ from run to
 * run, and a replay must print exactly the recording's: only an exact
 * instruction count (tt_counter=icount) tells the passes apart.  Without
 * one, replay either places the tick at the recorded pass or reports the
 * divergence (the printed counts differ): it never runs on silently.
 *
 *   tt-alarm-loop [ALARMS]   (default 5)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>

#define MAX_ALARMS 64

static volatile unsigned long spins;    /* the loop's only state */
static volatile int stop;               /* 1: the loop ends */
static volatile int alarms;
static unsigned long seen[MAX_ALARMS];
static int wanted = 5;

static void on_alarm(int sig)
{
    (void)sig;
    if (alarms < wanted)
        seen[alarms] = spins;
    if (++alarms >= wanted)
        stop = 1;
}

int main(int argc, char **argv)
{
    struct itimerval it = {
        .it_interval = { .tv_sec = 0, .tv_usec = 20000 },
        .it_value = { .tv_sec = 0, .tv_usec = 20000 },
    };
    struct sigaction sa = { .sa_handler = on_alarm };
    int i;

    if (argc > 1)
        wanted = atoi(argv[1]);
    if (wanted < 1 || wanted > MAX_ALARMS) {
        fprintf(stderr, "tt-alarm-loop: ALARMS must be 1..%d\n", MAX_ALARMS);
        return 2;
    }
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGALRM, &sa, NULL) || setitimer(ITIMER_REAL, &it, NULL)) {
        perror("tt-alarm-loop");
        return 1;
    }

    /* incq/cmpl/je: no register changes from one pass to the next. */
    asm volatile ("1: incq %0\n\t"
                  "cmpl $0, %1\n\t"
                  "je 1b"
                  : "+m" (spins) : "m" (stop) : "cc");

    it.it_value.tv_usec = it.it_interval.tv_usec = 0;
    setitimer(ITIMER_REAL, &it, NULL);
    for (i = 0; i < wanted; i++)
        printf("TT-GUEST: alarm %d saw the loop at pass %lu\n", i + 1, seen[i]);
    printf("TT-GUEST: alarm loop ended after %lu passes\n", spins);

    return 0;
}
