#!/usr/bin/env bash
# `make demo` (after `make world`): boot the lab (TT Xen + TT Linux dom0 in
# QEMU), record the clientA guest with ttd-xl, showing the machine's serial
# console live: Xen, dom0, the recorded guest's console as dom0 follows it,
# then `ttd-read-log stat` and `verify` of its log. Logs and the recording
# stay in $OUT/lab/demo/.
set -euo pipefail
. "$(dirname "$0")/lib-lab.sh"

lab_need_qemu
lab_lock
# Record, then replay: more than a scenario's default.
[ "$LAB_TIMEOUT" -ge 900 ] || LAB_TIMEOUT=900
dir=$LAB_OUT/demo
rm -rf "$dir"
mkdir -p "$dir/share"
note "building the lab's dom0 initramfs"
bash "$LAB_TOP/ci/mkinitramfs.sh"
cp "$LAB_TOP/ci/demo/guest.sh" "$dir/share/scenario.sh"
cp "$LAB_TOP/ci/dom0-lib.sh" "$dir/share/"
note "booting the lab (QEMU TCG; about a minute; timeout $LAB_TIMEOUT s)"
echo "----------------------------------------------------------------------"
lab_boot demo "$dir/share" "$dir/serial.log" live ||
	exit 1
echo "----------------------------------------------------------------------"
st=$(cat "$dir/share/status")
echo "The recorded guest's console, as ttd-deviced wrote it ($dir/share/console/):"
cat "$dir"/share/console/guest-*.log 2>/dev/null || echo "(no guest console log)"
echo
echo "Lab up to guest output: ${LAB_GUEST_OUTPUT_SECS:-?} s, whole run: $LAB_BOOT_SECS s."
echo "Serial log: $dir/serial.log"
[ "$st" = 0 ] || die "the demo guest did not run to its end (dom0 status $st). See $dir/share/scenario.log."
for l in "$dir"/share/*.ttlog; do
	[ -f "$l" ] || continue
	echo "The recording: $l"
	echo "Read it here too: $OUT/swift/bin/ttd-read-log -i -f $l | less"
done
