# Shared helpers for the shell test suites (grub/tests, images/tests).
# Source after setting $work to a scratch folder. Each check prints one
# "ok"/"FAIL" line; test_summary prints the runner's closing line
# "NAME: N passed, N failed" and returns non-zero on any failure.

passed=0
failed=0

ok() {
	passed=$((passed + 1))
	echo "ok   $*"
}

bad() {
	failed=$((failed + 1))
	echo "FAIL $*"
}

# check NAME COMMAND...: pass when COMMAND succeeds; show its output if not.
check() {
	local name=$1
	shift
	if "$@" >"$work/out" 2>&1; then
		ok "$name"
	else
		bad "$name"
		sed 's/^/     /' "$work/out"
	fi
}

# test_summary NAME: the closing line; the exit status says if all passed.
test_summary() {
	echo "$1: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}
