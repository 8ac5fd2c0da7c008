#!/usr/bin/env bash
# Benchmark of the log reader: every ttd-read-log command on a generated
# log (SYNTHETIC records from ttd-log-gen, the realistic mix), uncompressed
# and zstd, side by side with the floor of reading the file (cat) and of
# decompressing the same records (the zstd CLI, level 3 like the log's
# chunks), all measured in one run.  Prints figures; asserts nothing.
#
#   bash bench/log-reader.sh [SIZE]      SIZE of records (K, M, G), default 1G
#   LOG_BENCH_SIZE=256M make bench       the same through make bench (SIZE wins)
#
# For each command: MB/s (MB of records, uncompressed, per second of wall
# time), its wall and CPU (user + system) seconds, and its peak resident
# memory.  The floors read the file: cat's MB/s are of the file (for the
# zstd log, compressed bytes); zstd -d's of the records it decompresses.
# The commands name the log with -f FILE, which every version of
# ttd-read-log takes (to compare with an older build: OUT=... points at it).
# The window prints the records around the middle landmark, -w W before and
# after (W = 1000000, or a quarter of the records in a smaller log); its MB/s
# are of the records printed.
#
# Goals (issues 3 and 10): verify, -i and --json >= 500 MB/s on the
# uncompressed 1 GB log, stat >= 200 MB/s on the zstd one, every command
# and window <= 64 MB peak whatever the log size.  The logs have just been
# written and are read once before timing, so they are read from the page
# cache: the figures are the reader's speed, not the disk's.  On a busy
# machine (a lab running) wall seconds stretch: CPU seconds say how much
# of that is waiting for a core.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib.sh"

SIZE=${1:-${LOG_BENCH_SIZE:-1G}}
OUT=${OUT:-$here/out}
BIN=$OUT/swift/bin
need_cmd python3 python3
need_cmd zstd zstd
[ -x /usr/bin/time ] || die "/usr/bin/time is missing. Run 'apt-get install time'"
if [ ! -x "$BIN/ttd-read-log" ] || [ ! -x "$BIN/ttd-log-gen" ]; then
	note "building the Swift tools first"
	make -s -C "$here/swift-tools" OUT="$OUT" >/dev/null
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/tt-log-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
results=$work/results

json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# run MODE LABEL BYTES CMD...: runs CMD under /usr/bin/time, output to
# /dev/null, and notes its figures; BYTES are what MB/s count.  A command
# that fails, or runs longer than LOG_BENCH_TIMEOUT seconds (default 600),
# is noted as such.
run() {
	local mode=$1 label=$2 bytes=$3 rc=0; shift 3
	timeout "${LOG_BENCH_TIMEOUT:-600}" /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" \
		>/dev/null 2>"$work/err" || rc=$?
	if [ "$rc" -ne 0 ]; then
		[ "$rc" -eq 124 ] && bytes=-1 || bytes=0
		echo "log-reader: '$*' $([ "$rc" -eq 124 ] && echo "timed out" || echo "failed: $(tail -n 1 "$work/err")")" >&2
		echo "$mode|$label|$bytes|0|0|0|0" >>"$results"
		return
	fi
	read -r wall user sys rss <"$work/time"
	echo "$mode|$label|$bytes|$wall|$user|$sys|$rss" >>"$results"
}

for mode in uncompressed zstd; do
	flag=""
	[ "$mode" = zstd ] && flag=--zstd
	log=$work/$mode.log
	"$BIN/ttd-log-gen" -o "$log" --size "$SIZE" $flag 2>/dev/null
done
# The floor of decompressing: the same records as one zstd stream, level 3.
zstd -q -3 -T1 -c "$work/uncompressed.log" >"$work/records.zst"

for mode in uncompressed zstd; do
	log=$work/$mode.log
	cat "$log" "$work/records.zst" >/dev/null                   # into the page cache
	"$BIN/ttd-read-log" stat --json -f "$log" >"$work/stat.$mode.json"
	records=$(json 'd["records"]' <"$work/stat.$mode.json")
	raw=$(json 'd["record_bytes"]' <"$work/stat.$mode.json")
	file=$(json 'd["file_bytes"]' <"$work/stat.$mode.json")
	last=$(json 'd["last_landmark"]' <"$work/stat.$mode.json")
	echo "$mode" "$records" "$raw" "$file" >>"$work/logs"
	window=$(( records / 4 < 1000000 ? records / 4 : 1000000 ))
	run "$mode" "cat FILE (floor)" "$file" cat "$log"
	if [ "$mode" = zstd ]; then
		run "$mode" "zstd -d -c (floor)" "$raw" zstd -q -d -c "$work/records.zst"
	fi
	run "$mode" "stat" "$raw" "$BIN/ttd-read-log" stat -f "$log"
	run "$mode" "verify" "$raw" "$BIN/ttd-read-log" verify -f "$log"
	run "$mode" "print" "$raw" "$BIN/ttd-read-log" -f "$log"
	run "$mode" "print -i" "$raw" "$BIN/ttd-read-log" -i -f "$log"
	run "$mode" "print --json" "$raw" "$BIN/ttd-read-log" --json -f "$log"
	run "$mode" "print -i -n MID -w $window" $(( raw / records * (2 * window + 1) )) \
		"$BIN/ttd-read-log" -i -n $(( last / 2 )) -w "$window" -f "$log"
done

python3 - "$SIZE" "$results" "$work/logs" <<'PY'
import sys
size, results, logs = sys.argv[1], sys.argv[2], sys.argv[3]
info = {}
for line in open(logs):
    mode, records, raw, file = line.split()
    info[mode] = (int(records), int(raw), int(file))
rows, figures = ["cat FILE (floor)", "zstd -d -c (floor)"], {}
for line in open(results):
    mode, label, nbytes, wall, user, sys_, rss = line.rstrip("\n").split("|")
    if label not in rows:
        rows.append(label)
    figures[(mode, label)] = (int(nbytes), float(wall), float(user) + float(sys_), int(rss))
u, z = info["uncompressed"], info["zstd"]
print(f"log reader benchmark: {size} of SYNTHETIC records (ttd-log-gen, realistic mix), page cache warm")
print(f"uncompressed log: {u[2] / 1e6:.1f} MB, {u[0]} records, {u[1] / u[0]:.2f} B/record; "
      f"zstd log: {z[2] / 1e6:.1f} MB (ratio {z[1] / z[2]:.2f})")
def cell(mode, label):
    f = figures.get((mode, label))
    if f is None:
        return f"{'-':>8} {'-':>6} {'-':>6} {'-':>7}"
    nbytes, wall, cpu, rss = f
    if nbytes <= 0:
        return f"{'failed' if nbytes == 0 else 'timeout':>8} {'-':>6} {'-':>6} {'-':>7}"
    return f"{nbytes / 1e6 / max(wall, 0.01):8.1f} {wall:6.2f} {cpu:6.2f} {rss / 1024:7.1f}"
width = max(len(r) for r in rows)
print(f"{'':{width}}  {'uncompressed':^30}  {'zstd':^30}")
head = f"{'MB/s':>8} {'s':>6} {'cpu_s':>6} {'peak_MB':>7}"
print(f"{'command':{width}}  {head}  {head}")
for label in rows:
    print(f"{label:{width}}  {cell('uncompressed', label)}  {cell('zstd', label)}")
print("MB/s: MB of records (uncompressed) per second; cat: of the file; s: wall, cpu_s: user + system")
print("goals: verify, -i, --json >= 500 MB/s uncompressed; stat >= 200 MB/s zstd; <= 64 MB peak")
PY
