#!/usr/bin/env bash
# Run lab scenarios: lab/run.sh SCENARIO... | all | list
#
# A scenario is lab/scenarios/NAME.sh, run in the lab's dom0 (Xen + dom0
# booted in QEMU), or lab/scenarios/NAME.host.sh, run on the host (for
# scenarios that boot something else, such as the GRUB images). Prints one
# PASS/FAIL line per scenario with its time and ends with "N passed, N
# failed"; the exit code is non-zero if any scenario failed.
# Logs: $OUT/lab/NAME/ (serial.log, share/scenario.log, share/console/).
# LAB_SHARE_FILES="FILE..." copies files into each scenario's share folder
# (/mnt/lab in dom0) before it boots: a log to replay again, for example.
# Benchmark scenarios (lab/bench/NAME.sh) and diagnostics
# (lab/diagnostics/NAME.sh) run the same way when named, but are not tests:
# `all` and `list` (what make check runs) leave them out.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SCEN_DIR=$LAB_TOP/lab/scenarios
BENCH_SCEN_DIR=$LAB_TOP/lab/bench
DIAG_SCEN_DIR=$LAB_TOP/lab/diagnostics

# The dom0 script of scenario $1 (empty for a host scenario or none).
dom0_script() {
	if [ -f "$SCEN_DIR/$1.sh" ]; then
		echo "$SCEN_DIR/$1.sh"
	elif [ -f "$BENCH_SCEN_DIR/$1.sh" ]; then
		echo "$BENCH_SCEN_DIR/$1.sh"
	elif [ -f "$DIAG_SCEN_DIR/$1.sh" ]; then
		echo "$DIAG_SCEN_DIR/$1.sh"
	fi
}

all_scenarios() {
	local f n
	for f in "$SCEN_DIR"/*.sh; do
		n=$(basename "$f")
		n=${n%.sh}
		echo "${n%.host}"
	done | LC_ALL=C sort -u
}

# known_failing NAME: the reason in the scenario's "# lab-known-failing:"
# line, if it has one: `all` skips it (and says so), naming it runs it.
known_failing() {
	local f=$SCEN_DIR/$1.sh
	[ -f "$f" ] || f=$SCEN_DIR/$1.host.sh
	[ -f "$f" ] && sed -n 's/^# lab-known-failing: *//p' "$f" | head -n 1
}

usage() {
	echo "usage: lab/run.sh SCENARIO...|all|list   (scenarios: $(all_scenarios | tr '\n' ' '))" >&2
	exit 2
}

[ $# -ge 1 ] || usage
skipped=()
case $1 in
-h | --help) usage ;;
list) all_scenarios; exit 0 ;;
all)
	mapfile -t names < <(all_scenarios)
	skipped=()
	for n in "${names[@]}"; do
		[ -n "$(known_failing "$n")" ] && skipped+=("$n")
	done
	if [ ${#skipped[@]} -gt 0 ]; then
		mapfile -t names < <(printf '%s\n' "${names[@]}" | grep -vxF -f <(printf '%s\n' "${skipped[@]}"))
	fi
	;;
*) names=("$@") ;;
esac
for n in "${names[@]}"; do
	[ -n "$(dom0_script "$n")" ] || [ -f "$SCEN_DIR/$n.host.sh" ] ||
		die "no scenario '$n'. Choose one of: $(all_scenarios | tr '\n' ' ')"
done

lab_need_qemu
lab_lock
mkdir -p "$LAB_OUT" || die "cannot create $LAB_OUT. Set OUT to a writable folder."

# The dom0 initramfs, once for all dom0 scenarios.
initramfs_err=""
for n in "${names[@]}"; do
	if [ -n "$(dom0_script "$n")" ]; then
		if ! bash "$LAB_TOP/lab/dom0/mkinitramfs.sh" 2>"$LAB_OUT/mkinitramfs.log"; then
			initramfs_err=$(tail -n 1 "$LAB_OUT/mkinitramfs.log")
		fi
		grep '^tt-xen: lab:' "$LAB_OUT/mkinitramfs.log" >&2 || true
		break
	fi
done

# scenario_timeout NAME: its "# lab-timeout: N" header, or LAB_TIMEOUT.
scenario_timeout() {
	local f
	f=$(dom0_script "$1")
	[ -n "$f" ] || f=$SCEN_DIR/$1.host.sh
	sed -n 's/^# lab-timeout: *\([0-9][0-9]*\).*/\1/p' "$f" | head -n 1 | grep . || echo "$LAB_TIMEOUT"
}

# run_scenario NAME: boot the lab (or run the host script) for one
# scenario; its report (the PASS/FAIL line, its ok/not ok lines, on a
# failure the end of the serial console) goes to $LAB_OUT/NAME.report.
run_scenario() {
	local n=$1 dir t0 why share tmo icnt cpu smp xen xen_missing= st secs xenbad
	{
		dir=$LAB_OUT/$n
		rm -rf "$dir"
		mkdir -p "$dir"
		t0=$(date +%s)
		why=""
		if [ -f "$SCEN_DIR/$n.host.sh" ]; then
			LAB_SCENARIO_DIR=$dir bash "$SCEN_DIR/$n.host.sh" >"$dir/host.log" 2>&1 ||
				why="$(grep -e '^not ok' -e '^tt-xen:' "$dir/host.log" | head -n 3 | tr '\n' ' ')(log: $dir/host.log)"
			sed -n 's/^/  /p' "$dir/host.log" | grep -e '  ok' -e '  not ok' || true
		elif [ -n "$initramfs_err" ]; then
			why="the lab initramfs did not build: $initramfs_err (log: $LAB_OUT/mkinitramfs.log)"
		else
			share=$dir/share
			mkdir -p "$share"
			cp "$(dom0_script "$n")" "$share/scenario.sh"
			cp "$LAB_TOP/lab/dom0/lib.sh" "$share/dom0-lib.sh"
			for f in ${LAB_SHARE_FILES:-}; do
				cp "$f" "$share/" || die "LAB_SHARE_FILES: cannot copy $f"
			done
			# A scenario may need longer than LAB_TIMEOUT, never less.
			tmo=$(scenario_timeout "$n")
			[ "$tmo" -gt "$LAB_TIMEOUT" ] || tmo=$LAB_TIMEOUT
			# "# lab-icount: 1": QEMU counts instructions (see LAB_ICOUNT).
			icnt=$(sed -n 's/^# lab-icount: *\([01]\).*/\1/p' "$(dom0_script "$n")" | head -n 1)
			# "# lab-cpu: MODEL" and "# lab-smp: N": another emulated CPU
			# model (e.g. with RDRAND) or more CPUs than LAB_CPU/LAB_SMP.
			cpu=$(sed -n 's/^# lab-cpu: *\([^ ]*\).*/\1/p' "$(dom0_script "$n")" | head -n 1)
			smp=$(sed -n 's/^# lab-smp: *\([0-9]*\).*/\1/p' "$(dom0_script "$n")" | head -n 1)
			# "# lab-xen: debug": the debug hypervisor (make -C xen debug:
			# ASSERTs and lock checks on).
			xen=$LAB_XEN
			if grep -q '^# lab-xen: *debug' "$(dom0_script "$n")"; then
				xen=$OUT/xen-debug/xen
				[ -r "$xen" ] || xen_missing="the debug hypervisor $xen is missing. Build it with 'make -C xen debug'."
			fi
			if [ -n "${xen_missing:-}" ]; then
				why=$xen_missing
			elif (LAB_XEN=$xen LAB_ICOUNT=${icnt:-$LAB_ICOUNT} LAB_CPU=${cpu:-$LAB_CPU} LAB_SMP=${smp:-$LAB_SMP} \
				LAB_TIMEOUT=$tmo lab_boot "$n" "$share" "$dir/serial.log" ${LAB_LIVE:+live} &&
				echo "${LAB_GUEST_OUTPUT_SECS:-}" >"$dir/guest-output-seconds") 2>"$dir/boot.err"; then
				grep -e '^ok' -e '^not ok' "$share/scenario.log" 2>/dev/null | sed 's/^/  /' || true
				st=$(cat "$share/status")
				if [ -s "$share/setup-error" ]; then
					why="$(cat "$share/setup-error") (serial: $dir/serial.log)"
				elif [ "$st" != 0 ]; then
					why="$st check(s) failed (log: $share/scenario.log, serial: $dir/serial.log)"
				fi
			else
				why=$(sed 's/^tt-xen: //' "$dir/boot.err" | tail -n 1)
				[ -n "$why" ] || why="boot failed (serial: $dir/serial.log)"
			fi
			# Whatever the scenario checked: Xen must not have warned,
			# crashed or failed an assertion (a debug Xen checks more).
			xenbad=$(grep -a -m 1 -E '\(XEN\) (Xen (WARN|BUG) at|Xen call trace|Assertion .* failed|FATAL TRAP|.*Panic on CPU)' "$dir/serial.log" | tr -d '\r' || true)
			if [ -n "$xenbad" ]; then
				echo "  not ok - Xen's console: $xenbad"
				why="${why:+$why; }Xen warned or crashed: $xenbad (serial: $dir/serial.log)"
			fi
		fi
		secs=$(($(date +%s) - t0))
		echo "$secs" >"$dir/seconds"
		if [ -z "$why" ]; then
			echo "PASS $n ($(lab_fmt_secs "$secs"))"
		else
			echo "FAIL $n ($(lab_fmt_secs "$secs")): $why"
			# CI keeps only what is printed: the end of the serial console
			# (Xen, dom0 and the scenario's own lines) says where it stopped.
			if [ -s "$dir/serial.log" ]; then
				echo "  --- last lines of $dir/serial.log"
				tail -n 40 "$dir/serial.log" | tr -d '\r' | cut -c 1-200 | sed 's/^/  | /'
			fi
		fi

	} >"$LAB_OUT/$n.report" 2>&1
}

# Scenarios run in LAB_JOBS lanes at once (one QEMU each, one emulated
# CPU per QEMU): 2 on a host with 2 CPUs or more, which is what CI has.
# The longest first (their "# lab-timeout:", a proxy for their length), so
# that the lanes end together. Each report is printed whole when its
# scenario ends.
LAB_JOBS=${LAB_JOBS:-$(( $(nproc) >= 2 ? 2 : 1 ))}
# LAB_LIVE (the serial console shown as it comes) makes sense for one
# lane only; it goes to the terminal, not into the report.
if [ -n "${LAB_LIVE:-}" ]; then
	LAB_JOBS=1
	exec 3>&1
	export LAB_LIVE_FD=3
fi
mapfile -t order < <(for n in "${names[@]}"; do echo "$(scenario_timeout "$n") $n"; done |
	sort -s -k1,1nr | cut -d' ' -f2)
print_report() {
	flock "$LAB_OUT/.print" cat "$LAB_OUT/$1.report"
}
declare -A running=()
reap() {
	local n
	for n in "${!running[@]}"; do
		if ! kill -0 "${running[$n]}" 2>/dev/null; then
			wait "${running[$n]}" 2>/dev/null || true
			print_report "$n"
			unset "running[$n]"
		fi
	done
}
for n in "${order[@]}"; do
	rm -f "$LAB_OUT/$n.report"
	while [ ${#running[@]} -ge "$LAB_JOBS" ]; do
		sleep 1
		reap
	done
	run_scenario "$n" &
	running[$n]=$!
done
while [ ${#running[@]} -gt 0 ]; do
	sleep 1
	reap
done

passed=0
failed=0
for n in "${names[@]}"; do
	if grep -q '^PASS ' "$LAB_OUT/$n.report" 2>/dev/null; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		grep -q -e '^PASS ' -e '^FAIL ' "$LAB_OUT/$n.report" 2>/dev/null ||
			echo "FAIL $n: its run ended without a result (see $LAB_OUT/$n.report)"
	fi
done

for n in "${skipped[@]}"; do
	echo "SKIP $n (known failing, run it by name: $(known_failing "$n"))"
done
if [ ${#skipped[@]} -gt 0 ]; then
	echo "$passed passed, $failed failed, ${#skipped[@]} skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" = 0 ]
