#!/usr/bin/env bash
# Build TT Xen: Debian's Xen 4.17 source + patches/series + src/ + tt.config.
#
#   $TT_CACHE/src/xen/<version>/  the Debian source package (.dsc and
#                                 tarballs), downloaded once
#   $OUT/xen/src/                 the unpacked, patched tree; the hypervisor
#                                 is built in it (kept between builds while
#                                 the source, the patch queue and the list of
#                                 our own files stay the same)
#   $OUT/xen/xen, xen-syms, xen-4.17-tt.gz, config, version: the products
#
# XEN_SRC=/path/to/tarball-or-tree-or-dsc builds another Xen 4.17 release
# instead of Debian's. Called by the Makefile beside it; OUT and TT_CACHE
# come from there.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../scripts/lib.sh"

OUT=${OUT:-$HERE/../out}
TT_CACHE=${TT_CACHE:-/var/cache/tt-xen}
JOBS=${JOBS:-2}
XEN_SRC=${XEN_SRC:-}

MAJOR=4.17
SUFFIX=-tt
FRAGMENT=$HERE/tt.config
PATCHDIR=$HERE/patches
SERIES=$PATCHDIR/series
OVERLAY=$HERE/src

XDIR=$OUT/xen
SRC=$XDIR/src
DLDIR=$TT_CACHE/src/xen
# XEN_DEBUG=1: the same tree with CONFIG_DEBUG=y (ASSERTs, lock checks,
# -O1) in $OUT/xen-debug, for the lab's debug run ("# lab-xen: debug").
XEN_DEBUG=${XEN_DEBUG:-0}
[ "$XEN_DEBUG" = 1 ] && XDIR=$OUT/xen-debug

# --- preconditions ----------------------------------------------------------

need_cmd gcc build-essential
need_cmd make build-essential
need_cmd patch patch
need_cmd flex flex
need_cmd bison bison
need_cmd python3 python3
need_cmd xz xz-utils
need_cmd gzip gzip
need_cmd sha256sum coreutils
need_cmd dpkg-source dpkg-dev
for h in domctl sysctl; do
	[ -r "/usr/include/xen/$h.h" ] ||
		die "/usr/include/xen/$h.h is missing, so the toolstack's interface versions are unknown. Run 'make deps' (it installs libxen-dev)."
done
[ -r "$SERIES" ] || die "$SERIES is missing. Restore it from git (git checkout -- xen/patches/series)."
[ -r "$FRAGMENT" ] || die "$FRAGMENT is missing. Restore it from git (git checkout -- xen/tt.config)."

CC=gcc
if command -v ccache >/dev/null 2>&1; then
	CC="ccache gcc"
	export CCACHE_DIR=${CCACHE_DIR:-$TT_CACHE/ccache}
	mkdir -p "$CCACHE_DIR" 2>/dev/null ||
		die "cannot create the ccache folder $CCACHE_DIR. Make TT_CACHE point to a writable folder."
else
	note "ccache not found: building without it (run 'make deps' for faster rebuilds)"
fi

mkdir -p "$XDIR" || die "cannot create $XDIR. Make OUT point to a writable folder."
if [ "$XEN_DEBUG" = 1 ]; then
	sed 's/^CONFIG_DEBUG=n$/CONFIG_DEBUG=y/' "$HERE/tt.config" >"$XDIR/tt-debug.config.new"
	grep -qx 'CONFIG_DEBUG=y' "$XDIR/tt-debug.config.new" ||
		die "xen/tt.config has no line CONFIG_DEBUG=n for the debug build to turn on. Restore it."
	cmp -s "$XDIR/tt-debug.config.new" "$XDIR/tt-debug.config" ||
		mv -f "$XDIR/tt-debug.config.new" "$XDIR/tt-debug.config"
	rm -f "$XDIR/tt-debug.config.new"
	FRAGMENT=$XDIR/tt-debug.config
fi
# One spelling of the path: it is part of every compiler command line, and a
# changed command line rebuilds everything.
XDIR=$(realpath "$XDIR")
SRC=$XDIR/src
# Paths under the tree count relative to it (with -ffile-prefix-map below),
# so that a clone elsewhere, or another OUT, hits the same ccache entries.
export CCACHE_BASEDIR=$SRC

# One build at a time per output folder.
exec 9>"$XDIR/.lock"
flock 9

# --- the source -------------------------------------------------------------

# Versions of the Debian source package "xen" that apt knows, newest first.
debian_versions() {
	apt-cache showsrc xen 2>/dev/null | sed -n 's/^Version: //p' | sort -u |
		sort -r -V
}

# fetch_debian: print the path of the .dsc of the newest Xen 4.17 source
# package that is in the cache or that downloads.
fetch_debian() {
	local all v dir dsc
	need_cmd apt-get apt
	all=$(debian_versions)
	[ -n "$all" ] ||
		die "apt knows no source package 'xen' (no deb-src entries, or 'apt-get update' not run). Run 'make deps' (it adds deb-src entries), or set XEN_SRC=/path/to/xen-$MAJOR.x.tar.gz."
	local cands=()
	for v in $all; do
		case $v in
		$MAJOR.*) cands+=("$v") ;;
		esac
	done
	[ ${#cands[@]} -gt 0 ] ||
		die "Debian offers Xen source $(echo $all | tr ' ' ','), not $MAJOR.x. Use Debian 12 (bookworm) sources, or set XEN_SRC=/path/to/xen-$MAJOR.x.tar.gz."
	mkdir -p "$DLDIR" || die "cannot create $DLDIR. Make TT_CACHE point to a writable folder."
	for v in "${cands[@]}"; do
		dir=$DLDIR/$v
		if [ -e "$dir/.complete" ]; then
			echo "$dir/$(cd "$dir" && ls -- *.dsc | head -n1)"
			return
		fi
		# A version that did not download is tried again after a day only,
		# so that a warm build needs no network.
		if [ -n "$(find "$DLDIR/$v.unavailable" -mmin -1440 2>/dev/null)" ]; then
			continue
		fi
		mkdir -p "$dir" || die "cannot create $dir. Make TT_CACHE point to a writable folder."
		note "downloading the Debian source package xen $v"
		if (cd "$dir" && apt-get source --download-only -q -o Acquire::Retries=0 "xen=$v") \
			>"$dir/apt.log" 2>&1; then
			dsc=$(cd "$dir" && ls -- *.dsc 2>/dev/null | head -n1)
			if [ -n "$dsc" ]; then
				touch "$dir/.complete"
				echo "$dir/$dsc"
				return
			fi
		fi
		mv -f "$dir/apt.log" "$DLDIR/$v.unavailable"
		rm -rf "$dir"
		note "xen $v did not download ($(grep -m1 -oE '\b[0-9]{3} +[A-Za-z][A-Za-z ]*[A-Za-z]' "$DLDIR/$v.unavailable" || echo "see $DLDIR/$v.unavailable")); trying an older one"
	done
	die "no Xen $MAJOR source package could be downloaded (tried ${cands[*]}). Check the network and 'apt-get update' (and delete $DLDIR/*.unavailable), or set XEN_SRC=/path/to/xen-$MAJOR.x.tar.gz."
}

# unpack SOURCE DEST: make DEST a fresh, unpatched tree of SOURCE (.dsc,
# tarball or directory).
unpack() {
	local from=$1 to=$2
	rm -rf "$to"
	case $from in
	*.dsc)
		# apt checked the .dsc against the signed archive index; dpkg-source
		# checks the tarballs against the .dsc (and its signature where a
		# Debian keyring is installed).
		dpkg-source --no-copy -q -x "$from" "$to" >"$XDIR/unpack.log" 2>&1 ||
			die "dpkg-source could not unpack $from (see $XDIR/unpack.log). Delete $(dirname "$from") to download it again."
		;;
	*)
		if [ -d "$from" ]; then
			mkdir -p "$to"
			(cd "$from" && tar --exclude=.git -cf - .) | (cd "$to" && tar -xf -) ||
				die "cannot copy the Xen tree $from. Check XEN_SRC."
		else
			mkdir -p "$to"
			tar -xf "$from" -C "$to" --strip-components=1 ||
				die "cannot unpack $from. Set XEN_SRC to a Xen $MAJOR tarball, .dsc or source tree."
		fi
		;;
	esac
}

if [ -n "$XEN_SRC" ]; then
	[ -e "$XEN_SRC" ] || die "XEN_SRC=$XEN_SRC does not exist. Point it at a Xen $MAJOR tarball, .dsc or source tree, or unset it."
	ORIGIN=$(realpath "$XEN_SRC")
	if [ -d "$ORIGIN" ]; then
		[ -r "$ORIGIN/xen/Makefile" ] ||
			die "XEN_SRC=$XEN_SRC is not a Xen source tree (no xen/Makefile). Point it at the top of a Xen $MAJOR tree."
		ORIGIN_ID="tree $ORIGIN $(cd "$ORIGIN" && find . -path ./.git -prune -o -type f -printf '%P %s %T@\n' | sort | sha256sum | cut -d' ' -f1)"
	else
		ORIGIN_ID="file $ORIGIN $(sha256sum <"$ORIGIN" | cut -d' ' -f1)"
	fi
	SOURCE_DESC="XEN_SRC=$ORIGIN"
else
	ORIGIN=$(fetch_debian)
	ORIGIN_ID="dsc $(sha256sum <"$ORIGIN" | cut -d' ' -f1)"
	SOURCE_DESC="Debian source package xen $(sed -n 's/^Version: //p' "$ORIGIN")"
fi

# --- the patch queue and our own files --------------------------------------

# The patches named in series, in order, and the files of ours each brings.
. "$HERE/queue-lib.sh"
queue_read

# The tree is unpacked again when the source, the queue or the list of our
# files changes; edits inside our files are copied into the kept tree.
TREE_STAMP=$(
	echo "build 2"
	echo "source $ORIGIN_ID"
	cd "$PATCHDIR" && sha256sum series "${PATCHES[@]}"
	printf 'own %s\n' "${OWN[@]}"
)
TREE_STAMP=$(echo "$TREE_STAMP" | sha256sum | cut -d' ' -f1)

# xen_version TREE: "4.17.5" from the tree's xen/Makefile.
xen_version() {
	local mk=$1/xen/Makefile v s e
	v=$(sed -n 's/^export XEN_VERSION *= *\([0-9]*\).*/\1/p' "$mk")
	s=$(sed -n 's/^export XEN_SUBVERSION *= *\([0-9]*\).*/\1/p' "$mk")
	e=$(sed -n 's/^export XEN_EXTRAVERSION *?= *\([.0-9a-z-]*\).*/\1/p' "$mk")
	echo "$v.$s$e"
}

# interface NAME TREE: the value of XEN_<NAME>_INTERFACE_VERSION in TREE.
interface() {
	sed -n "s/^#define XEN_$1_INTERFACE_VERSION[[:space:]]*\(0x[0-9a-fA-F]*\).*/\1/p" "$2"
}

if [ "$(cat "$SRC/.tt-stamp" 2>/dev/null || true)" != "$TREE_STAMP" ]; then
	note "unpacking $SOURCE_DESC to $SRC"
	NEW=$XDIR/src.new
	unpack "$ORIGIN" "$NEW"

	[ -r "$NEW/xen/Makefile" ] ||
		die "$SOURCE_DESC holds no xen/Makefile, so it is no Xen source. Point XEN_SRC at a Xen $MAJOR tarball, .dsc or tree."
	VER=$(xen_version "$NEW")
	case $VER in
	$MAJOR.*) ;;
	*) die "$SOURCE_DESC is Xen ${VER:-of unknown version}, not $MAJOR.x. Use a Xen $MAJOR source (unset XEN_SRC for Debian 12's)." ;;
	esac

	for i in "${!PATCHES[@]}"; do
		p=${PATCHES[i]}
		if ! patch -p1 --fuzz=0 --forward --no-backup-if-mismatch -s -d "$NEW" \
			<"$PATCHDIR/$p" >"$XDIR/patch.log" 2>&1; then
			sed 's/^/  /' "$XDIR/patch.log" >&2
			die "patch $p does not apply to Xen $VER without fuzz. Refresh it against this source (xen/README.md, 'Patch queue')."
		fi
		queue_copy_own "$i" "$NEW"
	done
	echo "$TREE_STAMP" >"$NEW/.tt-stamp"
	rm -rf "$SRC"
	mv "$NEW" "$SRC"
fi

# Copy edits of our own files in; unchanged ones keep their time stamps,
# so that an incremental build rebuilds only what was edited.
for i in "${!PATCHES[@]}"; do
	queue_copy_own "$i" "$SRC"
done
[ -e "$OVERLAY/include/public/tt.h" ] ||
	note "xen/src/include/public/tt.h does not exist yet: building without the public TT ABI"

VER=$(xen_version "$SRC")
case $VER in
$MAJOR.*) ;;
*) die "$SOURCE_DESC is Xen ${VER:-of unknown version}, not $MAJOR.x. Use a Xen $MAJOR source (unset XEN_SRC for Debian 12's)." ;;
esac

# The hypervisor must speak the interface of the installed toolstack.
for n in DOMCTL SYSCTL; do
	h=$(echo "$n" | tr 'A-Z' 'a-z').h
	mine=$(interface "$n" "$SRC/xen/include/public/$h")
	theirs=$(interface "$n" "/usr/include/xen/$h")
	[ -n "$mine" ] && [ -n "$theirs" ] ||
		die "cannot read XEN_${n}_INTERFACE_VERSION from $SRC/xen/include/public/$h or /usr/include/xen/$h. Reinstall libxen-dev (make deps) and check the source."
	[ "$mine" = "$theirs" ] ||
		die "Xen $VER has XEN_${n}_INTERFACE_VERSION $mine but the installed libxen-dev $(dpkg-query -W -f='${Version}' libxen-dev 2>/dev/null || true) has $theirs, so Debian's xl would not work with it. Build the Xen $MAJOR release that matches libxen-dev (XEN_SRC=...)."
done

# --- configuration ----------------------------------------------------------

# Fixed build identity, so that compile.h (and with it version.o) does not
# change on every build: the date is the source's, as Debian's own build does.
if [ -r "$SRC/debian/changelog" ]; then
	EPOCH=$(dpkg-parsechangelog -l "$SRC/debian/changelog" -STimestamp)
	DEB_VERSION=$(dpkg-parsechangelog -l "$SRC/debian/changelog" -SVersion)
else
	EPOCH=$(stat -c %Y "$SRC/xen/Makefile")
	DEB_VERSION="none"
fi

MAKEARGS=(
	-C "$SRC/xen"
	"-j$JOBS"
	"CC=$CC"
	XEN_TARGET_ARCH=x86_64
	"XEN_BUILD_DATE=$(LC_ALL=C date -u -d "@$EPOCH")"
	"XEN_BUILD_TIME=$(LC_ALL=C date -u -d "@$EPOCH" +%T)"
	XEN_BUILD_HOST=tt-xen
	XEN_WHOAMI=tt-xen
	XEN_DOMAIN=localhost
	"DEB_VERSION=$DEB_VERSION"
	"DEB_MAINTAINER=time-traveling Xen <tt-xen@localhost>"
	"EXTRA_CFLAGS_XEN_CORE=-ffile-prefix-map=$SRC=."
)
# Xen's own build reads this file: the version suffix sticks to the tree, so
# that a hand-run "make -C $SRC/xen" builds 4.17.x-tt too.
VFILE=$SRC/xen/xen-version
VLINE="export XEN_VENDORVERSION := $SUFFIX"
[ "$(cat "$VFILE" 2>/dev/null || true)" = "$VLINE" ] || echo "$VLINE" >"$VFILE"

# Debian's hypervisor config, then our fragment; olddefconfig completes it.
CONFIG_IN=$XDIR/config.in
{
	if [ -r "$SRC/debian/xen-kconfig" ]; then
		echo "# --- debian/xen-kconfig"
		cat "$SRC/debian/xen-kconfig"
	fi
	echo "# --- xen/tt.config"
	cat "$FRAGMENT"
} >"$CONFIG_IN.new"
if ! cmp -s "$CONFIG_IN.new" "$SRC/xen/.tt-config-in" || [ ! -e "$SRC/xen/.config" ]; then
	note "configuring Xen $VER from xen/tt.config"
	cp "$CONFIG_IN.new" "$SRC/xen/.config"
	make "${MAKEARGS[@]}" olddefconfig >"$XDIR/config.log" 2>&1 ||
		die "Xen's olddefconfig failed (see $XDIR/config.log). Check xen/tt.config."
	cp "$CONFIG_IN.new" "$SRC/xen/.tt-config-in"
fi
mv -f "$CONFIG_IN.new" "$CONFIG_IN"

# Every line of the fragment must have survived (a dependency can silently
# turn an option off).
while IFS= read -r line; do
	case $line in
	CONFIG_*=n) want="# ${line%=n} is not set" ;;
	CONFIG_*=*) want=$line ;;
	*) continue ;;
	esac
	if ! grep -qxF -- "$want" "$SRC/xen/.config"; then
		if [ "${line%=n}" != "$line" ] && ! grep -q "^${line%=n}=" "$SRC/xen/.config"; then
			continue # =n and absent: fine
		fi
		rm -f "$SRC/xen/.tt-config-in"
		die "xen/tt.config asks for $line but Xen's Kconfig made it '$(grep -m1 "${line%%=*}[= ]" "$SRC/xen/.config" || echo absent)' (a dependency is missing). Fix xen/tt.config."
	fi
done <"$FRAGMENT"

# --- build ------------------------------------------------------------------

note "building Xen $VER$SUFFIX (make -j$JOBS, CC=$CC)"
if ! make "${MAKEARGS[@]}" >"$XDIR/build.log" 2>&1; then
	grep -E -B2 -A6 'error|Error' "$XDIR/build.log" | tail -n 30 >&2 || tail -n 30 "$XDIR/build.log" >&2
	die "the hypervisor build failed (full log: $XDIR/build.log). Fix the error above."
fi

FULL=$(make -s --no-print-directory "${MAKEARGS[@]}" xenversion 2>/dev/null | tail -n1)
case $FULL in
$MAJOR.*$SUFFIX) ;;
*) die "the built Xen reports version '$FULL', not $MAJOR.x$SUFFIX. Check $VFILE and XEN_VENDORVERSION in the environment." ;;
esac

# --- products ---------------------------------------------------------------

# put SRC DST: copy when changed, so that make-style consumers see real
# changes only.
put() {
	if ! cmp -s "$1" "$2"; then
		cp "$1" "$2.tmp" && mv -f "$2.tmp" "$2" ||
			die "cannot write $2. Make OUT point to a writable folder."
	fi
}
put "$SRC/xen/xen" "$XDIR/xen"
put "$SRC/xen/xen-syms" "$XDIR/xen-syms"
put "$SRC/xen/.config" "$XDIR/config"
gzip -9 -n -c "$SRC/xen/xen" >"$XDIR/.xen.gz"
put "$XDIR/.xen.gz" "$XDIR/xen-$MAJOR$SUFFIX.gz"
rm -f "$XDIR/.xen.gz"
{
	echo "source: $SOURCE_DESC"
	echo "debian-version: $DEB_VERSION"
	echo "xen-version: $FULL"
	echo "domctl-interface: $(interface DOMCTL "$SRC/xen/include/public/domctl.h")"
	echo "sysctl-interface: $(interface SYSCTL "$SRC/xen/include/public/sysctl.h")"
	echo "patches: ${#PATCHES[@]}"
} >"$XDIR/version"

note "Xen $FULL built: $XDIR/xen, $XDIR/xen-$MAJOR$SUFFIX.gz"
