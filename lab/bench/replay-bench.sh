# lab-timeout: 2400
# lab-icount: 1
# Scenario "replay-bench" (runs in the lab's dom0, QEMU with -icount): the
# figures of bench/replay.sh (issue 9, part 2 item 6). For each workload
# (tt.autorun=bench-cpu: a CPU-bound shell loop; bench-idle: 300 sleeps of
# 0.1 s, an idle-heavy guest: 30 s of sleep after its busy boot of about
# 2 s; bench-sys: system calls) clientA is recorded with ttd-xl and
# replayed with ttd-xl, as a user would. Under -icount dom0's clock counts
# the emulated CPU's instructions while it runs (and host time while it
# idles), so a run's time is the work it took, Xen's and dom0's included,
# not the host's load: the replay/record ratio is reproducible.
#
# Checks only that each replay is faithful (as the replay scenarios do);
# the figures go to bench.txt ("WORKLOAD KEY VALUE" lines) in the share,
# and bench/replay.sh turns them into a table.
. ./dom0-lib.sh

CFG=/etc/xen/clientA.conf
: >bench.txt
echo "xen_commandline $(xl info | sed -n 's/^xen_commandline *: //p')" | tee -a bench.txt

# The replay's placement figures, from Xen's line when its replay ended:
# "tt: dN: replay placed N interrupts by signature: N breakpoint exits, N
# early stops" (the last one in xl dmesg).
placement() {
	xl dmesg | sed -n 's/.*replay placed \([0-9]*\) interrupts by signature: \([0-9]*\) breakpoint exits, \([0-9]*\) early stops.*/\1 \2 \3/p' |
		tail -n 1
}

for w in cpu idle sys; do
	loops=
	[ "$w" = idle ] && loops=tt.loops=300
	LAB_PAIR_CMDLINE=$loops lab_tt_pair "$CFG" "bench-$w" "bench-$w" || true
	set -- $(placement)
	{
		echo "$w record_s ${LAB_PAIR_RECORD_RUN:-?}"
		echo "$w replay_s ${LAB_PAIR_REPLAY_RUN:-?}"
		echo "$w placed ${1:-?}"
		echo "$w bp_exits ${2:-?}"
		echo "$w early_stops ${3:-?}"
		# The search: from ttd-deviced's closing line of the replay.
		sed -n 's/.*breakpoint hits \([0-9]*\).*/\1/p' "bench-$w-replay.txt" \
			"/var/log/xen/ttd-deviced-clientA.log" 2>/dev/null | tail -n 1 | sed "s/^/$w bp_hits_daemon /"
		grep -h 'TT-GUEST: bench' "bench-$w-record.console" | sed "s/^/$w guest /"
	} | tee -a bench.txt
done
lab_done
