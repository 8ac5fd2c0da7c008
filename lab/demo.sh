#!/usr/bin/env bash
# `make demo` (after `make world`): boot the lab (TT Xen + TT Linux dom0 in
# QEMU), record the clientA guest with ttd-xl, then replay it from its log.
# It tells the story one line per step: the lab booting (with progress), the
# guest recorded, its console, the log's summary, the replay and the diff.
# Everything else (Xen's and dom0's boot, the guest's whole console, every
# command's output) is kept in the serial console's file, which it names;
# the logs and consoles stay in $OUT/lab/demo/share/.
set -euo pipefail
# Replay is exact with the guest instruction counter (QEMU -icount, Xen
# tt_counter=icount: docs/design-replay.md), as the lab's replay scenario
# runs it; LAB_ICOUNT=0 shows a replay placing interrupts by signature.
: "${LAB_ICOUNT:=1}"
. "$(dirname "$0")/lib.sh"

lab_need_qemu
lab_lock
# Record, then replay, under the counter: more than the replay scenario's
# 1200 s, for a machine busy with other work.
[ "$LAB_TIMEOUT" -ge 1800 ] || LAB_TIMEOUT=1800
dir=$LAB_OUT/demo
serial=$dir/serial.log
rm -rf "$dir"
mkdir -p "$dir/share"

# One line of the story: "[  42 s] text", seconds since the lab started.
t0=$SECONDS
tell() { printf '[%4d s] %s\n' $((SECONDS - t0)) "$*"; }

# Follows the lab while it runs (in the background): Xen's and dom0's first
# lines in the serial console, then the scenario's "DEMO: " lines (its
# output, in share/scenario.log), and a progress line (the serial console's
# last line) when nothing was said for 30 s.  The number of DEMO lines
# shown goes to $1, for the last ones.
story() {
	local shown_file=$1 scen=$dir/share/scenario.log
	local xen="" linux="" dom0="" shown=0 n last=$SECONDS
	while :; do
		sleep 1
		if [ -z "$xen" ] && grep -qs '^(XEN) Xen version' "$serial"; then
			xen=1 last=$SECONDS
			tell "lab: Xen $(grep -m1 '^(XEN) Xen version' "$serial" | awk '{print $4}') is booting (QEMU TCG, $LAB_SMP emulated CPU(s))"
		fi
		if [ -z "$linux" ] && grep -qs '^Linux version' "$serial"; then
			linux=1 last=$SECONDS
			tell "lab: dom0 Linux $(grep -m1 '^Linux version' "$serial" | awk '{print $3}') is booting"
		fi
		if [ -z "$dom0" ] && grep -qs '^tt-lab-dom0: running scenario' "$serial"; then
			dom0=1 last=$SECONDS
			tell "lab: dom0 is up; the demo runs in it"
		fi
		n=$(grep -c '^DEMO: ' "$scen" 2>/dev/null || true)
		if [ "${n:-0}" -gt "$shown" ]; then
			grep '^DEMO: ' "$scen" | sed -n "$((shown + 1)),${n}p" | while IFS= read -r l; do tell "${l#DEMO: }"; done
			shown=$n last=$SECONDS
			echo "$shown" >"$shown_file"
		fi
		if [ $((SECONDS - last)) -ge 30 ]; then
			last=$SECONDS
			tell "... $(wc -l <"$serial") lines on the serial console; the last: $(tail -n 1 "$serial" | tr -d '\r' | cut -c1-80)"
		fi
	done
}

tell "building the lab's dom0 initramfs"
bash "$LAB_TOP/lab/dom0/mkinitramfs.sh" >"$dir/mkinitramfs.log" 2>&1 ||
	die "the lab's initramfs did not build: see $dir/mkinitramfs.log"
cp "$LAB_TOP/lab/demo/guest.sh" "$dir/share/scenario.sh"
cp "$LAB_TOP/lab/dom0/lib.sh" "$dir/share/dom0-lib.sh"
if [ "$LAB_ICOUNT" = 1 ]; then
	tell "lab: starting QEMU with the instruction counter (-icount: Xen's boot takes minutes, its console countdown alone one or more; at most $LAB_TIMEOUT s in all)"
else
	tell "lab: starting QEMU (about a minute to dom0, then record and replay; at most $LAB_TIMEOUT s)"
fi
tell "lab: the whole serial console goes to $serial"
echo 0 >"$dir/shown"
story "$dir/shown" &
spid=$!
rc=0
lab_boot demo "$dir/share" "$serial" || rc=$?
sleep 1.5
kill "$spid" 2>/dev/null || true
wait "$spid" 2>/dev/null || true
# The steps said after the story's last look.
shown=$(cat "$dir/shown")
grep '^DEMO: ' "$dir/share/scenario.log" 2>/dev/null | sed -n "$((shown + 1)),\$p" |
	while IFS= read -r l; do tell "${l#DEMO: }"; done
[ "$rc" = 0 ] || die "the lab did not finish the demo (see the end of $serial)"

st=$(cat "$dir/share/status")
tell "done: the lab ran $LAB_BOOT_SECS s (dom0's paths /mnt/lab/... are these on this machine:)"
echo "  serial console (Xen, dom0, the guest's console, every command's output): $serial"
echo "  the demo's own output: $dir/share/scenario.log"
for l in "$dir"/share/*.ttlog; do
	[ -f "$l" ] || continue
	echo "  the recording: $l  (read it: $OUT/swift/bin/ttd-read-log -i $l | less)"
done
for c in "$dir"/share/console/*.log; do
	[ -f "$c" ] && echo "  console: $c"
done
[ "$st" = 0 ] || die "the demo guest did not run to its end (dom0 status $st). See $dir/share/scenario.log."
