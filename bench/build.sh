#!/usr/bin/env bash
# Build figures (printed, never asserted):
#   - warm `make world` with nothing changed;
#   - warm rebuild after touching one Xen file and one Swift tool file
#     (goal: <= 3 min);
#   - with --cold: a cold `make world` into a fresh output folder with an
#     empty ccache (downloads stay cached; goal: <= 20 min on 2 cores).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
cd "$top"

secs() {
	local t0=$(date +%s.%N)
	"$@" >"$log" 2>&1 || die "'$*' failed (log: $log). Fix the build first."
	echo "$(date +%s.%N) - $t0" | bc
}

log=$(mktemp /tmp/tt-bench-build.XXXXXX)
trap 'rm -f "$log"' EXIT

if [ "${1:-}" = --cold ]; then
	tmp=$(mktemp -d /tmp/tt-bench-cold.XXXXXX)
	c=$(OUT=$tmp/out CCACHE_DIR=$tmp/ccache secs make world)
	printf 'build: cold make world (fresh out/, empty ccache): %.0f s (goal <= 1200 s)\n' "$c"
	rm -rf "$tmp"
fi

w=$(secs make world)
printf 'build: warm make world, nothing changed:            %.1f s\n' "$w"

touch xen/src/common/tt/tt.c
swift_file=$(ls swift-tools/Sources/TTLog/*.swift | head -n 1)
touch "$swift_file"
t=$(secs make world)
printf 'build: after touching %s and %s: %.1f s (goal <= 180 s)\n' \
	xen/src/common/tt/tt.c "$swift_file" "$t"
