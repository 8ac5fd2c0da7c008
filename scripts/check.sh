#!/usr/bin/env bash
# `make check` (after `make world`): the unit tests, the GRUB images, then
# every lab scenario. Each is one entry, PASS or FAIL with its time: the
# unit test run of a folder counts as one entry whatever its number of
# tests (its own output, in $OUT/check/, has the details). Ends with one
# line "N passed, N failed"; the exit code is non-zero on any failure.
set -euo pipefail
. "$(dirname "$0")/../lab/lib.sh"

CHECK_OUT=$OUT/check
mkdir -p "$CHECK_OUT" || die "cannot create $CHECK_OUT. Set OUT to a writable folder."
passed=0
failed=0

# entry NAME LOG COMMAND...: run one entry, print PASS/FAIL and its time.
entry() {
	local name=$1 log=$2 t0 secs
	shift 2
	t0=$(date +%s)
	if "$@" >"$log" 2>&1; then
		secs=$(($(date +%s) - t0))
		passed=$((passed + 1))
		echo "PASS $name ($(lab_fmt_secs "$secs"))"
	else
		secs=$(($(date +%s) - t0))
		failed=$((failed + 1))
		echo "FAIL $name ($(lab_fmt_secs "$secs")): $(grep -v '^make' "$log" | tail -n 1) (log: $log)"
	fi
}

# show_summary LOG: repeat the test runners' own closing lines from LOG
# (XCTest's "Executed N tests", Swift Testing's "Test run with N tests",
# the shell suites' "N passed, N failed", the C tests' "NAME: N tests,
# N failures"), indented so that the last line of this script stays the
# only unindented count line.
show_summary() {
	grep -E -e 'Executed [0-9]+ tests?, with' -e 'Test run with [0-9]+ tests?' \
		-e '[0-9]+ passed, [0-9]+ failed' -e '^[a-z0-9-]+: [0-9]+ tests?, [0-9]+ failures?$' \
		"$1" | sed 's/^[[:space:]]*/    /' || true
}

# The host-compiled C unit tests of the hypervisor's own code (milliseconds:
# they come first).
entry "unit tests (make -C xen unit-test)" "$CHECK_OUT/unit-xen-c.log" \
	make -C "$LAB_TOP/xen" unit-test
show_summary "$CHECK_OUT/unit-xen-c.log"

# The GRUB images the "grub" scenario boots (the grub unit tests
# check them too, so they come first).
entry "grub images (make -C grub iso)" "$CHECK_OUT/grub-iso.log" make -C "$LAB_TOP/grub" iso

# Unit tests of each folder that has them: `make -C DIR check`.
for d in swift-tools images grub xen linux-guest; do
	grep -q '^check:' "$LAB_TOP/$d/Makefile" 2>/dev/null || continue
	entry "unit tests (make -C $d check)" "$CHECK_OUT/unit-$d.log" \
		make -C "$LAB_TOP/$d" check
	show_summary "$CHECK_OUT/unit-$d.log"
done

# The debug hypervisor, for the scenarios that boot it ("# lab-xen: debug").
entry "debug hypervisor (make -C xen debug)" "$CHECK_OUT/xen-debug.log" \
	make -C "$LAB_TOP/xen" debug

# The lab scenarios: lab/run.sh prints their PASS/FAIL lines and its own
# "N passed, N failed", which is added to ours (and not shown: the last
# line of this script is the only count line).
set +e
bash "$LAB_TOP/lab/run.sh" all 2>&1 | tee "$CHECK_OUT/lab.log" |
	{ grep --line-buffered -v -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' || true; }
lab_rc=${PIPESTATUS[0]}
set -e
counts=$(tail -n 1 "$CHECK_OUT/lab.log")
skipped=0
if [[ $counts =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed(,\ ([0-9]+)\ skipped)?$ ]]; then
	passed=$((passed + BASH_REMATCH[1]))
	failed=$((failed + BASH_REMATCH[2]))
	skipped=${BASH_REMATCH[4]:-0}
	[ "$lab_rc" = 0 ] || [ "${BASH_REMATCH[2]}" != 0 ] || failed=$((failed + 1))
else
	echo "FAIL lab: lab/run.sh ended without its count line (log: $CHECK_OUT/lab.log)"
	failed=$((failed + 1))
fi

if [ "$skipped" != 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" = 0 ]
