#!/usr/bin/env bash
# Replay figures (issue 9, part 2 item 6): for a CPU-bound, an idle-heavy
# and a syscall-heavy guest (tt.autorun=bench-cpu, bench-idle, bench-sys in
# images/), recorded and replayed with ttd-xl in one lab run under QEMU's
# -icount (the lab's instruction counter, as the replay scenarios use):
#   - each run's time from `ttd-xl create` until the guest is gone, on
#     dom0's clock, which under -icount counts the emulated CPU's
#     instructions while it runs (Xen's, dom0's and the guest's) and host
#     time while it idles: replay over record, goals <= 1.1x (CPU-bound) and
#     <= 0.2x (idle-heavy: replay skips the guest's idle time);
#   - the search for interrupts placed between landmarks: how many, the
#     breakpoint exits it took and the early stops (docs/design-replay.md);
#   - whether the replay was faithful (console byte-identical, diff clean).
#
# The lab scenario is lab/bench/replay-bench.sh. Figures only: this
# fails only if the lab run itself fails. One lab, one lane (LAB_JOBS=1),
# so that nothing else shares the host's CPU with it.
#
# Usage: bench/replay.sh
set -euo pipefail
. "$(dirname "$0")/../lab/lib.sh"

export LAB_JOBS=1
mkdir -p "$LAB_OUT"
t0=$(date +%s)
rc=0
bash "$LAB_TOP/lab/run.sh" replay-bench >"$LAB_OUT/bench-replay.log" 2>&1 || rc=$?
echo "replay bench: lab run $(($(date +%s) - t0)) s," \
	"$(grep -E '^[0-9]+ passed' "$LAB_OUT/bench-replay.log" | tail -n1 || echo 'no result')"
f=$LAB_OUT/replay-bench/share/bench.txt
log=$LAB_OUT/replay-bench/share/scenario.log
[ -f "$f" ] || { echo "no figures ($f missing; log: $LAB_OUT/bench-replay.log)"; exit 1; }

echo "replay figures (QEMU TCG -icount shift=0; times on dom0's clock = emulated instructions while busy):"
printf '%-5s %9s %9s %7s %7s %8s %10s %8s %s\n' load "record s" "replay s" ratio goal placed "bp exits" "stops" faithful
for w in cpu idle sys; do
	bad=$(grep -c "^not ok - bench-$w:" "$log" 2>/dev/null || true)
	good=$(grep -c "^ok - bench-$w:" "$log" 2>/dev/null || true)
	if [ "${bad:-0}" = 0 ] && [ "${good:-0}" -ge 2 ]; then faithful=yes; else faithful="no (see $log)"; fi
	awk -v w="$w" -v faithful="$faithful" '
	function num(x) { return x ~ /^[0-9.]+$/ }
	$1 == w { v[$2] = $3 }
	END {
		r = v["record_s"]; p = v["replay_s"]
		ratio = (num(r) && num(p) && r > 0) ? sprintf("%.2fx", p / r) : "?"
		goal = w == "cpu" ? "<=1.1x" : (w == "idle" ? "<=0.2x" : "-")
		printf "%-5s %9s %9s %7s %7s %8s %10s %8s %s\n", w, r, p, ratio, goal,
			v["placed"], v["bp_exits"], v["early_stops"], faithful
	}' "$f"
done
echo "  (guest-measured workload times, as recorded: $(grep -h ' guest TT-GUEST: bench .* ms ' "$f" | sed 's/ guest TT-GUEST: bench / /' | tr '\n' ';' | sed 's/;$//'))"
echo "  log: $LAB_OUT/bench-replay.log, figures: $f"
[ "$rc" = 0 ] || echo "  (the lab run failed; the figures above may be partial)"
exit 0
