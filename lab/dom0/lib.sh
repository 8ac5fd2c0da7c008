# Helpers for scenario scripts; they run in the lab's dom0 (busybox sh),
# in the 9p share's folder. Source, do not execute: ". ./dom0-lib.sh".
#
# A scenario prints one line per check, "ok - WHAT" or "not ok - WHAT",
# and ends with "lab_done", whose exit code is the number of failed
# checks; the runner on the host reads it from the share's status file.

LAB_FAILED=0

lab_ok() { echo "ok - $*"; }
lab_not_ok() {
	echo "not ok - $*"
	LAB_FAILED=$((LAB_FAILED + 1))
}
# lab_check WHAT COMMAND...: run the command, report its result as WHAT.
lab_check() {
	local what=$1
	shift
	if "$@"; then lab_ok "$what"; else lab_not_ok "$what"; fi
}
lab_done() { exit "$LAB_FAILED"; }

# lab_cfg_name CONFIG: the domain name that an xl config file sets.
lab_cfg_name() {
	sed -n 's/^[[:space:]]*name[[:space:]]*=[[:space:]]*["'\'']\([^"'\'']*\)["'\''].*/\1/p' "$1" | head -n1
}

# lab_console_log NAME: where xenconsoled keeps the guest's console.
# lab_wait_gone NAME SECONDS: wait until domain NAME no longer exists;
# 1 if it is still there after SECONDS.
lab_wait_gone() {
	local t=0
	while xl domid "$1" >/dev/null 2>&1; do
		[ $t -lt "$2" ] || return 1
		sleep 1
		t=$((t + 1))
	done
}

lab_console_log() { echo "$PWD/console/guest-$1.log"; }

# lab_guest_run CONFIG AUTORUN TIMEOUT [xl overrides...]
#
# Create the guest from CONFIG with the real xl, passing
# tt.autorun=AUTORUN on its kernel command line, and wait until it has
# gone away (it powers off after its autorun script), at most TIMEOUT
# seconds, after which it is destroyed. Returns 0 if the guest ended by
# itself. LAB_GUEST_SECS holds the seconds from xl create to its end.
lab_guest_run() {
	local cfg=$1 autorun=$2 tmo=$3 name t0 t
	shift 3
	name=$(lab_cfg_name "$cfg")
	[ -n "$name" ] || { echo "no name= in $cfg"; return 1; }
	t0=$(date +%s)
	if ! xl create "$cfg" "extra=\"console=hvc0 tt.autorun=$autorun\"" "$@"; then
		echo "xl create $cfg failed"
		return 1
	fi
	t=0
	while xl domid "$name" >/dev/null 2>&1; do
		if [ $t -ge "$tmo" ]; then
			echo "guest $name still running after $tmo s: destroying it"
			xl destroy "$name"
			LAB_GUEST_SECS=$(($(date +%s) - t0))
			return 1
		fi
		sleep 1
		t=$((t + 1))
	done
	LAB_GUEST_SECS=$(($(date +%s) - t0))
	return 0
}

# lab_tt_create CONFIG WHAT TIMEOUT ttd-xl-args...: ttd-xl create CONFIG
# with the arguments, at most TIMEOUT seconds; wait until the guest is
# gone (destroyed after 60 s more); show what ttd-xl and the daemon said.
# LAB_RC holds ttd-xl's exit code, LAB_SECS the seconds it took, and
# $PWD/WHAT.console the guest's console. LAB_RUN_SECS: seconds (0.01 s
# steps, dom0's clock) from ttd-xl create until the guest was gone, within
# the 1 s of the poll that saw it go.
lab_tt_create() {
	local cfg=$1 what=$2 tmo=$3 name con t0 t u0
	shift 3
	name=$(lab_cfg_name "$cfg")
	con=/var/log/xen/console/guest-$name.log
	rm -f "$con"
	t0=$(date +%s)
	u0=$(cut -d' ' -f1 /proc/uptime)
	# What runs when something hangs: shortly before the timeout ends
	# ttd-xl, or once the domain has been kept paused for 20 s (a stopped
	# replay) while ttd-xl still waits.
	(
		n=0 t=0
		while [ $t -lt $((tmo - 5)) ] && [ $n -lt 4 ]; do
			sleep 5
			t=$((t + 5))
			if xl list "$name" 2>/dev/null | tail -n 1 | awk '{print $5}' | grep -q p; then
				n=$((n + 1))
			else
				n=0
			fi
		done
		{
			ps w
			for p in $(pidof ttd-deviced ttd-xl); do
				echo "pid $p: wchan $(cat /proc/$p/wchan 2>/dev/null) $(grep State /proc/$p/status)"
				ls -l /proc/$p/fd 2>/dev/null
			done
		} >"$PWD/$what.ps" 2>&1
	) &
	local watch=$!
	if [ -n "${LAB_INPUT:-}" ]; then
		# Typed on the guest's console (ttd-xl -c) 20 s after the start.
		(sleep 20; echo "$LAB_INPUT") |
			timeout "$tmo" ttd-xl create "$cfg" "$@" -c >"$PWD/$what.txt" 2>&1
	else
		timeout "$tmo" ttd-xl create "$cfg" "$@" >"$PWD/$what.txt" 2>&1 </dev/null
	fi
	LAB_RC=$?
	kill $watch 2>/dev/null
	[ -s "$PWD/$what.ps" ] && { echo "--- processes before the timeout ($what)"; cat "$PWD/$what.ps"; }
	# A replay that stopped (diverged, log ran out) keeps its domain paused
	# for inspection: end it.
	if [ "$LAB_RC" != 0 ] && xl list "$name" 2>/dev/null | tail -n 1 | awk '{print $5}' | grep -q p; then
		echo "domain $name kept paused by a stopped replay: destroying it"
		xl destroy "$name" 2>/dev/null
	fi
	# A recording's ttd-xl returns once the guest runs: wait for the guest
	# to end (at most TIMEOUT), then for the daemon to drain and close.
	if ! lab_wait_gone "$name" "$tmo"; then
		echo "guest $name still there after $what: destroying it"
		xl list
		xl destroy "$name" 2>/dev/null
	fi
	LAB_RUN_SECS=$(awk -v a="$u0" '{ printf "%.2f", $1 - a }' /proc/uptime)
	t=0
	while pidof ttd-deviced >/dev/null 2>&1 && [ $t -lt 60 ]; do
		sleep 1
		t=$((t + 1))
	done
	LAB_SECS=$(($(date +%s) - t0))
	echo "--- ttd-xl ($what, exit $LAB_RC, $LAB_SECS s)"
	cat "$PWD/$what.txt"
	echo "--- ttd-deviced ($what)"
	cat "/var/log/xen/ttd-deviced-$name.log" 2>/dev/null
	echo "--- end"
	cp "$con" "$PWD/$what.console" 2>/dev/null || : >"$PWD/$what.console"
}

# lab_tt_pair CONFIG NAME AUTORUN [INPUT]: record the guest with
# tt.autorun=AUTORUN (INPUT, if given, typed on its console 20 s after the
# start), then replay it. Prints one ok/not ok line per check; returns 0 if
# the replay was faithful (ttd-xl exit 0, consoles byte-identical, diff
# clean). LAB_PAIR_SIG holds the interrupts the replay placed by signature,
# LAB_PAIR_RECORD_RUN and LAB_PAIR_REPLAY_RUN each run's LAB_RUN_SECS.
lab_tt_pair() {
	local cfg=$1 pair=$2 autorun=$3 input=${4:-} log extra rep ok=0
	log=$PWD/$pair.ttlog
	rm -f "$log" "$log".*
	# LAB_PAIR_CMDLINE: more words for the guest's command line (tt.loops=N).
	extra="extra=\"console=hvc0 tt.autorun=$autorun${LAB_PAIR_CMDLINE:+ $LAB_PAIR_CMDLINE}\""
	# LAB_TT_RECORD: more of the recording's time_travel (e.g. ", tt_counter=none").
	# LAB_PAIR_HAP: the paging of both runs ("hap=0" for shadow paging).
	LAB_INPUT=$input lab_tt_create "$cfg" "$pair-record" 400 "time_travel=\"ttd_flag=1${LAB_TT_RECORD:-}\"" "$extra" ${LAB_PAIR_HAP:+"$LAB_PAIR_HAP"} --log "$log"
	local rsecs=$LAB_SECS
	LAB_PAIR_RECORD_RUN=$LAB_RUN_SECS
	if [ "$LAB_RC" != 0 ] || ! [ -f "$log" ] || ! grep -q TT-GUEST-DONE "$pair-record.console"; then
		lab_not_ok "$pair: recorded (exit $LAB_RC, log $([ -f "$log" ] && echo closed || echo missing))"
		return 1
	fi
	LAB_INPUT= lab_tt_create "$cfg" "$pair-replay" 600 'time_travel="ttd_flag=1, tt_replay_flag=1"' "$extra" ${LAB_PAIR_HAP:+"$LAB_PAIR_HAP"} --log "$log"
	LAB_PAIR_REPLAY_RUN=$LAB_RUN_SECS
	LAB_PAIR_SIG=$(sed -n 's/.*placed by signature[^0-9]*\([0-9][0-9]*\).*/\1/p' "$pair-replay.txt" \
		"/var/log/xen/ttd-deviced-$(lab_cfg_name "$cfg").log" 2>/dev/null | tail -n 1)
	echo "$pair: record ${rsecs} s, replay ${LAB_SECS} s, signature placements ${LAB_PAIR_SIG:-?}"
	echo "${pair}_record_secs=$rsecs" >>figures.txt
	echo "${pair}_replay_secs=$LAB_SECS" >>figures.txt
	[ "$LAB_RC" = 0 ] || { lab_not_ok "$pair: ttd-xl replay exited $LAB_RC"; ok=1; }
	if cmp "$pair-record.console" "$pair-replay.console"; then
		lab_ok "$pair: the replay's console is byte-identical to the recording's"
	else
		lab_not_ok "$pair: the replay's console differs from the recording's"
		diff "$pair-record.console" "$pair-replay.console" | head -n 20
		ok=1
	fi
	rep=$(ls "$log.$(lab_cfg_name "$cfg").replay."* 2>/dev/null | grep -v incomplete | head -n 1)
	if [ -n "$rep" ] && ttd-read-log diff "$log" "$rep" >"$pair-diff.txt" 2>&1; then
		lab_ok "$pair: ttd-read-log diff: no difference"
	else
		lab_not_ok "$pair: ttd-read-log diff ($rep)"
		head -n 20 "$pair-diff.txt" 2>/dev/null
		ok=1
	fi
	return $ok
}

# lab_suite PAGING PAIR...: replay-suite's record/replay pairs (issue 9) on
# PAGING (hap or shadow). A PAIR is NAME:AUTORUN[:INPUT]. Prints the
# determinism score (faithful pairs / pairs) and records it in figures.txt.
lab_suite() {
	local paging=$1 spec pair rest autorun input rec pairs=0 same=0 hap=
	shift
	[ "$paging" = shadow ] && hap=hap=0
	for spec in "$@"; do
		pair=${spec%%:*}
		rest=${spec#*:}
		autorun=${rest%%:*}
		input=
		[ "$autorun" = "$rest" ] || input=${rest#*:}
		pairs=$((pairs + 1))
		echo "=== pair $pair (tt.autorun=$autorun, $paging paging)"
		# LAB_SUITE_RECORD_<pair>: more of that pair's recording's time_travel.
		eval "rec=\${LAB_SUITE_RECORD_$pair:-}"
		if LAB_PAIR_HAP=$hap LAB_TT_RECORD="${LAB_TT_RECORD:-}$rec" \
			lab_tt_pair /etc/xen/clientA.conf "$pair" "$autorun" "$input"; then
			same=$((same + 1))
		fi
	done
	echo "determinism score: $same/$pairs identical record/replay pairs ($paging paging)"
	echo "suite_${paging}_identical=$same" >>figures.txt
	echo "suite_${paging}_pairs=$pairs" >>figures.txt
	# QEMU 7.2's second deliveries of an injected interrupt that Xen took
	# back (docs/design-replay.md), over this boot's recordings and replays.
	local twice
	twice=$(xl dmesg | sed -n 's/.*(\([0-9][0-9]*\) taken back).*/\1/p' | awk '{ n += $1 } END { print n + 0 }')
	echo "the emulator's second deliveries taken back by Xen: $twice"
	echo "suite_${paging}_second_deliveries_taken_back=$twice" >>figures.txt
	# ... and the interrupt windows Xen held past an interrupt shadow that
	# QEMU 7.2's VMRUN drops (xen/src/arch/x86/hvm/svm/tt-emulator.c).
	local steps
	steps=$(xl dmesg | sed -n 's/.* \([0-9][0-9]*\) interrupt windows stepped past a shadow.*/\1/p' | awk '{ n += $1 } END { print n + 0 }')
	echo "interrupt windows stepped past an interrupt shadow by Xen: $steps"
	echo "suite_${paging}_shadow_steps=$steps" >>figures.txt
}
