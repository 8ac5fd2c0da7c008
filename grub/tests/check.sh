#!/bin/bash
# Unit tests of grub/: 21_tt_xen on fake /boot folders, in no-probe mode and
# in update-grub's mode with grub-probe replaced by a fake; the lab ISOs when
# they have been built. Ends with "N passed, N failed".
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$here/../out}
script=$here/21_tt_xen
work=$(mktemp -d /tmp/tt-grub-check.XXXXXX)
trap 'rm -rf "$work"' EXIT

. "$here/../scripts/testlib.sh"

# run BOOTDIR [VAR=VALUE...]: 21_tt_xen in no-probe mode, stdout to
# $work/cfg, stderr to $work/err.
run() {
	local boot=$1
	shift
	env -i PATH=/usr/bin:/bin pkgdatadir=/usr/share/grub TT_GRUB_BOOT_DIR="$boot" \
		TT_GRUB_NO_PROBE=true "$@" sh "$script" >"$work/cfg" 2>"$work/err"
}
entries() { grep -c '^menuentry ' "$work/cfg" || true; }
ids() { sed -n "s/^menuentry .* '\([a-z0-9-]*\)' {\$/\1/p" "$work/cfg" | tr '\n' ' '; }

full=$work/boot-full
mkdir "$full"
touch "$full"/{xen-4.17-tt.gz,vmlinuz-6.1-tt,vmlinuz-6.1.0-9-amd64,vmlinuz-6.1.0-56-amd64}
touch "$full"/{initrd.img-6.1.0-56-amd64,vmlinuz-6.1.0-60-amd64.dpkg-bak}

run "$full"
check "three entries in the seed's order" test "$(ids)" = "tt-xen-tt-linux tt-xen-distro-linux tt-plain-linux "
check "the output passes grub-script-check" grub-script-check "$work/cfg"
check "Xen gets the seed's options by default" \
	grep -q "multiboot2	/boot/xen-4.17-tt.gz watchdog=1 sync_console=1 dom0_max_vcpus=1 dom0_mem=500M" "$work/cfg"
check "Xen is loaded with multiboot2, dom0 with module2" \
	bash -c "[ \$(grep -c '^	multiboot2	' '$work/cfg') = 2 ] && grep -q '^	module2	/boot/vmlinuz-6.1-tt' '$work/cfg'"
check "the newest distribution kernel is chosen (not a .dpkg-bak)" \
	bash -c "grep -q 'module2	/boot/vmlinuz-6.1.0-56-amd64' '$work/cfg' && ! grep -q 'dpkg-bak\|6.1.0-9-' '$work/cfg'"
check "the distribution kernel keeps its initrd, unzipped by Linux" \
	grep -q "module2	--nounzip /boot/initrd.img-6.1.0-56-amd64" "$work/cfg"
check "the plain entry boots Linux with no Xen" \
	bash -c "sed -n '/tt-plain-linux/,/^}/p' '$work/cfg' | grep -q '^	linux	/boot/vmlinuz-6.1.0-56-amd64' &&
		! sed -n '/tt-plain-linux/,/^}/p' '$work/cfg' | grep -q multiboot"
check "no placeholder word on any command line" bash -c "! grep -q placeholder '$work/cfg'"

run "$full" GRUB_CMDLINE_TT_XEN="dom0_mem=1G loglvl=all" GRUB_CMDLINE_TT_LINUX="console=hvc0" \
	GRUB_CMDLINE_TT_PLAIN="console=ttyS0"
check "GRUB_CMDLINE_TT_XEN replaces the seed's options" \
	bash -c "grep -q 'multiboot2	/boot/xen-4.17-tt.gz dom0_mem=1G loglvl=all' '$work/cfg' && ! grep -q watchdog '$work/cfg'"
check "GRUB_CMDLINE_TT_LINUX reaches both dom0 kernels" test "$(grep -c 'module2	/boot/vmlinuz.*console=hvc0' "$work/cfg")" = 2
check "GRUB_CMDLINE_TT_PLAIN reaches the plain kernel" grep -q "linux	/boot/vmlinuz-6.1.0-56-amd64 console=ttyS0" "$work/cfg"

# The installed settings file gives the same defaults.
(
	set -a
	# shellcheck source=../tt-xen.cfg
	. "$here/tt-xen.cfg"
	env -i PATH=/usr/bin:/bin pkgdatadir=/usr/share/grub TT_GRUB_BOOT_DIR="$full" TT_GRUB_NO_PROBE=true \
		GRUB_CMDLINE_TT_XEN="$GRUB_CMDLINE_TT_XEN" sh "$script" >"$work/cfg2" 2>/dev/null
)
run "$full"
check "tt-xen.cfg holds the same defaults as the script" cmp "$work/cfg" "$work/cfg2"
check "tt-xen.cfg exports its variables (grub-mkconfig passes no others)" \
	grep -q '^export GRUB_CMDLINE_TT_XEN GRUB_CMDLINE_TT_LINUX GRUB_CMDLINE_TT_PLAIN' "$here/tt-xen.cfg"

run "$full" GRUB_DISABLE_TT_XEN=true
check "GRUB_DISABLE_TT_XEN=true prints nothing" test "$(entries)" = 0

# Missing files: entries left out, each with a reason on stderr.
nott=$work/boot-nott
mkdir "$nott"
touch "$nott"/{xen-4.17-tt.gz,vmlinuz-6.1.0-56-amd64}
run "$nott"
check "no TT Linux: entries 1 and 2 only" test "$(ids)" = "tt-xen-distro-linux tt-plain-linux "
check "no TT Linux: stderr says why" grep -q "leaving out 'TT Xen 4.17-tt + TT Linux 6.1-tt': .*vmlinuz-6.1-tt not found" "$work/err"
check "no TT Linux: the distribution kernel without initrd gets none" bash -c "! grep -q 'initrd\|nounzip' '$work/cfg'"

noxen=$work/boot-noxen
mkdir "$noxen"
touch "$noxen"/{vmlinuz-6.1-tt,vmlinuz-6.1.0-56-amd64}
run "$noxen"
check "no TT Xen: the plain entry only" test "$(ids)" = "tt-plain-linux "
check "no TT Xen: stderr names the missing file" \
	bash -c "[ \$(grep -c 'xen-4.17-tt.gz not found' '$work/err') = 2 ]"

nodistro=$work/boot-nodistro
mkdir "$nodistro"
touch "$nodistro"/{xen-4.17-tt.gz,vmlinuz-6.1-tt}
run "$nodistro"
check "no distribution kernel: TT Xen + TT Linux only" test "$(ids)" = "tt-xen-tt-linux "
check "no distribution kernel: stderr says so twice" test "$(grep -c 'no distribution kernel' "$work/err")" = 2

run "$full" TT_GRUB_INITRD=probe.img TT_GRUB_ROOT=/dev/vda1
check "TT_GRUB_INITRD puts one initrd on every entry" test "$(grep -c '/boot/probe.img' "$work/cfg")" = 3
check "TT_GRUB_ROOT gives root= in no-probe mode" test "$(grep -c 'root=/dev/vda1 ro' "$work/cfg")" = 3

# update-grub's mode: grub-probe and grub-mkrelpath replaced by fakes that
# answer for an ext4 root on /dev/sda1 with /boot on it.
fake=$work/fake
mkdir "$fake"
cat >"$fake/grub-probe" <<'EOF'
#!/bin/sh
for a; do
	case "$a" in
	--target=partmap | -t*partmap) echo msdos ;;
	--target=abstraction) ;;
	--target=fs) echo ext2 ;;
	--target=fs_uuid) echo 0a1b2c3d-1111-2222-3333-444455556666 ;;
	--target=compatibility_hint) echo hd0,msdos1 ;;
	--target=hints_string) echo "--hint-bios=hd0,msdos1" ;;
	--target=drive) echo "(hd0,msdos1)" ;;
	--target=partuuid) echo 1234abcd-01 ;;
	esac
done
exit 0
EOF
printf '#!/bin/sh\necho /boot\n' >"$fake/grub-mkrelpath"
chmod 755 "$fake"/*
env -i PATH=/usr/bin:/bin pkgdatadir=/usr/share/grub TT_GRUB_BOOT_DIR="$full" \
	grub_probe="$fake/grub-probe" grub_mkrelpath="$fake/grub-mkrelpath" \
	GRUB_DEVICE=/dev/sda1 GRUB_DEVICE_BOOT=/dev/sda1 \
	GRUB_DEVICE_UUID=0a1b2c3d-1111-2222-3333-444455556666 \
	GRUB_CMDLINE_LINUX="net.ifnames=0" GRUB_CMDLINE_LINUX_DEFAULT="quiet" \
	GRUB_DISTRIBUTOR=Debian sh "$script" >"$work/cfg" 2>"$work/err" || true
check "probe mode: three entries" test "$(entries)" = 3
check "probe mode: the output passes grub-script-check" grub-script-check "$work/cfg"
check "probe mode: each entry finds its file system by UUID" \
	test "$(grep -c 'search --no-floppy --fs-uuid --set=root .*0a1b2c3d-1111-2222-3333-444455556666' "$work/cfg")" = 6
check "probe mode: a kernel with an initrd gets root=UUID=" \
	grep -q 'module2	/boot/vmlinuz-6.1.0-56-amd64 root=UUID=0a1b2c3d-1111-2222-3333-444455556666 ro net.ifnames=0 quiet' "$work/cfg"
check "probe mode: TT Linux without initrd gets the device" \
	grep -q 'module2	/boot/vmlinuz-6.1-tt root=/dev/sda1 ro net.ifnames=0$' "$work/cfg"

# The lab ISOs, when 'make iso' has made them.
iso_dir=$OUT/grub
if [ -f "$iso_dir/tt-grub-entry0.iso" ]; then
	for i in 0 1 2; do
		iso=$iso_dir/tt-grub-entry$i.iso
		check "entry$i.iso boots entry $i at once on the serial console" \
			bash -c "xorriso -osirrox on -indev '$iso' -extract /boot/grub/grub.cfg '$work/iso$i.cfg' >/dev/null 2>&1 &&
				grep -qx 'set default=$i' '$work/iso$i.cfg' && grep -qx 'set timeout=0' '$work/iso$i.cfg' &&
				grep -qx 'serial --unit=0 --speed=115200' '$work/iso$i.cfg' &&
				grep -q '^terminal_output serial' '$work/iso$i.cfg'"
		check "entry$i.iso holds Xen, both kernels and the probe initrd" \
			bash -c "xorriso -indev '$iso' -find /boot -type f 2>/dev/null | grep -c \"xen-4.17-tt.gz\\|vmlinuz-6.1-tt\\|vmlinuz-6.1.0-\\|tt-grub-probe.img\" | grep -qx 4"
	done
	check "ISO consoles: Xen com1, dom0 hvc0, plain ttyS0" \
		bash -c "grep -q 'multiboot2.*console=com1' '$work/iso0.cfg' &&
			[ \$(grep -c 'module2	/boot/vmlinuz[^ ]* console=hvc0' '$work/iso0.cfg') = 2 ] &&
			grep -q 'linux	/boot/vmlinuz.* console=ttyS0' '$work/iso0.cfg'"
else
	echo "skip ISO checks (run make -C grub iso)"
fi

test_summary grub
