#!/usr/bin/env bash
# `make check` (after `make world`): the unit tests, the GRUB images, then
# every lab scenario. Each is one entry, PASS or FAIL with its time: the
# unit test run of a folder counts as one entry whatever its number of
# tests (its own output, in $OUT/check/, has the details). Ends with one
# line "N passed, N failed"; the exit code is non-zero on any failure.
set -euo pipefail
. "$(dirname "$0")/lib-lab.sh"

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

# Unit tests: the Swift tools' `make -C swift-tools check`.
if [ -f "$LAB_TOP/swift-tools/Makefile" ] && grep -q '^check:' "$LAB_TOP/swift-tools/Makefile"; then
	entry "unit tests (make -C swift-tools check)" "$CHECK_OUT/unit-swift-tools.log" \
		make -C "$LAB_TOP/swift-tools" check
else
	note "skipping the unit tests: swift-tools/Makefile has no 'check' target yet"
fi

# The GRUB images the "grub" scenario boots.
entry "grub images (make -C grub iso)" "$CHECK_OUT/grub-iso.log" make -C "$LAB_TOP/grub" iso

# The lab scenarios: ci/lab.sh prints their PASS/FAIL lines and its own
# "N passed, N failed", which is added to ours (and not shown: the last
# line of this script is the only count line).
set +e
bash "$LAB_TOP/ci/lab.sh" all 2>&1 | tee "$CHECK_OUT/lab.log" |
	{ grep --line-buffered -v -E '^[0-9]+ passed, [0-9]+ failed$' || true; }
lab_rc=${PIPESTATUS[0]}
set -e
counts=$(tail -n 1 "$CHECK_OUT/lab.log")
if [[ $counts =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
	passed=$((passed + BASH_REMATCH[1]))
	failed=$((failed + BASH_REMATCH[2]))
	[ "$lab_rc" = 0 ] || [ "${BASH_REMATCH[2]}" != 0 ] || failed=$((failed + 1))
else
	echo "FAIL lab: ci/lab.sh ended without its count line (log: $CHECK_OUT/lab.log)"
	failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
