#!/usr/bin/env bash
# Lab figures (issue 2, "Speed"): for each lab scenario, the time from
# QEMU's start to the guest's output (TT-GUEST-DONE in the guest console
# that xenconsoled writes to the 9p share) and the whole scenario time;
# for "grub", the time of each entry from QEMU's start to the probe's line.
# Goal: <= 2 min per scenario. Figures only, no assertions.
#
# Usage: bench/lab.sh [SCENARIO...]   (default: all)
set -euo pipefail
. "$(dirname "$0")/../lab/lib.sh"

# (lab/bench/record-bench is bench/record.sh's: two lab boots of its own.)
# One lane: a scenario's time is its own, not shared with another's QEMU.
export LAB_JOBS=${LAB_JOBS:-1}
[ $# -gt 0 ] || set -- $(bash "$LAB_TOP/lab/run.sh" list)
t0=$(date +%s)
rc=0
bash "$LAB_TOP/lab/run.sh" "$@" >"$LAB_OUT/bench-lab.log" 2>&1 || rc=$?
total=$(($(date +%s) - t0))

echo "lab figures (QEMU TCG, $(nproc) host cores, load $(cut -d' ' -f1-3 /proc/loadavg)):"
while read -r line; do
	case $line in PASS\ * | FAIL\ *) ;; *) continue ;; esac
	verdict=${line%% *}
	n=${line#* }
	n=${n%% *}
	dir=$LAB_OUT/$n
	secs=$(cat "$dir/seconds" 2>/dev/null || echo "?")
	g=$(cat "$dir/guest-output-seconds" 2>/dev/null || true)
	extra=""
	[ -n "$g" ] && extra=", boot to guest output $g s"
	if [ -f "$dir/share/figures.txt" ]; then
		extra+=", $(sed 's/=\(.*\)/ \1 s/' "$dir/share/figures.txt" | tr '\n' ',' | sed 's/,$//; s/,/, /g')"
	fi
	if [ -f "$dir/figures.txt" ]; then
		extra+=", boot to probe line: $(sed 's/=/ /; s/$/ s/' "$dir/figures.txt" | tr '\n' ',' | sed 's/,$//; s/,/, /g')"
	fi
	echo "  $n: $secs s in all$extra ($verdict)"
done <"$LAB_OUT/bench-lab.log"
echo "  lab run, initramfs build included: $total s (log: $LAB_OUT/bench-lab.log)"
[ "$rc" = 0 ] || echo "  (some scenarios failed; the figures above may be partial)"
exit 0
