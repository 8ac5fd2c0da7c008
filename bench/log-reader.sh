#!/usr/bin/env bash
# Benchmark of the log reader: ttd-read-log stat on a generated 1 GB log
# with a realistic record mix (SYNTHETIC, from ttd-log-gen), uncompressed
# and zstd.  Prints figures; asserts nothing.
#
#   bash bench/log-reader.sh [SIZE]       SIZE of records, default 1G
#
# Goals (issue 3): >= 500 MB/s uncompressed, >= 200 MB/s zstd, <= 64 MB
# peak memory whatever the log size.  The log has just been written, so it
# is read from the page cache: the figures are the reader's own speed, not
# the disk's.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib.sh"

SIZE=${1:-1G}
OUT=${OUT:-$here/out}
BIN=$OUT/swift/bin
need_cmd python3 python3
[ -x /usr/bin/time ] || die "/usr/bin/time is missing. Run 'apt-get install time'"
if [ ! -x "$BIN/ttd-read-log" ] || [ ! -x "$BIN/ttd-log-gen" ]; then
	note "building the Swift tools first"
	make -s -C "$here/swift-tools" OUT="$OUT" >/dev/null
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/tt-log-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# run_timed LABEL CMD...: runs CMD under /usr/bin/time -v, sets SECS and RSS_KB.
run_timed() {
	local label=$1; shift
	/usr/bin/time -v -o "$work/time.$label" "$@" > "$work/out.$label"
	SECS=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$work/time.$label")
	RSS_KB=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/time.$label")
}

echo "log reader benchmark: $SIZE of SYNTHETIC records (ttd-log-gen, realistic mix), page cache warm"
printf '%-13s %10s %10s %9s %11s %11s %9s %8s\n' mode file_MB records B/record ratio stat_MB/s file_MB/s peak_MB
for mode in uncompressed zstd; do
	flag=""
	[ "$mode" = zstd ] && flag=--zstd
	log="$work/$mode.log"
	"$BIN/ttd-log-gen" -o "$log" --size "$SIZE" $flag 2>/dev/null
	# Once untimed to have the whole file in the page cache, then timed.
	"$BIN/ttd-read-log" stat --json -f "$log" > "$work/stat.$mode.json"
	run_timed "$mode" "$BIN/ttd-read-log" stat --json -f "$log"
	records=$(json 'd["records"]' < "$work/stat.$mode.json")
	raw=$(json 'd["record_bytes"]' < "$work/stat.$mode.json")
	file=$(json 'd["file_bytes"]' < "$work/stat.$mode.json")
	python3 - "$mode" "$file" "$records" "$raw" "$SECS" "$RSS_KB" <<'PY'
import sys
mode, file, records, raw, secs, rss = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
secs = max(secs, 0.01)
print(f"{mode:<13} {file / 1e6:10.1f} {records:10d} {raw / records:9.2f} {raw / file:11.3f} "
      f"{raw / 1e6 / secs:11.1f} {file / 1e6 / secs:11.1f} {rss / 1024:8.1f}")
PY
	if [ "$mode" = uncompressed ]; then
		last=$(json 'd["last_landmark"]' < "$work/stat.$mode.json")
		run_timed lookup "$BIN/ttd-read-log" -i -n $((last / 2)) -w 20 -f "$log"
		lookup_secs=$SECS lookup_rss=$RSS_KB
		run_timed verify "$BIN/ttd-read-log" verify -f "$log"
		verify_secs=$SECS verify_rss=$RSS_KB
		vraw=$raw
	fi
	rm -f "$log"
done
echo "stat_MB/s: record bytes (uncompressed) per second; file_MB/s: bytes of the file per second"
echo "ttd-read-log -n (middle landmark, stored index): ${lookup_secs} s, peak $((lookup_rss / 1024)) MB"
python3 -c "import sys; print(f'ttd-read-log verify (every record decoded): {float(sys.argv[1]):.2f} s, {int(sys.argv[2]) / 1e6 / max(float(sys.argv[1]), 0.01):.1f} MB/s, peak {int(sys.argv[3]) // 1024} MB')" "$verify_secs" "$vraw" "$verify_rss"
echo "goals: >= 500 MB/s uncompressed, >= 200 MB/s zstd, <= 64 MB peak"
