#!/usr/bin/env bash
# Boot the built TT Xen in QEMU (TCG) far enough to see its banners:
# "Xen version 4.17.x-tt" and the TT subsystem's "tt: time-travel ..." line.
#
# Xen is given a small gzip file as its only module, so that it passes the
# "dom0 kernel not specified" check, runs its initcalls (where the TT banner
# is printed) and then panics while building dom0: that panic is expected.
# The real dom0 boot is the lab's business (lab/).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../scripts/lib.sh"

OUT=${OUT:-$HERE/../out}
XDIR=$OUT/xen
TIMEOUT=${TIMEOUT:-120}

need_cmd qemu-system-x86_64 qemu-system-x86
[ -r "$XDIR/xen" ] || die "$XDIR/xen is missing. Build it first with 'make -C xen'."

LOG=$XDIR/boot-test.log
MOD=$(mktemp)
trap 'rm -f "$MOD"' EXIT
head -c 65536 /dev/zero | gzip -n >"$MOD"

start=$(date +%s)
rc=0
timeout "$TIMEOUT" qemu-system-x86_64 -accel tcg -cpu qemu64,+svm,+npt -m 1024 \
	-nographic -no-reboot -kernel "$XDIR/xen" -initrd "$MOD" \
	-append "console=com1 loglvl=all guest_loglvl=all" </dev/null >"$LOG" 2>&1 || rc=$?
secs=$(( $(date +%s) - start ))

banner=$(grep -a -m1 -o 'Xen version [^ ]*' "$LOG" || true)
tt=$(grep -a -m1 -o 'tt: time-travel record and replay support.*' "$LOG" | tr -d '\r' || true)
[ -n "$banner" ] ||
	die "no Xen banner on the serial console after ${secs}s (qemu exit $rc; log: $LOG). Check that $XDIR/xen is a multiboot ELF."
case $banner in
*-tt) ;;
*) die "the booted hypervisor says '$banner', not a -tt version (log: $LOG). Rebuild with 'make -C xen'." ;;
esac
[ -n "$tt" ] ||
	die "'$banner' booted but printed no TT banner in ${secs}s (log: $LOG). Check CONFIG_TIME_TRAVEL in $XDIR/config."
echo "tt-xen: $banner booted in ${secs}s; $tt"
