# lab-timeout: 2700
# lab-icount: 1
# Scenario "replay-suite" (runs in the lab's dom0): workloads recorded and
# replayed with ttd-xl on hardware-assisted paging (issue 9), of these six: a busybox
# shell script with pipes and subshells, a CPU loop, a timer-heavy sleep
# loop, a guest that reads console input typed into it, a guest that forks
# many short processes, a program spinning on a flag its own SIGALRM
# handler sets. Each replay must be faithful: ttd-xl exits 0, the consoles
# are byte-identical, `ttd-read-log diff` finds nothing. Prints the
# determinism score (faithful pairs / pairs) and the interrupts each replay
# placed by signature. replay-shadow runs the pairs on shadow paging.
#
# The sleep pair records its guest with a TSC of 1.5 GHz where the lab's
# host has 1 GHz (time_travel's tt_tsc_khz=1500000): its replay, on this
# 1 GHz host, must run the guest's TSC at the recorded frequency, as on
# another host (issue 9 part 1 item 8), and say so in its DOMAIN_START.
. ./dom0-lib.sh

LAB_SUITE_RECORD_sleep=", tt_tsc_khz=1500000"
# make check runs three pairs here and the other three on shadow paging
# (replay-shadow), so that it stays under an hour on two cores; LAB_SUITE=full
# in replay-suite.conf (LAB_SHARE_FILES) runs all six on each.
pairs="cpu:bench-cpu sleep:bench-idle input:ttio:hello-replay"
[ -f replay-suite.conf ] && . ./replay-suite.conf
[ "${LAB_SUITE:-}" = full ] && pairs="shell:suite-shell cpu:bench-cpu sleep:bench-idle input:ttio:hello-replay fork:suite-fork spin:spin"
lab_suite hap $pairs
for f in sleep.ttlog sleep.ttlog.clientA.replay.0; do
	lab_check "$f: DOMAIN_START has the recorded guest TSC frequency, 1500000 kHz (the host's: $(xl info | sed -n 's/^cpu_mhz *: //p') MHz)" \
		sh -c "ttd-read-log -i -f '$f' 2>/dev/null | head -n 1 | grep -q ' tsc_khz=1500000\$'"
done
lab_done
