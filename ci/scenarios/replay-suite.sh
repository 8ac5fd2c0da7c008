# lab-timeout: 1800
# lab-known-failing: not yet seen to pass whole: in its last run (December 2026, with the early stop) the shell pair replayed faithfully (593 placements, 76 434 breakpoint exits, 79 early stops) before the run was stopped for time; earlier runs saw cpu, input, fork and sleep faithful and spin run out of time (fixed since by the early stop, as replay-alarm shows); make check cannot afford its six pairs yet (docs/design-replay.md)
# lab-icount: 1
# Scenario "replay-suite" (runs in the lab's dom0): six workloads recorded
# and replayed with ttd-xl (issue 9): a busybox shell script with pipes and
# subshells, a CPU loop, a timer-heavy sleep loop, a guest that reads
# console input typed into it, a guest that forks many short processes, a
# program spinning on a flag its own SIGALRM handler sets. Each replay must
# be faithful: ttd-xl exits 0, the consoles are byte-identical, `ttd-read-log
# diff` finds nothing. Prints the determinism score (faithful pairs /
# pairs) and the interrupts each replay placed by signature.
# LAB_SUITE_PAGING (set by replay-shadow) says which paging the guests use.
. ./dom0-lib.sh

CFG=/etc/xen/clientA.conf
pairs=0
same=0
for spec in shell:suite-shell cpu:bench-cpu sleep:bench-idle input:ttio:hello-replay fork:suite-fork spin:spin; do
	pair=${spec%%:*}
	rest=${spec#*:}
	autorun=${rest%%:*}
	input=
	[ "$autorun" = "$rest" ] || input=${rest#*:}
	pairs=$((pairs + 1))
	echo "=== pair $pair (tt.autorun=$autorun)"
	if lab_tt_pair "$CFG" "$pair" "$autorun" "$input"; then
		same=$((same + 1))
	fi
done
echo "determinism score: $same/$pairs identical record/replay pairs (${LAB_SUITE_PAGING:-hap})"
echo "suite_identical=$same" >>figures.txt
echo "suite_pairs=$pairs" >>figures.txt
lab_done
