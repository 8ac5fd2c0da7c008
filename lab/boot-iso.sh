#!/bin/bash
# boot-iso.sh ISO yes|no [TIMEOUT]: boot a lab GRUB image the way the lab's
# "grub" scenario does and check the probe line's xen=. Keeps the serial log
# in ISO.log. Ends with one line: "PASS ..." or "tt-xen: ...".
set -euo pipefail
iso=${1:?usage: boot-iso.sh ISO yes|no [TIMEOUT]}
want=${2:?usage: boot-iso.sh ISO yes|no [TIMEOUT]}
limit=${3:-300}
log=$iso.log
command -v qemu-system-x86_64 >/dev/null ||
	{ echo "tt-xen: qemu-system-x86_64 is missing. Run 'make deps' (Debian package qemu-system-x86)."; exit 1; }
start=$(date +%s)
timeout --foreground -k 5 "$limit" qemu-system-x86_64 -accel tcg -cpu qemu64,+svm,+npt -m 1536 \
	-nographic -no-reboot -cdrom "$iso" </dev/null >"$log" 2>&1 || true
secs=$(($(date +%s) - start))
line=$(grep -a -o 'TT-GRUB-PROBE: kernel=[^ ]* xen=[a-z]*' "$log" | head -n 1 || true)
if [ -z "$line" ]; then
	echo "tt-xen: $iso printed no TT-GRUB-PROBE line within $limit s. Read $log."
	exit 1
fi
if [ "${line##*xen=}" != "$want" ]; then
	echo "tt-xen: $iso: '$line', expected xen=$want. Read $log."
	exit 1
fi
echo "PASS $iso: $line (${secs} s)"
