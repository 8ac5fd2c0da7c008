# Scenario "record-bench" (runs in the lab's dom0): the figures of
# bench/record.sh (issue 4, point 8). For each workload of the guest image
# (tt.autorun=bench-cpu, bench-sys, bench-idle), clientA runs it once not
# recorded (xl create; its console from xenconsoled) and once recorded from
# its first instruction (xl create -p + tt-ctl drain; its console from the
# recording's TT-io bytes, tt-io console). The guest times its workload
# itself. Recording uses the lab tool tt-ctl, not ttd-deviced (the Swift
# daemon is being finished on another branch): this measures the
# hypervisor's side of recording, with a C consumer that polls every 10 ms.
#
# Checks only that every run ends and every log is well formed; the
# figures go to bench.txt ("WORKLOAD KEY VALUE" lines) in the share, and
# bench/record.sh turns them into a table.
. ./dom0-lib.sh

CFG=/etc/xen/clientA.conf
TMO=${BENCH_TMO:-300}
name=$(lab_cfg_name "$CFG")
log=$(lab_console_log "$name")
for t in tt-ctl tt-io; do
	command -v "$t" >/dev/null ||
		{ lab_not_ok "dom0: $t is missing (ci/tools/$t.c, built by ci/mkinitramfs.sh)"; lab_done; }
done
: >bench.txt
echo "xen_commandline $(xl info | sed -n 's/^xen_commandline *: //p')" | tee -a bench.txt
xl info | grep -E '^(xen_version|virt_caps)' 

# plain_run WORKLOAD: run the workload not recorded; its console lines go
# to plain-WORKLOAD.txt. dom0 shares the one emulated CPU with the guest,
# so it only reads the console log (busybox grep) until TT-GUEST-DONE and
# runs no xl command meanwhile: an `xl domid` every second would slow the
# guest down (the recorded run's dom0 runs only tt-ctl drain).
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
	if ! xl create -p "$CFG" "extra=\"console=hvc0 tt.autorun=bench-$w\""; then
		lab_not_ok "$w: xl create -p"
		continue
	fi
	domid=$(xl domid "$name")
	t0=$(date +%s)
	tt-ctl drain "$domid" "rec-$w.raw" "$TMO" >"drain-$w.txt" 2>&1
	rc=$?
	fig "$w" rec_wall "$(($(date +%s) - t0))"
	cat "drain-$w.txt"
	lab_check "$w: recorded, tt-ctl drain saw TT_REC_END" [ "$rc" -eq 0 ]
	t=0
	while xl domid "$name" >/dev/null 2>&1 && [ $t -lt 30 ]; do
		sleep 1
		t=$((t + 1))
	done
	xl destroy "$name" >/dev/null 2>&1
	tt-io console "rec-$w.raw" 2>/dev/null | tr -d '\r' >"rec-$w.txt"
	grep 'TT-GUEST' "rec-$w.txt"
	ms=$(sed -n "s/.*TT-GUEST: bench $w ms \([0-9]*\).*/\1/p" "rec-$w.txt" | tail -n1)
	lab_check "$w: recorded, guest printed its time (TT-io console)" [ -n "$ms" ]
	fig "$w" rec_ms "${ms:-?}"
	up=$(sed -n 's/.*TT-GUEST: bench uptime \([0-9.]*\) s.*/\1/p' "rec-$w.txt" | tail -n1)
	fig "$w" rec_uptime "${up:-?}"
	fig "$w" log_bytes "$(wc -c <"rec-$w.raw")"
	# The whole log, and the window of the workload: the records from the
	# one with its "start" console line to the one with its "ms" line.
	tt-ctl check "rec-$w.raw" "TT-GUEST: bench $w start" "TT-GUEST: bench $w ms" \
		>"check-$w.txt" 2>&1
	rc=$?
	cat "check-$w.txt"
	lab_check "$w: tt-ctl check: the log is well formed" [ "$rc" -eq 0 ]
	lab_check "$w: the log holds the workload's start and end lines" \
		grep -q '^window complete ' "check-$w.txt"
	sed -n 's/^records \([0-9]*\)$/records \1/p; s/^type \([A-Z_]*\) \([0-9]*\) .*/type_\1 \2/p; s/^end reason .* landmarks \([0-9]*\)$/landmarks \1/p; s/^window [a-z]* records \([0-9]*\) bytes \([0-9]*\) landmarks \([0-9]*\)$/w_records \1\nw_bytes \2\nw_landmarks \3/p; s/^window type \([A-Z_]*\) \([0-9]*\)$/wtype_\1 \2/p; s/^window tsc_ms \([0-9]*\)$/w_tsc_ms \1/p; s/^window from landmark \([0-9]*\) to \([0-9]*\)$/w_lm_from \1\nw_lm_to \2/p' \
		"check-$w.txt" | while read -r k v; do fig "$w" "$k" "$v"; done
	awk '$1 == "drain" && $2 == "counts" && NF == 4 { print $3, $4 }' "drain-$w.txt" |
		while read -r k v; do fig "$w" "$k" "$v"; done
done
lab_done
