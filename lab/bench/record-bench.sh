# lab-timeout: 5400
# lab-icount: 1
# Scenario "record-bench" (runs in the lab's dom0, QEMU with -icount): the
# figures of bench/record.sh (issues 4 and 11). For each workload of the
# guest image (tt.autorun=bench-cpu, bench-sys, bench-idle, bench-itimer),
# BENCH_RUNS times (default 3, bench.conf in the share), clientA runs it:
#   - plain: not recorded (xl create; its console from xenconsoled);
#   - rec:   recorded by the product with the lab's counter (ttd-xl create
#            time_travel="ttd_flag=1": under -icount ttd-deviced's default
#            counter is Xen's icount one, interrupts are delivered as they
#            arrive and logged with their count);
#   - hold:  recorded without a counter (tt_counter=none: interrupts held to
#            landmarks, placed by signature at the liveness bound, Xen's
#            default of 2 ms, shorter than the guest's 4 ms tick at HZ=250),
#            what a host without a usable counter gets;
#   - hold10: the same with the 10 ms bound Xen had before December 2026
#            (tt_bound_us=10000): ticks merge, CPU time is counted short.
# The guest times its workload itself (/proc/uptime, or tt-itimer's
# CLOCK_MONOTONIC). Under -icount the guest's clock counts the emulated
# CPU's instructions while it runs, so these times are work, not the host's
# load: the ratios repeat from run to run (the spread is printed).
#
# Checks that every run ends and every log verifies; the figures go to
# bench.txt ("WORKLOAD KEY VALUE" lines, KEY ending in _RUN) in the share,
# and bench/record.sh turns them into a table: the workload's window of the
# log (the records from the landmark of its "start" console line to that
# of its "ms" line, ttd-read-log console --landmarks and stat
# --from-landmark/--to-landmark) and Xen's counters at END (the daemon's
# "Xen's counters at END" line).
. ./dom0-lib.sh

CFG=/etc/xen/clientA.conf
TMO=${BENCH_TMO:-300}
BENCH_RUNS=3
BENCH_WORKLOADS="cpu sys idle itimer"
# bench-sys's default 3 passes take 0.2 s: too short for /proc/uptime's
# 10 ms steps to time within 2 %.
BENCH_SYS_LOOPS=15
[ -f bench.conf ] && . ./bench.conf
name=$(lab_cfg_name "$CFG")
log=$(lab_console_log "$name")
for t in ttd-xl ttd-deviced ttd-read-log; do
	command -v "$t" >/dev/null ||
		{ lab_not_ok "dom0: $t is missing (make install of swift-tools)"; lab_done; }
done
: >bench.txt
echo "xen_commandline $(xl info | sed -n 's/^xen_commandline *: //p')" | tee -a bench.txt
echo "runs $BENCH_RUNS" | tee -a bench.txt
xl info | grep -E '^(xen_version|virt_caps)'

# plain_run WORKLOAD RUN: run the workload not recorded; its console lines
# go to plain-WORKLOAD-RUN.txt. dom0 shares the one emulated CPU with the
# guest, so it only reads the console log (busybox grep) until
# TT-GUEST-DONE and runs no xl command meanwhile: an `xl domid` every
# second would slow the guest down (in the recorded run dom0 runs the
# daemon and pidof).
plain_run() {
	local n t=0
	n=$(wc -l <"$log" 2>/dev/null || echo 0)
	xl create "$CFG" "extra=\"$(extra "$1")\"" || return 1
	while ! tail -n +"$((n + 1))" "$log" 2>/dev/null | grep -q TT-GUEST-DONE; do
		[ $t -lt "$TMO" ] || break
		sleep 1
		t=$((t + 1))
	done
	while xl domid "$name" >/dev/null 2>&1 && [ $t -lt "$TMO" ]; do
		sleep 1
		t=$((t + 1))
	done
	tail -n +"$((n + 1))" "$log" 2>/dev/null | tr -d '\r' >"plain-$1-$2.txt"
	if xl domid "$name" >/dev/null 2>&1; then
		xl destroy "$name"
		return 1
	fi
}

# extra WORKLOAD: the guest's command line for it.
extra() {
	local e="console=hvc0 tt.autorun=bench-$1"
	[ "$1" = sys ] && e="$e tt.loops=$BENCH_SYS_LOOPS"
	echo "$e"
}

# fig WORKLOAD KEY VALUE
fig() { echo "$1 $2 $3" | tee -a bench.txt; }

# guest_figs WORKLOAD MODE RUN FILE: the times the guest printed.
guest_figs() {
	local w=$1 m=$2 r=$3 f=$4 ms up
	grep 'TT-GUEST' "$f"
	ms=$(sed -n "s/.*TT-GUEST: bench $w ms \([0-9]*\).*/\1/p" "$f" | tail -n1)
	lab_check "$w $m run $r: the guest printed its time" [ -n "$ms" ]
	fig "$w" "${m}_ms_$r" "${ms:-?}"
	up=$(sed -n 's/.*TT-GUEST: bench uptime \([0-9.]*\) s.*/\1/p' "$f" | tail -n1)
	fig "$w" "${m}_uptime_$r" "${up:-?}"
	if [ "$w" = itimer ]; then
		sed -n 's/.*TT-GUEST: itimer \([a-z]*\) [0-9]* ms of CPU time: signal after \([0-9]*\) ms (guest clock), user \([0-9]*\) ms.*/\1 \2 \3/p' "$f" |
			while read -r kind after user; do
				fig "$w" "${m}_${kind}_ms_$r" "$after"
				fig "$w" "${m}_${kind}_user_ms_$r" "$user"
			done
	fi
}

# rec_run WORKLOAD MODE RUN: record the workload (MODE rec: the default
# counter; hold: tt_counter=none; hold10: and a 10 ms bound) and take the
# log's figures.
rec_run() {
	local w=$1 m=$2 r=$3 LOG tt t from to rc
	LOG=$PWD/$m-$w-$r.ttlog
	rm -f "$LOG" "$LOG.incomplete"
	tt="ttd_flag=1"
	[ "$m" = hold ] && tt="ttd_flag=1, tt_counter=none"
	[ "$m" = hold10 ] && tt="ttd_flag=1, tt_counter=none, tt_bound_us=10000"
	if ! ttd-xl create "$CFG" "time_travel=\"$tt\"" "extra=\"$(extra "$w")\"" --log "$LOG" \
		>"xl-create-$m-$w-$r.txt" 2>&1; then
		cat "xl-create-$m-$w-$r.txt"
		lab_not_ok "$w $m run $r: ttd-xl create"
		return
	fi
	# The daemon ends after END (the guest powered off) and closes the log.
	t=0
	while pidof ttd-deviced >/dev/null 2>&1 && [ $t -lt "$TMO" ]; do
		sleep 1
		t=$((t + 1))
	done
	cp "/var/log/xen/ttd-deviced-$name.log" "deviced-$m-$w-$r.log"
	lab_check "$w $m run $r: ttd-deviced closed the log after END" test -f "$LOG"
	xl destroy "$name" >/dev/null 2>&1
	ttd-read-log console "$LOG" 2>/dev/null | tr -d '\r' >"$m-$w-$r.txt"
	guest_figs "$w" "$m" "$r" "$m-$w-$r.txt"
	case $(ttd-read-log stat -f "$LOG" 2>/dev/null | sed -n 's/^counter: //p' | head -n 1) in
	*icount*) fig "$w" "${m}_counter_$r" icount ;;
	*branch*) fig "$w" "${m}_counter_$r" branches ;;
	*) fig "$w" "${m}_counter_$r" none ;;
	esac
	fig "$w" "${m}_log_bytes_$r" "$(wc -c <"$LOG")"
	ttd-read-log verify -f "$LOG" >"verify-$m-$w-$r.txt" 2>&1
	rc=$?
	lab_check "$w $m run $r: ttd-read-log verify: the log is sound" [ "$rc" -eq 0 ] ||
		cat "verify-$m-$w-$r.txt"
	# The whole log, and the window of the workload: the records from the
	# landmark of its "start" console line to that of its "ms" line.
	ttd-read-log stat -f "$LOG" >"stat-$m-$w-$r.txt" 2>&1
	ttd-read-log console --landmarks "$LOG" >"lines-$m-$w-$r.txt" 2>/dev/null
	from=$(grep -m1 "TT-GUEST: bench $w start" "lines-$m-$w-$r.txt" | sed 's/^lm:\([0-9]*\) .*/\1/')
	to=$(grep -m1 "TT-GUEST: bench $w ms" "lines-$m-$w-$r.txt" | sed 's/^lm:\([0-9]*\) .*/\1/')
	lab_check "$w $m run $r: the log holds the workload's start and end lines (landmarks ${from:-?} to ${to:-?})" \
		[ -n "$from" -a -n "$to" ]
	[ -n "$from" -a -n "$to" ] || return
	ttd-read-log stat -f "$LOG" --from-landmark "$from" --to-landmark "$to" >"wstat-$m-$w-$r.txt" 2>&1
	sed -n 's/^records: \([0-9]*\) in.*/records \1/p; s/^landmarks: [0-9]* to \([0-9]*\) .*/landmarks \1/p' "stat-$m-$w-$r.txt" |
		while read -r k v; do fig "$w" "${m}_${k}_$r" "$v"; done
	fig "$w" "${m}_w_landmarks_$r" "$((to - from))"
	sed -n 's/^records: \([0-9]*\) in.*/w_records \1/p; s/^record bytes: \([0-9]*\) .*/w_bytes \1/p; s/^records placed by signature: \([0-9]*\).*/w_by_signature \1/p' "wstat-$m-$w-$r.txt" |
		while read -r k v; do fig "$w" "${m}_${k}_$r" "$v"; done
	awk 'f && NF == 4 && $1 ~ /^[A-Z_]+$/ { print "wtype_" $1, $2 } /^type / { f = 1 }' "wstat-$m-$w-$r.txt" |
		while read -r k v; do fig "$w" "${m}_${k}_$r" "$v"; done
	# Xen's counters when END came (TTOP_landmark_counts).
	sed -n "s/.*Xen's counters at END: //p" "deviced-$m-$w-$r.log" | tail -n1 | tr ' ' '\n' |
		awk -F= '$1 ~ /^(exits|other|max_gap_ns|gap_sum_ns)$/ { print $1, $2 }' |
		while read -r k v; do fig "$w" "${m}_${k}_$r" "$v"; done
}

for w in $BENCH_WORKLOADS; do
	r=1
	while [ "$r" -le "$BENCH_RUNS" ]; do
		echo "=== workload $w, run $r: not recorded"
		lab_check "$w plain run $r: the guest ran and powered off" plain_run "$w" "$r"
		guest_figs "$w" plain "$r" "plain-$w-$r.txt"
		echo "=== workload $w, run $r: recorded with the counter"
		rec_run "$w" rec "$r"
		echo "=== workload $w, run $r: recorded without a counter (interrupts held)"
		rec_run "$w" hold "$r"
		echo "=== workload $w, run $r: recorded without a counter, 10 ms bound"
		rec_run "$w" hold10 "$r"
		r=$((r + 1))
	done
done
lab_done
