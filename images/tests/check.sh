#!/bin/bash
# Unit tests of images/: what the images hold, the configs, the helpers.
# Needs no QEMU and no LVM (LVM commands are replaced by recording fakes).
# Ends with "N passed, N failed"; exit code 1 when anything failed.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$here/../out}
O=$OUT/images
ram=$O/initrd-busybox-based-ram-linux.img
disk=$O/disk.img
tt_initrd=$here/sbin/tt-initrd
tt_snapshot=$here/sbin/tt-snapshot
work=$(mktemp -d /tmp/tt-images-check.XXXXXX)
trap 'rm -rf "$work"' EXIT

. "$here/../scripts/testlib.sh"
# fails NAME PATTERN COMMAND...: pass when COMMAND fails and its last line
# of stderr is one "tt-xen: ..." line matching PATTERN.
fails() {
	local name=$1 pattern=$2 last
	shift 2
	if "$@" >"$work/out" 2>"$work/err"; then
		bad "$name (succeeded)"
		return
	fi
	last=$(tail -n 1 "$work/err")
	if [[ $last == "tt-xen: "* && $last == *$pattern* ]]; then
		ok "$name"
	else
		bad "$name (last line: $last)"
	fi
}

[ -f "$ram" ] && [ -f "$disk" ] || { echo "tt-xen: $O has no images. Run make -C images first."; exit 1; }

# --- the RAM image
gzip -dc "$ram" >"$work/ram.cpio"
cpio -t --quiet <"$work/ram.cpio" >"$work/list"
for f in init sbin/init sbin/tt-init bin/busybox bin/sh sbin/getty bin/login \
	etc/passwd etc/shadow etc/tt-autorun/boot etc/tt-autorun/record etc/tt-autorun/ttio \
	etc/tt-autorun/spin etc/tt-autorun/bench-cpu etc/tt-autorun/bench-sys \
	etc/tt-autorun/bench-idle \
	etc/hostname; do
	check "ram image has /$f" grep -qx "$f" "$work/list"
done
check "ram image has /dev/console (appended archive)" grep -qa 'dev/console' "$work/ram.cpio"

mkdir "$work/ram"
(cd "$work/ram" && cpio -i -d --quiet <"$work/ram.cpio")
check "every file in the ram image is owned by root" \
	bash -c "cpio -tv --quiet <'$work/ram.cpio' | awk '\$3 != \"root\" || \$4 != \"root\" {bad=1} END {exit bad}'"
hash=$(sed -n 's/^root:\([^:]*\):.*/\1/p' "$work/ram/etc/shadow")
salt=$(echo "$hash" | cut -d'$' -f3)
check "root's password is root" \
	test "$(busybox mkpasswd -m sha512 root "$salt")" = "$hash"
check "passwd says root uses the shadow hash" grep -q '^root:x:0:0:' "$work/ram/etc/passwd"
for a in ip ping wget httpd getty login poweroff find mkpasswd hexdump od; do
	check "busybox has applet $a" bash -c "'$work/ram/bin/busybox' --list | grep -qx '$a'"
done
check "the autorun scripts parse" sh -n "$work/ram/etc/tt-autorun/boot" "$work/ram/etc/tt-autorun/record" \
	"$work/ram/etc/tt-autorun/spin"
check "the autorun 'ttio' parses" sh -n "$work/ram/etc/tt-autorun/ttio"
check "the bench autoruns parse" sh -n "$work/ram/etc/tt-autorun/bench-cpu" \
	"$work/ram/etc/tt-autorun/bench-sys" "$work/ram/etc/tt-autorun/bench-idle"
for a in cpu sys; do
	check "the autorun 'bench-$a' prints its time and ends with TT-GUEST-DONE" \
		bash -c "'$work/ram/bin/busybox' sh '$work/ram/etc/tt-autorun/bench-$a' >'$work/bench-$a.out' &&
			grep -Eq '^TT-GUEST: bench $a ms [0-9]+\$' '$work/bench-$a.out' &&
			tail -n 1 '$work/bench-$a.out' | grep -qx TT-GUEST-DONE"
done
check "init parses" sh -n "$work/ram/sbin/tt-init"
check "the autorun 'boot' prints the markers" \
	bash -c "sh '$work/ram/etc/tt-autorun/boot' | grep -q '^TT-GUEST: hello from' &&
		sh '$work/ram/etc/tt-autorun/boot' | tail -n 1 | grep -qx TT-GUEST-DONE"
check "the autorun 'record' ends with TT-GUEST-DONE" \
	bash -c "sh '$work/ram/etc/tt-autorun/record' | tail -n 1 | grep -qx TT-GUEST-DONE"
check "release file names the busybox-static version" \
	grep -q "busybox-static $(dpkg-query -W -f='${Version}' busybox-static)" "$work/ram/etc/tt-image-release"

# --- the disk image
check "disk.img is a clean ext4" e2fsck -fn "$disk"
check "disk.img holds the same autorun script" \
	bash -c "debugfs -R 'cat /etc/tt-autorun/boot' '$disk' 2>/dev/null | cmp - '$work/ram/etc/tt-autorun/boot'"
check "disk.img has /sbin/init -> tt-init" \
	bash -c "debugfs -R 'stat /sbin/init' '$disk' 2>/dev/null | grep -q 'Fast link dest: \"tt-init\"'"
check "disk.img's /etc/shadow is root's, mode 600" \
	bash -c "debugfs -R 'stat /etc/shadow' '$disk' 2>/dev/null | grep -Eq 'Mode: +0600' &&
		debugfs -R 'stat /etc/shadow' '$disk' 2>/dev/null | grep -Eq 'User: +0 +Group: +0'"

# --- the configs
for conf in clientA.conf clientA-disk.conf; do
	check "$conf: type pvh, 96 MB, one vCPU" \
		bash -c "grep -Eq '^type *= *\"pvh\"' '$here/$conf' && grep -Eq '^memory *= *96\$' '$here/$conf' &&
			grep -Eq '^vcpus *= *1\$' '$here/$conf'"
	check "$conf: time_travel only as a comment" \
		bash -c "grep -q '^#time_travel' '$here/$conf' && ! grep -q '^time_travel' '$here/$conf'"
done
check "clientA.conf boots the RAM image with console=hvc0" \
	bash -c "grep -q '^ramdisk *= *\"/boot/initrd-busybox-based-ram-linux.img\"' '$here/clientA.conf' &&
		grep -q '^extra *= *\"console=hvc0' '$here/clientA.conf'"
check "clientA-disk.conf: xvda on disk.img, root=/dev/xvda, snapshot variant" \
	bash -c "grep -q \"target=/var/lib/tt-xen/images/disk.img\" '$here/clientA-disk.conf' &&
		grep -q 'root=/dev/xvda' '$here/clientA-disk.conf' && grep -q '^#disk.*/dev/xenvg/snap1' '$here/clientA-disk.conf'"
# Parse the configs with the toolstack's own parser (libxlutil), as xl will.
if command -v cc >/dev/null && [ -e /usr/include/libxlutil.h ]; then
	cat >"$work/parse.c" <<'EOF'
#include <stdio.h>
#include <libxlutil.h>
int main(int argc, char **argv)
{
	XLU_Config *cfg = xlu_cfg_init(stderr, argv[1]);
	long mem = 0, vcpus = 0;
	const char *type = NULL;

	if (!cfg || xlu_cfg_readfile(cfg, argv[1]))
		return 1;
	if (xlu_cfg_get_long(cfg, "memory", &mem, 0) ||
	    xlu_cfg_get_long(cfg, "vcpus", &vcpus, 0) ||
	    xlu_cfg_get_string(cfg, "type", &type, 0))
		return 1;
	printf("%s %ld %ld\n", type, mem, vcpus);
	return 0;
}
EOF
	if cc -o "$work/parse" "$work/parse.c" -lxlutil 2>"$work/cc.err"; then
		for conf in clientA.conf clientA-disk.conf; do
			check "$conf parses with libxlutil" \
				bash -c "test \"\$('$work/parse' '$here/$conf')\" = 'pvh 96 1'"
		done
	else
		bad "could not build the libxlutil parser test"
		cat "$work/cc.err"
	fi
else
	echo "skip libxlutil parse (no cc or libxen-dev)"
fi

# --- tt-initrd: a real round trip
check "tt-initrd unpack" "$tt_initrd" unpack "$ram" "$work/u1"
check "tt-initrd repack" "$tt_initrd" repack "$work/u1" "$work/re.img"
check "tt-initrd unpack of the repacked image" "$tt_initrd" unpack "$work/re.img" "$work/u2"
check "round trip keeps every file, link and mode" diff -r --no-dereference "$work/u1" "$work/u2"
check "round trip keeps the file list" \
	bash -c "diff <(gzip -dc '$ram' | cpio -t --quiet) <(gzip -dc '$work/re.img' | cpio -t --quiet)"
check "repacking the same tree twice gives the same bytes" \
	bash -c "'$tt_initrd' repack '$work/u2' '$work/re2.img' && '$tt_initrd' repack '$work/u2' '$work/re3.img' &&
		cmp '$work/re2.img' '$work/re3.img'"
printf 'not an image' >"$work/junk"
fails "tt-initrd refuses a non-cpio file" "not a cpio archive" "$tt_initrd" unpack "$work/junk" "$work/u3"
fails "tt-initrd refuses a non-empty folder" "is not empty" "$tt_initrd" unpack "$ram" "$work/u1"
fails "tt-initrd refuses a missing image" "does not exist" "$tt_initrd" unpack "$work/nope.img" "$work/u4"
fails "tt-initrd refuses a missing folder" "is not a folder" "$tt_initrd" repack "$work/nope" "$work/x.img"
fails "tt-initrd refuses a missing output folder" "does not exist" "$tt_initrd" repack "$work/u1" "$work/no/x.img"
fails "tt-initrd needs two arguments" "takes two arguments" "$tt_initrd" unpack "$ram"
fails "tt-initrd rejects an unknown command" "unknown command" "$tt_initrd" explode

# --- tt-snapshot: arguments and error paths, then LVM replaced by fakes
fails "tt-snapshot needs VG/LV" "is not VG/LV" "$tt_snapshot" create clientA snap1 1G
fails "tt-snapshot rejects a bad size" "is not a size" "$tt_snapshot" create xenvg/clientA snap1 lots
fails "tt-snapshot rejects a bad name" "not a valid snapshot name" "$tt_snapshot" create xenvg/clientA 'snap 1' 1G
fails "tt-snapshot rejects a bad VG name" "not a valid volume group" "$tt_snapshot" delete '-x/snap1'
fails "tt-snapshot create needs three arguments" "takes three arguments" "$tt_snapshot" create xenvg/clientA
fails "tt-snapshot says when LVM is missing" "Install the Debian package lvm2" \
	env PATH=/usr/bin:/bin "$tt_snapshot" create xenvg/clientA snap1 1G

fake=$work/fakelvm
mkdir "$fake"
# Fake LVM: volumes are files $fake/vols/VG/LV holding their lv_attr;
# every call is logged to $fake/calls.
cat >"$fake/lvs" <<'EOF'
#!/bin/bash
echo "lvs $*" >>"$FAKE/calls"
vol=${!#}
[ -f "$FAKE/vols/$vol" ] || { echo "  Failed to find logical volume \"$vol\"" >&2; exit 5; }
echo "  $(cat "$FAKE/vols/$vol")"
EOF
cat >"$fake/lvcreate" <<'EOF'
#!/bin/bash
echo "lvcreate $*" >>"$FAKE/calls"
echo "swi-a-s---" >"$FAKE/vols/${!#%%/*}/$3"
EOF
cat >"$fake/lvremove" <<'EOF'
#!/bin/bash
echo "lvremove $*" >>"$FAKE/calls"
rm "$FAKE/vols/$2"
EOF
chmod 755 "$fake"/*
mkdir -p "$fake/vols/xenvg"
echo "-wi-a-----" >"$fake/vols/xenvg/clientA"
export FAKE=$fake
lvm_path=$fake:/usr/bin:/bin
fails "tt-snapshot: origin must exist" "xenvg/missing does not exist" \
	env PATH="$lvm_path" "$tt_snapshot" create xenvg/missing snap1 1G
check "tt-snapshot create runs lvcreate -s" \
	bash -c "[ \"\$(PATH='$lvm_path' '$tt_snapshot' create xenvg/clientA snap1 1G)\" = /dev/xenvg/snap1 ] &&
		grep -qx 'lvcreate -s -n snap1 -L 1G xenvg/clientA' '$fake/calls'"
fails "tt-snapshot create refuses an existing snapshot" "already exists" \
	env PATH="$lvm_path" "$tt_snapshot" create xenvg/clientA snap1 1G
fails "tt-snapshot delete refuses a volume that is not a snapshot" "is not a snapshot" \
	env PATH="$lvm_path" "$tt_snapshot" delete xenvg/clientA
check "tt-snapshot delete runs lvremove -f" \
	bash -c "PATH='$lvm_path' '$tt_snapshot' delete xenvg/snap1 && grep -qx 'lvremove -f xenvg/snap1' '$fake/calls' &&
		[ ! -e '$fake/vols/xenvg/snap1' ]"
fails "tt-snapshot delete of a missing snapshot" "does not exist" \
	env PATH="$lvm_path" "$tt_snapshot" delete xenvg/snap1

test_summary images
