#!/usr/bin/env bash
# Build the lab's dom0 initramfs: $OUT/lab/initramfs.cpio.
#
# It holds:
#   - Debian's xen-utils-4.17 (xl, xenstored, xenconsoled, ...) with
#     xen-utils-common and xenstore-utils, downloaded with `apt-get download`
#     into $TT_CACHE/debs and unpacked with dpkg-deb -x (never installed on
#     the host), plus exactly the shared libraries they need: the ELF NEEDED
#     closure resolved against the unpacked Debian packages (libc6 included),
#     plus libgcc_s.so.1 that glibc dlopen()s (xl aborts without it);
#   - Debian's busybox-static (/bin/busybox of the host) as the shell;
#   - our tree from `make install DESTDIR=$OUT/lab/root`, plus ttd-log-gen
#     from $OUT/swift/bin (a test tool: bad logs for the lab's scenarios;
#     not part of `make install`);
#   - lab/dom0/init as /init.
# With LAB_DOM0=debian it also holds Debian's kernel modules that dom0 needs.
#
# Usage: lab/dom0/mkinitramfs.sh   (settings: see lab/lib.sh)
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

need_cmd dpkg-deb dpkg
need_cmd apt-get apt
need_cmd objdump binutils
need_cmd strip binutils
need_cmd cpio cpio
need_cmd ldconfig libc-bin
need_cmd gcc gcc
[ -x /bin/busybox ] && file -L /bin/busybox | grep -q 'statically linked' ||
	die "/bin/busybox is missing or not static. Run 'make deps' (it installs busybox-static)."

DEBS=$TT_CACHE/debs
SYSROOT=$LAB_OUT/sysroot
ROOT=$LAB_OUT/root
STAGE=$LAB_OUT/initramfs
MULTIARCH=x86_64-linux-gnu

mkdir -p "$DEBS" "$LAB_OUT" || die "cannot create $DEBS or $LAB_OUT. Set TT_CACHE/OUT to writable folders."

# --- Debian packages ----------------------------------------------------------

# pkg_deps PKG: the library packages PKG depends on (Depends, Pre-Depends).
pkg_deps() {
	apt-cache depends --no-recommends --no-suggests --no-conflicts \
		--no-breaks --no-replaces --no-enhances "$1" 2>/dev/null |
		sed -n 's/^ *|\{0,1\}\(Pre\)\{0,1\}Depends: \([^<][^ ]*\)$/\2/p' |
		sed 's/:any$//; s/:amd64$//' | grep -E '^(lib|zlib)' || true
}

# deb_file PKG: path of PKG's candidate version in $DEBS, downloading it
# (into a private folder first: the cache is shared with other builds).
deb_file() {
	local pkg=$1 ver f tmp
	ver=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | head -n1)
	[ -n "$ver" ] || die "Debian package $pkg is unknown to apt. Run 'apt-get update' (or 'make deps')."
	f=$(ls "$DEBS/${pkg}_${ver//:/%3a}_"*.deb 2>/dev/null | head -n1 || true)
	if [ -z "$f" ]; then
		tmp=$(mktemp -d "$DEBS/.dl.XXXXXX")
		(cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "$pkg=$ver" >/dev/null 2>"$tmp/err") ||
			{ cat "$tmp/err" >&2; rm -rf "$tmp"; die "apt-get download $pkg=$ver failed. Check the network and apt's sources."; }
		mv "$tmp"/*.deb "$DEBS/"
		rm -rf "$tmp"
		f=$(ls "$DEBS/${pkg}_${ver//:/%3a}_"*.deb | head -n1)
	fi
	echo "$f"
}

# The toolstack and, transitively, the library packages it depends on.
# apt-cache is slow, so the resolved list is reused until apt's package
# lists change (apt-get update) or a file left the cache.
PKGCACHE=$LAB_OUT/debs.list
debfiles=()
if [ -s "$PKGCACHE" ] && [ "$PKGCACHE" -nt /var/lib/apt/lists ] && [ "$PKGCACHE" -nt "$0" ]; then
	mapfile -t debfiles <"$PKGCACHE"
	for d in "${debfiles[@]}"; do
		[ -f "$d" ] || { debfiles=(); break; }
	done
fi
if [ ${#debfiles[@]} = 0 ]; then
declare -A seen=()
queue=(xen-utils-4.17 xen-utils-common xenstore-utils)
pkgs=()
while [ ${#queue[@]} -gt 0 ]; do
	p=${queue[0]}
	queue=("${queue[@]:1}")
	[ -n "${seen[$p]:-}" ] && continue
	seen[$p]=1
	pkgs+=("$p")
	for d in $(pkg_deps "$p"); do
		[ -n "${seen[$d]:-}" ] || queue+=("$d")
	done
done

for p in "${pkgs[@]}"; do
	debfiles+=("$(deb_file "$p")")
done
printf '%s\n' "${debfiles[@]}" >"$PKGCACHE"
fi

# unpack DEB...: into $SYSROOT (idempotent, remembered in a stamp file).
unpack() {
	local d
	for d in "$@"; do
		grep -qxF "$(basename "$d")" "$SYSROOT/.debs" 2>/dev/null && continue
		dpkg-deb -x "$d" "$SYSROOT" || die "cannot unpack $d. Delete it from $DEBS and re-run."
		basename "$d" >>"$SYSROOT/.debs"
	done
}
# A new package version means a fresh sysroot, not a mix of two.
if [ -f "$SYSROOT/.debs" ]; then
	for d in "${debfiles[@]}"; do
		grep -qxF "$(basename "$d")" "$SYSROOT/.debs" || { rm -rf "$SYSROOT"; break; }
	done
fi
mkdir -p "$SYSROOT"
unpack "${debfiles[@]}"
note "lab: toolstack from $(basename "${debfiles[0]}") and ${#debfiles[@]} packages in all"

# --- our tree -------------------------------------------------------------------

rm -rf "$ROOT"
mkdir -p "$ROOT"
if [ "${LAB_PARTIAL_INSTALL:-0}" = 1 ]; then
	# Development aid while folders are still missing: install what can be.
	for d in xen linux-guest swift-tools grub images; do
		if ! make -s -C "$LAB_TOP/$d" install DESTDIR="$ROOT" PREFIX=/usr >"$LAB_OUT/install-$d.log" 2>&1; then
			note "lab: LAB_PARTIAL_INSTALL: '$d' did not install (see $LAB_OUT/install-$d.log); the lab root lacks it"
		fi
	done
else
	make -s -C "$LAB_TOP" install DESTDIR="$ROOT" PREFIX=/usr >"$LAB_OUT/install.log" 2>&1 ||
		{ tail -n 5 "$LAB_OUT/install.log" >&2; die "'make install DESTDIR=$ROOT' failed (log: $LAB_OUT/install.log). Run 'make world' first."; }
fi

# --- the initramfs tree ----------------------------------------------------------

rm -rf "$STAGE"
mkdir -p "$STAGE"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,run,tmp,root,mnt/lab,lib64}
mkdir -p "$STAGE"/var/{lib/xen,lib/xenstored,log/xen,tmp}
ln -s ../run "$STAGE/var/run"
cp /bin/busybox "$STAGE/bin/busybox"
install -m 0755 "$LAB_TOP/lab/dom0/init" "$STAGE/init"

# Toolstack files: ELF programs of xen-utils-4.17 (not the OCaml xenstored,
# the test programs or the Python ones), Debian's wrapper and scripts.
elves=()
for f in "$SYSROOT"/usr/lib/xen-4.17/bin/*; do
	b=$(basename "$f")
	case $b in oxenstored | test-*) continue ;; esac
	file -b "$f" | grep -q '^ELF' || continue
	elves+=("usr/lib/xen-4.17/bin/$b")
done
mkdir -p "$STAGE/usr/lib/xen-4.17/bin"
for e in "${elves[@]}"; do
	cp -a "$SYSROOT/$e" "$STAGE/$e"
done
cp -a "$SYSROOT/usr/lib/xen-common" "$STAGE/usr/lib/"
cp -a "$SYSROOT/etc/xen" "$STAGE/etc/"
for f in "$SYSROOT"/usr/sbin/* "$SYSROOT"/usr/bin/xen*; do
	[ -e "$f" ] || [ -L "$f" ] || continue
	cp -a "$f" "$STAGE/${f#"$SYSROOT"/}"
	[ -L "$f" ] || ! file -b "$f" | grep -q '^ELF' || elves+=("${f#"$SYSROOT"/}")
done

# Our tree. The hypervisor itself is not needed inside dom0.
cp -a "$ROOT/." "$STAGE/"
# ttd-log-gen, for the scenarios that need a bad log (alter, cut): a test
# tool, built with the Swift tools but installed on no host.
if [ -x "$OUT/swift/bin/ttd-log-gen" ]; then
	install -m 0755 "$OUT/swift/bin/ttd-log-gen" "$STAGE/usr/sbin/ttd-log-gen"
elif [ "${LAB_PARTIAL_INSTALL:-0}" = 1 ]; then
	note "lab: LAB_PARTIAL_INSTALL: $OUT/swift/bin/ttd-log-gen is missing; the lab root lacks it"
else
	die "$OUT/swift/bin/ttd-log-gen is missing (the lab's scenarios use it). Run 'make -C swift-tools' (or 'make world') first."
fi

rm -f "$STAGE"/boot/xen*
# Disk images stay out of RAM: dom0 sees the whole lab root read-only
# through the second 9p share (tag "root", mounted on /mnt/root).
find "$STAGE/var/lib" -name '*.img' -size +4M -delete 2>/dev/null || true
while IFS= read -r f; do
	elves+=("${f#"$STAGE"/}")
done < <(find "$STAGE/usr/sbin" "$STAGE/usr/bin" "$STAGE/usr/local" -type f 2>/dev/null |
	while read -r g; do file -b "$g" | grep -q '^ELF.*dynamic' && echo "$g"; done)

# Our programs go in stripped: debug information and symbols stay in the
# installed tree on the host ($OUT/lab/root); in the initramfs they would
# only cost memory and boot time under TCG (a Swift tool: 26 MB -> 15 MB).
for e in "${elves[@]}"; do
	case $e in usr/lib/xen-4.17/* | usr/sbin/xen* | usr/bin/xen*) ;; *) strip "$STAGE/$e" 2>/dev/null || true ;; esac
done

# --- shared libraries: the NEEDED closure against the sysroot ----------------------

libdirs=("$SYSROOT/lib/$MULTIARCH" "$SYSROOT/usr/lib/$MULTIARCH" "$SYSROOT/lib64" "$SYSROOT/usr/lib")

# find_lib SONAME: its path in the sysroot, or nothing.
find_lib() {
	local d
	for d in "${libdirs[@]}"; do
		if [ -e "$d/$1" ]; then
			echo "$d/$1"
			return
		fi
	done
}

# fetch_for SONAME: unpack the Debian package that ships SONAME on this
# host (same release) into the sysroot. Used for libraries that our own
# tools need beyond the toolstack's.
fetch_for() {
	local pkg
	pkg=$(dpkg -S "*/$1" 2>/dev/null | head -n1 | cut -d: -f1)
	[ -n "$pkg" ] || die "no Debian package provides $1 (needed in the lab's dom0). Install the package that ships it with apt, then re-run."
	unpack "$(deb_file "$pkg")"
}

# copy_lib PATH: copy the library and the symlink chain leading to it.
copy_lib() {
	local p=$1 rel
	while :; do
		rel=${p#"$SYSROOT"/}
		[ -e "$STAGE/$rel" ] || [ -L "$STAGE/$rel" ] || { mkdir -p "$(dirname "$STAGE/$rel")"; cp -a "$p" "$STAGE/$rel"; }
		[ -L "$p" ] || break
		p=$(dirname "$p")/$(readlink "$p")
	done
}

declare -A done_lib=()
todo=()
for e in "${elves[@]}"; do todo+=("$STAGE/$e"); done
# glibc dlopen()s libgcc_s for thread cancellation: xl aborts without it.
todo+=("$(find_lib libgcc_s.so.1)")
interp=$(find_lib ld-linux-x86-64.so.2)
[ -n "$interp" ] || die "ld-linux-x86-64.so.2 is not in the unpacked libc6. Delete $SYSROOT and re-run."
todo+=("$interp")
while [ ${#todo[@]} -gt 0 ]; do
	f=${todo[0]}
	todo=("${todo[@]:1}")
	[ -n "$f" ] || continue
	case $f in "$SYSROOT"/*) copy_lib "$f" ;; esac
	for so in $(objdump -p "$f" 2>/dev/null | awk '$1 == "NEEDED" { print $2 }'); do
		[ -n "${done_lib[$so]:-}" ] && continue
		lib=$(find_lib "$so")
		if [ -z "$lib" ]; then
			fetch_for "$so"
			lib=$(find_lib "$so")
			[ -n "$lib" ] || die "$so is still missing after unpacking its package. Delete $SYSROOT and re-run."
		fi
		done_lib[$so]=1
		todo+=("$(readlink -f "$lib")")
	done
done
ln -sf "/lib/$MULTIARCH/ld-linux-x86-64.so.2" "$STAGE/lib64/ld-linux-x86-64.so.2"
printf '/lib/%s\n/usr/lib/%s\n' "$MULTIARCH" "$MULTIARCH" >"$STAGE/etc/ld.so.conf"
ldconfig -r "$STAGE" 2>/dev/null || die "ldconfig -r $STAGE failed. Check that $STAGE holds the libraries."

# Check the result the way dom0 will load it: the dynamic loader of the
# initramfs resolves every program's libraries inside it (needs root for
# chroot; skipped otherwise).
if [ "$(id -u)" = 0 ]; then
	for e in "${elves[@]}"; do
		chroot "$STAGE" /lib64/ld-linux-x86-64.so.2 --list "/$e" >/dev/null 2>&1 ||
			die "/$e cannot load its libraries in the lab initramfs ($STAGE). Check 'chroot $STAGE /lib64/ld-linux-x86-64.so.2 --list /$e' and report it."
	done
fi

# --- Debian's kernel as dom0 (LAB_DOM0=debian) -------------------------------------

if [ "$LAB_DOM0" = debian ]; then
	need_cmd depmod kmod
	need_cmd xz xz-utils
	kpkg=$(apt-cache depends "$LAB_DEBIAN_KERNEL_PKG" | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -n1)
	[ -n "$kpkg" ] || die "cannot resolve $LAB_DEBIAN_KERNEL_PKG to a kernel package. Run 'apt-get update'."
	# The unsigned image is the same kernel without the EFI signature.
	apt-cache show "$kpkg-unsigned" >/dev/null 2>&1 && kpkg=$kpkg-unsigned
	kdir=$LAB_OUT/debian-kernel
	kdeb=$(deb_file "$kpkg")
	if ! grep -qxF "$(basename "$kdeb")" "$kdir/.deb" 2>/dev/null; then
		rm -rf "$kdir"
		mkdir -p "$kdir/x"
		dpkg-deb -x "$kdeb" "$kdir/x"
		cp "$kdir"/x/boot/vmlinuz-* "$kdir/vmlinuz"
		basename "$kdeb" >"$kdir/.deb"
	fi
	kver=$(basename "$(ls -d "$kdir"/x/lib/modules/*)")
	[ -f "$kdir/x/lib/modules/$kver/modules.dep" ] || depmod -b "$kdir/x" "$kver"
	mods=(xenfs xen-evtchn xen-privcmd xen-gntdev xen-gntalloc 9p 9pnet_virtio virtio_pci)
	mkdir -p "$STAGE/lib/modules/$kver"
	cp "$kdir/x/lib/modules/$kver"/modules.{order,builtin,builtin.modinfo} "$STAGE/lib/modules/$kver/"
	kos=$(for m in "${mods[@]}"; do modprobe -d "$kdir/x" -S "$kver" --show-depends "$m" || exit 1; done) ||
		die "Debian's kernel $kver lacks a module the lab needs (${mods[*]}). Use TT Linux (unset LAB_DOM0)."
	for ko in $(echo "$kos" | awk '$1 == "insmod" { print $2 }'); do
		rel=${ko#"$kdir/x/lib/modules/$kver/"}
		mkdir -p "$(dirname "$STAGE/lib/modules/$kver/$rel")"
		case $ko in
		*.xz) xz -dc "$ko" >"$STAGE/lib/modules/$kver/${rel%.xz}" ;;
		*) cp "$ko" "$STAGE/lib/modules/$kver/$rel" ;;
		esac
	done
	depmod -b "$STAGE" "$kver"
	printf '%s\n' "${mods[@]}" >"$STAGE/etc/lab-modules"
	note "lab: dom0 is Debian's kernel $kver ($kpkg)"
fi

# --- the archive ------------------------------------------------------------------

(cd "$STAGE" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$LAB_INITRAMFS.tmp"
mv "$LAB_INITRAMFS.tmp" "$LAB_INITRAMFS"
note "lab: $LAB_INITRAMFS ($(du -m "$LAB_INITRAMFS" | cut -f1) MB, ${#done_lib[@]} libraries)"
