# Scenario "record-bench" (runs in the lab's dom0): the figures of
# bench/record.sh (issue 4, point 8). For each workload of the guest image
# (tt.autorun=bench-cpu, bench-sys, bench-idle), clientA runs it once not
# recorded (xl create; its console from xenconsoled) and once recorded from
# its first instruction by the product (ttd-xl create time_travel=
# "ttd_flag=1": ttd-deviced writes the log; its console from the log,
# ttd-read-log console). The guest times its workload itself.
#
# Checks that every run ends and every log verifies; the figures go to
# bench.txt ("WORKLOAD KEY VALUE" lines) in the share, and bench/record.sh
# turns them into a table: the workload's window of the log (the records
# from the landmark of its "start" console line to that of its "ms" line,
# ttd-read-log console --landmarks and stat --from-landmark/--to-landmark)
# and Xen's counters at END (the daemon's "Xen's counters at END" line).
. ./dom0-lib.sh

CFG=/etc/xen/clientA.conf
TMO=${BENCH_TMO:-300}
name=$(lab_cfg_name "$CFG")
log=$(lab_console_log "$name")
for t in ttd-xl ttd-deviced ttd-read-log; do
	command -v "$t" >/dev/null ||
		{ lab_not_ok "dom0: $t is missing (make install of swift-tools)"; lab_done; }
done
: >bench.txt
echo "xen_commandline $(xl info | sed -n 's/^xen_commandline *: //p')" | tee -a bench.txt
xl info | grep -E '^(xen_version|virt_caps)' 

# plain_run WORKLOAD: run the workload not recorded; its console lines go
# to plain-WORKLOAD.txt. dom0 shares the one emulated CPU with the guest,
# so it only reads the console log (busybox grep) until TT-GUEST-DONE and
# runs no xl command meanwhile: an `xl domid` every second would slow the
# guest down (in the recorded run dom0 runs the daemon and pidof).
plain_run() {
	local n t=0 t0
	n=$(wc -l <"$log" 2>/dev/null || echo 0)
	t0=$(date +%s)
	xl create "$CFG" "extra=\"console=hvc0 tt.autorun=bench-$1\"" || return 1
	while ! tail -n +"$((n + 1))" "$log" 2>/dev/null | grep -q TT-GUEST-DONE; do
		[ $t -lt "$TMO" ] || break
		sleep 1
		t=$((t + 1))
	done
	while xl domid "$name" >/dev/null 2>&1 && [ $t -lt "$TMO" ]; do
		sleep 1
		t=$((t + 1))
	done
	LAB_GUEST_SECS=$(($(date +%s) - t0))
	tail -n +"$((n + 1))" "$log" 2>/dev/null | tr -d '\r' >"plain-$1.txt"
	if xl domid "$name" >/dev/null 2>&1; then
		xl destroy "$name"
		return 1
	fi
}

# fig WORKLOAD KEY VALUE
fig() { echo "$1 $2 $3" | tee -a bench.txt; }

for w in cpu sys idle; do
	echo "=== workload $w, not recorded"
	lab_check "$w: not recorded, guest ran and powered off" plain_run "$w"
	grep 'TT-GUEST' "plain-$w.txt"
	ms=$(sed -n "s/.*TT-GUEST: bench $w ms \([0-9]*\).*/\1/p" "plain-$w.txt" | tail -n1)
	lab_check "$w: not recorded, guest printed its time" [ -n "$ms" ]
	fig "$w" plain_ms "${ms:-?}"
	up=$(sed -n 's/.*TT-GUEST: bench uptime \([0-9.]*\) s.*/\1/p' "plain-$w.txt" | tail -n1)
	fig "$w" plain_uptime "${up:-?}"
	fig "$w" plain_wall "$LAB_GUEST_SECS"

	echo "=== workload $w, recorded"
	LOG=$PWD/rec-$w.ttlog
	rm -f "$LOG" "$LOG.incomplete"
	t0=$(date +%s)
	if ! ttd-xl create "$CFG" 'time_travel="ttd_flag=1"' "extra=\"console=hvc0 tt.autorun=bench-$w\"" --log "$LOG" \
		>"xl-create-$w.txt" 2>&1; then
		cat "xl-create-$w.txt"
		lab_not_ok "$w: ttd-xl create"
		continue
	fi
	# The daemon ends after END (the guest powered off) and closes the log.
	t=0
	while pidof ttd-deviced >/dev/null 2>&1 && [ $t -lt "$TMO" ]; do
		sleep 1
		t=$((t + 1))
	done
	fig "$w" rec_wall "$(($(date +%s) - t0))"
	cat "/var/log/xen/ttd-deviced-$name.log"
	lab_check "$w: recorded, ttd-deviced closed the log after END" test -f "$LOG"
	xl destroy "$name" >/dev/null 2>&1
	ttd-read-log console "$LOG" 2>/dev/null | tr -d '\r' >"rec-$w.txt"
	grep 'TT-GUEST' "rec-$w.txt"
	ms=$(sed -n "s/.*TT-GUEST: bench $w ms \([0-9]*\).*/\1/p" "rec-$w.txt" | tail -n1)
	lab_check "$w: recorded, guest printed its time (TT-io console)" [ -n "$ms" ]
	fig "$w" rec_ms "${ms:-?}"
	up=$(sed -n 's/.*TT-GUEST: bench uptime \([0-9.]*\) s.*/\1/p' "rec-$w.txt" | tail -n1)
	fig "$w" rec_uptime "${up:-?}"
	fig "$w" log_bytes "$(wc -c <"$LOG")"
	ttd-read-log verify -f "$LOG" >"verify-$w.txt" 2>&1
	rc=$?
	cat "verify-$w.txt"
	lab_check "$w: ttd-read-log verify: the log is sound" [ "$rc" -eq 0 ]
	# The whole log, and the window of the workload: the records from the
	# landmark of its "start" console line to that of its "ms" line.
	ttd-read-log stat -f "$LOG" >"stat-$w.txt" 2>&1
	ttd-read-log console --landmarks "$LOG" >"lines-$w.txt" 2>/dev/null
	from=$(grep -m1 "TT-GUEST: bench $w start" "lines-$w.txt" | sed 's/^lm:\([0-9]*\) .*/\1/')
	to=$(grep -m1 "TT-GUEST: bench $w ms" "lines-$w.txt" | sed 's/^lm:\([0-9]*\) .*/\1/')
	lab_check "$w: the log holds the workload's start and end lines (landmarks ${from:-?} to ${to:-?})" \
		[ -n "$from" -a -n "$to" ]
	[ -n "$from" -a -n "$to" ] &&
		ttd-read-log stat -f "$LOG" --from-landmark "$from" --to-landmark "$to" >"wstat-$w.txt" 2>&1
	cat "stat-$w.txt" "wstat-$w.txt" 2>/dev/null
	sed -n 's/^records: \([0-9]*\) in.*/records \1/p; s/^landmarks: [0-9]* to \([0-9]*\) .*/landmarks \1/p' "stat-$w.txt" |
		while read -r k v; do fig "$w" "$k" "$v"; done
	awk 'f && NF == 4 && $1 ~ /^[A-Z_]+$/ { print "type_" $1, $2 } /^type / { f = 1 }' "stat-$w.txt" |
		while read -r k v; do fig "$w" "$k" "$v"; done
	if [ -s "wstat-$w.txt" ]; then
		fig "$w" w_lm_from "$from"
		fig "$w" w_lm_to "$to"
		fig "$w" w_landmarks "$((to - from))"
		sed -n 's/^records: \([0-9]*\) in.*/w_records \1/p; s/^record bytes: \([0-9]*\) .*/w_bytes \1/p' "wstat-$w.txt" |
			while read -r k v; do fig "$w" "$k" "$v"; done
		awk '/^guest time: [0-9.]* s/ { printf "w_tsc_ms %d\n", $3 * 1000 }' "wstat-$w.txt" |
			while read -r k v; do fig "$w" "$k" "$v"; done
		awk 'f && NF == 4 && $1 ~ /^[A-Z_]+$/ { print "wtype_" $1, $2 } /^type / { f = 1 }' "wstat-$w.txt" |
			while read -r k v; do fig "$w" "$k" "$v"; done
	fi
	# Xen's counters when END came (TTOP_landmark_counts).
	sed -n "s/.*Xen's counters at END: //p" "/var/log/xen/ttd-deviced-$name.log" | tail -n1 | tr ' ' '\n' |
		awk -F= '$1 ~ /^(exits|other|continuations|max_gap_ns|gap_sum_ns|max_gap_landmark)$/ { print $1, $2 }' |
		while read -r k v; do fig "$w" "$k" "$v"; done
done
lab_done
