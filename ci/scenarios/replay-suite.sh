# lab-timeout: 1800
# lab-icount: 1
# Scenario "replay-suite" (runs in the lab's dom0): six workloads recorded
# and replayed with ttd-xl on hardware-assisted paging (issue 9): a busybox
# shell script with pipes and subshells, a CPU loop, a timer-heavy sleep
# loop, a guest that reads console input typed into it, a guest that forks
# many short processes, a program spinning on a flag its own SIGALRM
# handler sets. Each replay must be faithful: ttd-xl exits 0, the consoles
# are byte-identical, `ttd-read-log diff` finds nothing. Prints the
# determinism score (faithful pairs / pairs) and the interrupts each replay
# placed by signature. replay-shadow runs the same pairs on shadow paging.
. ./dom0-lib.sh

lab_suite hap shell:suite-shell cpu:bench-cpu sleep:bench-idle input:ttio:hello-replay fork:suite-fork spin:spin
lab_done
