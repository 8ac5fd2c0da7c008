#!/bin/bash
# Build the guest images from Debian's busybox-static and images/rootfs/.
#
#   build.sh OUTDIR
#
# Makes, in OUTDIR:
#   rootfs/                               the tree both images hold
#   initrd-busybox-based-ram-linux.img    the seed's RAM image (cpio newc, gzip)
#   disk.img                              the same tree as an ext4 file system,
#                                         made without root with mke2fs -d
#   VERSIONS                              busybox-static version, sha256 sums
#
# The build is reproducible: fixed mtimes (SOURCE_DATE_EPOCH, default the
# last commit touching images/), fixed password salt, fixed UUID and hash
# seed, sorted archive. The time-travel log header records these hashes.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../scripts/lib.sh
. "$here/../scripts/lib.sh"

out=${1:?usage: build.sh OUTDIR}
busybox=${BUSYBOX:-/bin/busybox}
# The lab's guest workloads (autorun scripts, programs); see lab/README.md.
guest=$(cd "${GUEST:-$here/../lab/guest}" && pwd)
disk_size=${TT_DISK_SIZE:-32M}
# Fixed so that two builds give the same bytes; the password is root/root
# and public anyway.
salt=ttxenguest
uuid=74742d78-656e-4775-6573-740000000001

need_cmd cpio cpio
need_cmd gcc gcc
need_cmd gzip gzip
need_cmd mke2fs e2fsprogs
[ -x "$busybox" ] ||
	die "$busybox is missing. Run 'make deps' (it installs the Debian package busybox-static)."
file -L "$busybox" | grep -q 'statically linked' ||
	die "$busybox is not statically linked. Install the Debian package busybox-static (not busybox)."

bb_version=$(dpkg-query -W -f='${Version}' busybox-static 2>/dev/null || true)
[ -n "$bb_version" ] || bb_version="unknown ($("$busybox" | head -n 1))"

if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git -C "$here" log -1 --format=%ct -- . 2>/dev/null || true)
	[ -n "$SOURCE_DATE_EPOCH" ] || SOURCE_DATE_EPOCH=1700000000
fi
export SOURCE_DATE_EPOCH

mkdir -p "$out"
tree=$out/rootfs
tmp=$out/rootfs.tmp
rm -rf "$tmp"
mkdir -p "$tmp"

# The tree.
for d in bin sbin usr/bin usr/sbin etc proc sys dev tmp run root mnt \
	var/log var/run home; do
	mkdir -p "$tmp/$d"
done
chmod 1777 "$tmp/tmp"
chmod 700 "$tmp/root"
install -m 755 "$busybox" "$tmp/bin/busybox"

# Applet links, relative so that the tree also works mounted elsewhere.
"$busybox" --list-full | while read -r path; do
	case "$path" in
	linuxrc | sbin/init | bin/busybox) continue ;;
	esac
	dir=$(dirname "$path")
	up=$(echo "$dir" | sed 's,[^/]*,..,g')
	[ -e "$tmp/$path" ] || ln -s "$up/bin/busybox" "$tmp/$path"
done

cp -R "$here/rootfs/." "$tmp/"
# The lab's guest workloads: lab/guest/autorun/NAME becomes
# /etc/tt-autorun/NAME, and the programs of lab/guest/src are built static,
# like busybox, into /usr/bin.
mkdir -p "$tmp/etc/tt-autorun"
cp -R "$guest/autorun/." "$tmp/etc/tt-autorun/"
for c in "$guest"/src/*.c; do
	gcc -static -O2 -Wall -Wextra -Werror -o "$tmp/usr/bin/$(basename "$c" .c)" "$c" ||
		die "cannot build the guest program $c. Fix the compile error above."
done
chmod 755 "$tmp/sbin/tt-init" "$tmp"/etc/tt-autorun/*
ln -s sbin/tt-init "$tmp/init"
ln -s tt-init "$tmp/sbin/init"

hash=$("$busybox" mkpasswd -m sha512 root "$salt")
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
	>"$tmp/etc/passwd"
printf 'root:%s:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n' "$hash" \
	>"$tmp/etc/shadow"
chmod 600 "$tmp/etc/shadow"
printf 'tt-xen guest image, busybox-static %s\n' "$bb_version" >"$tmp/etc/tt-image-release"

find "$tmp" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
rm -rf "$tree"
mv "$tmp" "$tree"

# newc_node NAME MODE MAJOR MINOR: a cpio newc archive holding one device
# node, so that the RAM image has /dev/console (the kernel opens it
# for PID 1 before any devtmpfs is mounted) without the build needing
# root for mknod. The kernel reads concatenated archives.
newc_node() {
	local name=$1 mode=$2 major=$3 minor=$4 namesize hdr
	namesize=$((${#name} + 1))
	hdr=$(printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		1 "$mode" 0 0 1 "$SOURCE_DATE_EPOCH" 0 0 0 "$major" "$minor" "$namesize" 0)
	printf '%s%s\0' "$hdr" "$name"
	# Header (110) + name + NUL, padded to a multiple of 4.
	local pad=$(((4 - (110 + namesize) % 4) % 4))
	head -c "$pad" /dev/zero
}
newc_trailer() {
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%s\0' \
		0 0 0 0 1 0 0 0 0 0 0 11 0 'TRAILER!!!'
	head -c $(((4 - (110 + 11) % 4) % 4)) /dev/zero
}

initrd=$out/initrd-busybox-based-ram-linux.img
(
	cd "$tree"
	find . -mindepth 1 | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --reproducible --quiet
	newc_node dev/console $((8#20600)) 5 1
	newc_trailer
) | gzip -9n >"$initrd.tmp"
mv "$initrd.tmp" "$initrd"

disk=$out/disk.img
rm -f "$disk.tmp"
E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH mke2fs -q -F -t ext4 -L tt-root \
	-U "$uuid" -E "hash_seed=$uuid,root_owner=0:0" -d "$tree" "$disk.tmp" "$disk_size" >/dev/null ||
	die "mke2fs -d could not make $disk. Check that e2fsprogs is 1.43 or newer and that $out is writable."
mv "$disk.tmp" "$disk"

{
	echo "busybox-static $bb_version"
	echo "SOURCE_DATE_EPOCH $SOURCE_DATE_EPOCH"
	(cd "$out" && sha256sum "$(basename "$initrd")" "$(basename "$disk")")
} >"$out/VERSIONS"
note "guest images built in $out (busybox-static $bb_version)"
