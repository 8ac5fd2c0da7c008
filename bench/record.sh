#!/usr/bin/env bash
# Recording figures (issue 4, point 8): for a CPU-bound, a syscall-heavy
# and an idle guest (tt.autorun=bench-cpu, bench-sys, bench-idle in
# images/), on HAP and on shadow paging (Xen's hap=0, one lab boot each):
#   - the workload's run time as the guest measures it (/proc/uptime, 10 ms
#     steps), not recorded and recorded, and their ratio (goal <= 1.05x);
#     the recorded one is cross-checked with the TSC values of the RDTSC
#     records in its window;
#   - log bytes, records (by type) and landmarks per second of guest time,
#     counted over the workload's window of the log (the records from the
#     one carrying its "TT-GUEST: bench W start" console line to the one
#     carrying "TT-GUEST: bench W ms N"), divided by its recorded run time;
#   - the longest stretch of the vCPU's running time between two landmarks
#     (TTOP_landmark_counts' max_gap_ns: how long an interrupt held to a
#     landmark can wait) and the mean one, over the whole recording (boot
#     included: Xen keeps one counter from the guest's first instruction).
#
# Recording is done by the product: ttd-xl create time_travel="ttd_flag=1"
# starts ttd-deviced (1 MiB ring, polled every 10 ms besides its doorbell),
# which writes the log; ttd-read-log counts its records (stat, its window
# with --from-landmark/--to-landmark) and finds the console lines (console
# --landmarks). Figures measured before December 2026 used the lab's C
# consumer `tt-ctl drain` instead.
#
# The lab scenario is bench/scenarios/record-bench.sh. Figures only: this
# fails only if a lab run fails. QEMU TCG: absolute times are those of an
# emulated CPU, ratios are what matter.
#
# Usage: bench/record.sh [hap|shadow...]   (default: both)
set -euo pipefail
. "$(dirname "$0")/../ci/lib-lab.sh"

[ $# -gt 0 ] || set -- hap shadow
export LAB_TIMEOUT=${LAB_TIMEOUT:-1500}
base_args=$LAB_XEN_ARGS
mkdir -p "$LAB_OUT"
rc=0
for mode in "$@"; do
	case $mode in
	hap) args="$base_args hap=1" ;;
	shadow) args="$base_args hap=0" ;;
	*) die "bench/record.sh: unknown paging mode '$mode' (hap, shadow)" ;;
	esac
	t0=$(date +%s)
	r=0
	LAB_XEN_ARGS=$args bash "$LAB_TOP/ci/lab.sh" record-bench \
		>"$LAB_OUT/bench-record-$mode.log" 2>&1 || r=$?
	echo "record bench, $mode paging (Xen: $args): lab run $(($(date +%s) - t0)) s," \
		"$(grep -E '^[0-9]+ passed' "$LAB_OUT/bench-record-$mode.log" | tail -n1 || echo 'no result')"
	[ "$r" = 0 ] || {
		rc=1
		grep '^  not ok\|^FAIL' "$LAB_OUT/bench-record-$mode.log" || true
	}
	rm -rf "$LAB_OUT/record-bench-$mode"
	if [ -d "$LAB_OUT/record-bench" ]; then
		cp -r "$LAB_OUT/record-bench" "$LAB_OUT/record-bench-$mode"
	fi
done

echo "recording figures (QEMU TCG, $(nproc) host cores; guest-measured times; ttd-deviced as the consumer):"
printf '%-6s %-4s %8s %8s %6s %9s %8s %9s %9s %10s\n' paging load "plain s" "rec s" ratio \
	"log KB/s" "rec/s" "lmarks/s" "max gap" "mean gap"
for mode in "$@"; do
	f=$LAB_OUT/record-bench-$mode/share/bench.txt
	[ -f "$f" ] || { echo "$mode: no figures ($f missing; log: $LAB_OUT/bench-record-$mode.log)"; continue; }
	awk -v mode="$mode" '
	function num(x) { return x ~ /^[0-9.]+$/ }
	{ v[$1, $2] = $3; if (!($1 in seen) && $1 != "xen_commandline") { seen[$1] = 1; order[n++] = $1 } }
	$2 ~ /^wtype_/ { types[$1] = types[$1] " " $2 }
	END {
		for (i = 0; i < n; i++) {
			w = order[i]
			p = v[w, "plain_ms"]; r = v[w, "rec_ms"]
			ratio = (num(p) && num(r) && p > 0) ? sprintf("%.2fx", r / p) : "?"
			# Rates: the workload window of the log per second of its run time.
			ok = num(r) && r > 0 && num(v[w, "w_records"])
			secs = ok ? r / 1000 : 0
			lb = ok ? sprintf("%.1f", v[w, "w_bytes"] / secs / 1024) : "?"
			rs = ok ? sprintf("%.0f", v[w, "w_records"] / secs) : "?"
			ls = ok ? sprintf("%.0f", v[w, "w_landmarks"] / secs) : "?"
			mg = num(v[w, "max_gap_ns"]) ? sprintf("%.2f ms", v[w, "max_gap_ns"] / 1e6) : "?"
			mn = "?"
			if (num(v[w, "gap_sum_ns"]) && v[w, "landmarks"] > 0)
				mn = sprintf("%.1f us", v[w, "gap_sum_ns"] / v[w, "landmarks"] / 1e3)
			printf "%-6s %-4s %8s %8s %6s %9s %8s %9s %9s %10s\n", mode, w,
			    num(p) ? sprintf("%.2f", p / 1000) : "?", num(r) ? sprintf("%.2f", r / 1000) : "?",
			    ratio, lb, rs, ls, mg, mn
			line = ""
			m = split(types[w], t, " ")
			for (j = 1; j <= m; j++)
				if (ok)
					line = line sprintf(" %s %.1f,", substr(t[j], 7), v[w, t[j]] / secs)
			sub(/,$/, "", line)
			printf "         workload records/s by type:%s\n", line
			if (num(v[w, "w_tsc_ms"]))
				printf "         recorded workload by its RDTSC records (first to last, DOMAIN_START tsc_khz): %.2f s\n", v[w, "w_tsc_ms"] / 1000
			at = v[w, "max_gap_landmark"]
			if (num(at))
				printf "         longest gap ended at landmark %s (%s the workload window, landmarks %s..%s)\n", at,
				    (at >= v[w, "w_lm_from"] && at <= v[w, "w_lm_to"]) ? "inside" : "outside", v[w, "w_lm_from"], v[w, "w_lm_to"]
			printf "         whole log (boot to END): guest uptime at the end %s s, %s bytes, %s records, %s landmarks, %s exits\n",
			    v[w, "rec_uptime"], v[w, "log_bytes"], v[w, "records"], v[w, "landmarks"], v[w, "exits"]
		}
	}' "$f"
done
[ "$rc" = 0 ] || echo "  (a lab run failed; the figures above may be partial)"
exit "$rc"
