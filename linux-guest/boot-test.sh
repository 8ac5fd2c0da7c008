#!/usr/bin/env bash
# Smoke test of the built TT Linux: boot it in QEMU (TCG, no Xen) with a
# tiny busybox initramfs and check that it reaches user space, reports the
# expected release and has the file systems the product relies on.
# Prints "linux-guest boot: 1 passed, 0 failed" (or 0/1) as its last line.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../scripts/lib.sh"

OUT=${OUT:-$HERE/../out}
LDIR=$OUT/linux
KERNEL=$LDIR/vmlinuz-6.1-tt
TIMEOUT=${TIMEOUT:-180}

need_cmd qemu-system-x86_64 qemu-system-x86
need_cmd cpio cpio
need_cmd timeout coreutils
[ -x /bin/busybox ] || die "/bin/busybox is missing. Run 'make deps' (it installs busybox-static)"
[ -r "$KERNEL" ] || die "$KERNEL is missing. Build it first with 'make -C linux-guest'"
. "$LDIR/version"

work=$(mktemp -d /tmp/tt-linux-boot.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/bin" "$work/root/proc" "$work/root/sys" "$work/root/dev" \
	"$work/root/tmp"
cp /bin/busybox "$work/root/bin/busybox"
cat >"$work/root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp
echo "TT-CHECK release=$(uname -r)"
echo "TT-CHECK cpus=$(grep -c ^processor /proc/cpuinfo)"
zcat /proc/config.gz | grep -q '^CONFIG_XEN_PVH=y$' && echo "TT-CHECK config=ok"
[ -d /sys/kernel/debug/tracing ] || [ -n "$(ls /sys/kernel/debug)" ] && echo "TT-CHECK debugfs=ok"
[ -c /dev/console ] && echo "TT-CHECK devtmpfs=ok"
echo "TT-CHECK done"
poweroff -f
EOF
chmod +x "$work/root/init"
(cd "$work/root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initrd.gz"

log=$LDIR/boot-test.log
start=$(date +%s.%N)
rc=0
timeout "$TIMEOUT" qemu-system-x86_64 -accel tcg -m 512 -smp 2 -nographic \
	-kernel "$KERNEL" -initrd "$work/initrd.gz" \
	-append "console=ttyS0 panic=-1 rdinit=/init" -no-reboot \
	</dev/null >"$log" 2>&1 || rc=$?
secs=$(echo "$(date +%s.%N) - $start" | bc)

fail() {
	note "boot test log kept in $log"
	echo "linux-guest boot: 0 passed, 1 failed"
	die "$1"
}
[ $rc -ne 124 ] || fail "QEMU did not finish within ${TIMEOUT}s. Read $log for where the boot stopped"
grep -q "TT-CHECK release=$kernelrelease" "$log" ||
	fail "the kernel did not reach user space as $kernelrelease. Read $log"
for k in cpus=2 config=ok debugfs=ok devtmpfs=ok done; do
	grep -q "TT-CHECK $k" "$log" || fail "check '$k' failed in the booted kernel. Read $log"
done
note "booted $kernelrelease to user space in QEMU TCG in ${secs}s"
echo "linux-guest boot: 1 passed, 0 failed"
