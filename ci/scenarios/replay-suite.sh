# lab-timeout: 1800
# lab-known-failing: with the instruction counter replay follows some 151 000-159 000 landmarks, every count equal, then a landmark's count differs (by 1 or 33 instructions, no exit between; QEMU icount suspected) (docs/design-replay.md "Where replay stands")
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
