#!/bin/bash
# Make the lab's GRUB boot images: three ISOs (grub-mkrescue, BIOS) holding
# the three entries that 21_tt_xen prints, each booting a different entry.
#
#   mkiso.sh OUTDIR
#
# Inputs (environment, defaults in brackets):
#   TT_XEN_GZ        TT Xen                  [$OUT/xen/xen-4.17-tt.gz]
#   TT_LINUX_IMAGE   TT Linux                [$OUT/linux/vmlinuz-6.1-tt]
#   DISTRO_DEB       Debian's kernel package [the linux-image-6.1.0-<abi>-amd64-unsigned
#                    that linux-image-amd64 depends on, apt-get download into
#                    $TT_CACHE/debs; never installed]
#   BUSYBOX          [/bin/busybox from busybox-static]
# Outputs in OUTDIR: tt-grub-entry{0,1,2}.iso, tt-grub-probe.img, grub-entry*.cfg.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../scripts/lib.sh
. "$here/../scripts/lib.sh"

out=${1:?usage: mkiso.sh OUTDIR}
OUT=${OUT:-$(cd "$here/.." && pwd)/out}
xen_gz=${TT_XEN_GZ:-$OUT/xen/xen-4.17-tt.gz}
tt_linux=${TT_LINUX_IMAGE:-$OUT/linux/vmlinuz-6.1-tt}
busybox=${BUSYBOX:-/bin/busybox}
debs=$TT_CACHE/debs

need_cmd grub-mkrescue grub-common
need_cmd xorriso xorriso
need_cmd mformat mtools
need_cmd cpio cpio
[ -d /usr/lib/grub/i386-pc ] ||
	die "GRUB's BIOS modules (/usr/lib/grub/i386-pc) are missing. Run 'make deps' (it installs the Debian package grub-pc-bin)."
[ -f "$xen_gz" ] ||
	die "TT Xen $xen_gz is missing. Run 'make xen' first (or give TT_XEN_GZ=/path/to/xen.gz)."
[ -f "$tt_linux" ] ||
	die "TT Linux $tt_linux is missing. Run 'make linux' first (or give TT_LINUX_IMAGE=/path/to/vmlinuz)."
[ -x "$busybox" ] ||
	die "$busybox is missing. Run 'make deps' (it installs the Debian package busybox-static)."

mkdir -p "$out" "$debs"

# Debian's own kernel, the "distribution kernel" of entries 1 and 2.
if [ -z "${DISTRO_DEB:-}" ]; then
	abi_pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-6\.1\.0-[0-9]*-amd64\)$/\1/p' | head -n 1)
	[ -n "$abi_pkg" ] ||
		die "apt does not know linux-image-amd64 (6.1). Run 'apt-get update' (Debian 12 sources needed)."
	pkg=$abi_pkg-unsigned
	DISTRO_DEB=$(ls "$debs/${pkg}"_*_amd64.deb 2>/dev/null | head -n 1 || true)
	if [ -z "$DISTRO_DEB" ]; then
		note "downloading $pkg into $debs (not installed)"
		(cd "$debs" && apt-get download "$pkg" >/dev/null) ||
			die "apt-get download $pkg failed. Check the network and the apt sources, or give DISTRO_DEB=/path/to/linux-image.deb."
		DISTRO_DEB=$(ls "$debs/${pkg}"_*_amd64.deb | head -n 1)
	fi
fi
[ -f "$DISTRO_DEB" ] || die "$DISTRO_DEB does not exist. Give DISTRO_DEB=/path/to/linux-image-6.1.0-N-amd64-unsigned.deb."

stage=$out/iso-root
rm -rf "$stage"
mkdir -p "$stage/boot/grub" "$out/deb"
rm -rf "$out/deb"/*
dpkg-deb --fsys-tarfile "$DISTRO_DEB" | tar -x -C "$out/deb" --wildcards './boot/vmlinuz-*' ||
	die "$DISTRO_DEB has no /boot/vmlinuz-*. Give a linux-image package."
distro_kernel=$(ls "$out"/deb/boot/vmlinuz-* | head -n 1)
mv "$distro_kernel" "$stage/boot/"
cp "$xen_gz" "$stage/boot/xen-4.17-tt.gz"
cp "$tt_linux" "$stage/boot/vmlinuz-6.1-tt"

# The probe initrd: busybox and probe/init.
probe_tree=$out/probe-root
rm -rf "$probe_tree"
mkdir -p "$probe_tree/bin" "$probe_tree/dev" "$probe_tree/proc" "$probe_tree/sys"
install -m 755 "$busybox" "$probe_tree/bin/busybox"
for a in sh mount mkdir cat echo grep dmesg uname sync poweroff sleep; do
	ln -s busybox "$probe_tree/bin/$a"
done
install -m 755 "$here/probe/init" "$probe_tree/init"
newc_console() {
	# /dev/console as a one-entry cpio newc archive (mknod needs root).
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%s\0' \
		1 $((8#20600)) 0 0 1 0 0 0 0 5 1 12 0 dev/console
	head -c 2 /dev/zero
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%s\0' \
		0 0 0 0 1 0 0 0 0 0 0 11 0 'TRAILER!!!'
	head -c 3 /dev/zero
}
(
	cd "$probe_tree"
	find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet
	newc_console
) | gzip -9n >"$out/tt-grub-probe.img"
cp "$out/tt-grub-probe.img" "$stage/boot/"

# The entries, from the same 21_tt_xen that update-grub runs, with the lab's
# consoles: Xen on com1, dom0 on hvc0 (Xen's console), plain Linux on ttyS0.
entries=$out/entries.cfg
env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin pkgdatadir=/usr/share/grub \
	TT_GRUB_BOOT_DIR="$stage/boot" TT_GRUB_NO_PROBE=true TT_GRUB_BOOT_PATH=/boot \
	TT_GRUB_INITRD=tt-grub-probe.img \
	GRUB_CMDLINE_TT_XEN="watchdog=1 sync_console=1 dom0_max_vcpus=1 dom0_mem=500M console=com1 com1=115200,8n1" \
	GRUB_CMDLINE_TT_LINUX="console=hvc0" \
	GRUB_CMDLINE_TT_PLAIN="console=ttyS0" \
	sh "$here/21_tt_xen" >"$entries" 2>"$out/entries.log" ||
	die "21_tt_xen failed: $(tail -n 1 "$out/entries.log"). Fix the script."
n=$(grep -c '^menuentry ' "$entries" || true)
[ "$n" -eq 3 ] ||
	die "21_tt_xen printed $n entries instead of 3 ($(tr '\n' ' ' <"$out/entries.log")). Check the boot files in $stage/boot."

for i in 0 1 2; do
	{
		echo "# Lab boot image $i: made by grub/mkiso.sh from grub/21_tt_xen."
		echo "serial --unit=0 --speed=115200"
		echo "terminal_input serial console"
		echo "terminal_output serial console"
		echo "set menuentry_id_option=\"--id\""
		echo "set default=$i"
		echo "set timeout=0"
		echo
		cat "$entries"
	} >"$stage/boot/grub/grub.cfg"
	cp "$stage/boot/grub/grub.cfg" "$out/grub-entry$i.cfg"
	iso=$out/tt-grub-entry$i.iso
	grub-mkrescue -o "$iso.tmp" "$stage" >"$out/mkrescue.log" 2>&1 ||
		die "grub-mkrescue failed for $iso (see $out/mkrescue.log). Check grub-pc-bin, xorriso and mtools."
	mv "$iso.tmp" "$iso"
done
note "GRUB lab images in $out: tt-grub-entry0.iso (TT Xen + TT Linux), tt-grub-entry1.iso (TT Xen + ${distro_kernel##*/}), tt-grub-entry2.iso (${distro_kernel##*/}, no Xen)"
