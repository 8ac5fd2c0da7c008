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
