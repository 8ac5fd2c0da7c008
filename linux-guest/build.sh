#!/usr/bin/env bash
# Build TT Linux: Debian's linux-source-6.1 + our patch queue + our config.
#
#   $OUT/linux/src/     the unpacked, patched source tree (reused while the
#                       Debian package and the patch queue stay the same)
#   $OUT/linux/build/   the kbuild output tree (O=), kept between builds
#   $OUT/linux/vmlinuz-6.1-tt and friends: the products
#
# Called by the Makefile beside it; OUT and TT_CACHE come from there.
# "build.sh config" stops once the .config is made and checked.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../scripts/lib.sh"

OUT=${OUT:-$HERE/../out}
TT_CACHE=${TT_CACHE:-/var/cache/tt-xen}
JOBS=${JOBS:-2}

PKG=linux-source-6.1
TARBALL=/usr/src/linux-source-6.1.tar.xz
SUFFIX=6.1-tt
FRAGMENT=$HERE/tt.config
PATCHDIR=$HERE/patches
SERIES=$PATCHDIR/series

LDIR=$OUT/linux
SRC=$LDIR/src
BLD=$LDIR/build

# --- preconditions ----------------------------------------------------------

for c in gcc make bc flex bison perl xz patch sha256sum; do
	need_cmd "$c" "providing $c"
done
[ -e /usr/include/libelf.h ] ||
	die "libelf headers are missing (objtool needs them). Run 'make deps' (it installs libelf-dev)"
[ -e /usr/include/openssl/ssl.h ] ||
	die "OpenSSL headers are missing (the kernel's host tools need them). Run 'make deps' (it installs libssl-dev)"

PKGVER=$(dpkg-query -W -f='${Version}' "$PKG" 2>/dev/null || true)
if [ -z "$PKGVER" ] || [ ! -r "$TARBALL" ]; then
	die "$PKG is not installed ($TARBALL missing). Run 'make deps'"
fi
case $PKGVER in
6.1.*) ;;
*) die "$PKG has version $PKGVER, not 6.1.x. Install Debian 12's $PKG (make deps)" ;;
esac
[ -r "$SERIES" ] || die "$SERIES is missing. Restore it from git (git checkout -- linux-guest/patches/series)"
[ -r "$FRAGMENT" ] || die "$FRAGMENT is missing. Restore it from git (git checkout -- linux-guest/tt.config)"

mkdir -p "$LDIR" || die "cannot create $LDIR. Make OUT point to a writable folder"

# One build at a time per output folder.
exec 9>"$LDIR/.lock"
flock 9

# --- patch queue ------------------------------------------------------------

# The patches named in series, in order: first field of each line that is
# neither blank nor a comment.
series_patches() {
	sed -e 's/#.*//' "$SERIES" | awk 'NF { print $1 }'
}

mapfile -t PATCHES < <(series_patches)
for p in "${PATCHES[@]}"; do
	[ -r "$PATCHDIR/$p" ] ||
		die "patch $p is named in patches/series but missing. Add the file or remove the line"
done

# The source tree is rebuilt when the package, the series or a patch changes.
SRC_STAMP=$(
	echo "pkg $PKG $PKGVER $(stat -c '%s %Y' "$TARBALL")"
	cd "$PATCHDIR" && sha256sum series "${PATCHES[@]}"
)
SRC_STAMP=$(echo "$SRC_STAMP" | sha256sum | cut -d' ' -f1)

if [ "$(cat "$SRC/.tt-stamp" 2>/dev/null || true)" != "$SRC_STAMP" ]; then
	note "unpacking $PKG $PKGVER to $SRC"
	rm -rf "$SRC.new"
	mkdir -p "$SRC.new"
	tar -xJf "$TARBALL" -C "$SRC.new" --strip-components=1 ||
		die "cannot unpack $TARBALL. Reinstall it (apt-get install --reinstall $PKG)"
	# The tarball must be the 6.1 kernel the fragment and patches are for.
	v=$(make -s --no-print-directory -C "$SRC.new" kernelversion 2>/dev/null || true)
	case $v in
	6.1.*) ;;
	*) die "$TARBALL holds Linux '$v', not 6.1.x. Install Debian 12's $PKG (make deps)" ;;
	esac
	for p in "${PATCHES[@]}"; do
		note "applying $p"
		patch -p1 --fuzz=0 --forward --batch --no-backup-if-mismatch \
			-d "$SRC.new" -i "$PATCHDIR/$p" >"$LDIR/patch.log" 2>&1 || {
			cat "$LDIR/patch.log" >&2
			die "patch $p does not apply to $PKG $PKGVER. Refresh it against that source (see linux-guest/README.md)"
		}
	done
	echo "$SRC_STAMP" >"$SRC.new/.tt-stamp"
	rm -rf "$SRC"
	mv "$SRC.new" "$SRC"
	# Objects built from the previous tree are not trusted: kbuild looks at
	# timestamps, and a dropped patch restores files with old ones. ccache
	# makes the rebuild cheap.
	rm -rf "$BLD"
fi

# --- compiler and kbuild arguments ------------------------------------------

CC=gcc
if command -v ccache >/dev/null 2>&1; then
	mkdir -p "$TT_CACHE/ccache" 2>/dev/null && [ -w "$TT_CACHE/ccache" ] ||
		die "the cache folder $TT_CACHE/ccache is not writable. Set TT_CACHE to a writable folder"
	export CCACHE_DIR=$TT_CACHE/ccache
	export CCACHE_BASEDIR=$LDIR
	CC="ccache gcc"
else
	note "ccache not found: building without it (make deps installs it)"
fi

# Fixed build identity, so that init/version.c and friends hit the cache and
# the same source gives the same uname -v: the tarball's own date.
export KBUILD_BUILD_TIMESTAMP
KBUILD_BUILD_TIMESTAMP=$(date -u -d "@$(stat -c %Y "$TARBALL")" '+%a %b %e %H:%M:%S UTC %Y')
export KBUILD_BUILD_USER=tt KBUILD_BUILD_HOST=tt-xen KBUILD_BUILD_VERSION=1

# LOCALVERSION set (empty) keeps setlocalversion from appending "+" when the
# source tree is a git repository (as while writing a patch, see README.md).
KMAKE=(make -C "$SRC" O="$BLD" ARCH=x86_64 CC="$CC" HOSTCC=gcc LOCALVERSION=)

# --- configuration ----------------------------------------------------------

# Every line of the fragment must hold in the final .config: print those
# that do not and fail.
verify_config() {
	local line sym bad=0
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*)
			grep -qxF -- "$line" "$BLD/.config" || {
				sym=${line%%=*}
				echo "  requested $line, got: $(grep -E "^($sym=|# $sym is not set)" "$BLD/.config" || echo "$sym absent (dependency not met)")" >&2
				bad=1
			}
			;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }
			sym=${sym%% *}
			if grep -q "^$sym=" "$BLD/.config"; then
				echo "  requested $line, got: $(grep "^$sym=" "$BLD/.config")" >&2
				bad=1
			fi
			;;
		esac
	done <"$FRAGMENT"
	return $bad
}

CFG_STAMP=$( { echo "$SRC_STAMP"; sha256sum "$FRAGMENT"; gcc --version | head -1; } | sha256sum | cut -d' ' -f1)

if [ "$(cat "$BLD/.tt-config-stamp" 2>/dev/null || true)" != "$CFG_STAMP" ] || [ ! -e "$BLD/.config" ]; then
	note "configuring: tinyconfig + linux-guest/tt.config"
	mkdir -p "$BLD"
	# Keep the previous .config aside so that an unchanged result keeps its
	# timestamp and kbuild does not re-run syncconfig for nothing.
	[ -e "$BLD/.config" ] && cp -p "$BLD/.config" "$BLD/.config.prev"
	"${KMAKE[@]}" -s tinyconfig >"$LDIR/config.log" 2>&1 ||
		{ cat "$LDIR/config.log" >&2; die "make tinyconfig failed (log above). Check the compiler installation (make deps)"; }
	(cd "$BLD" && "$SRC/scripts/kconfig/merge_config.sh" -m -O "$BLD" "$BLD/.config" "$FRAGMENT") \
		>>"$LDIR/config.log" 2>&1 ||
		{ cat "$LDIR/config.log" >&2; die "merge_config.sh failed (log above). Fix linux-guest/tt.config"; }
	"${KMAKE[@]}" -s olddefconfig >>"$LDIR/config.log" 2>&1 ||
		{ cat "$LDIR/config.log" >&2; die "make olddefconfig failed (log above). Fix linux-guest/tt.config"; }
	verify_config ||
		die "the options above from linux-guest/tt.config did not survive olddefconfig. Add their dependencies to tt.config or drop them"
	if [ -e "$BLD/.config.prev" ] && cmp -s "$BLD/.config" "$BLD/.config.prev"; then
		mv "$BLD/.config.prev" "$BLD/.config"
	else
		rm -f "$BLD/.config.prev"
	fi
	echo "$CFG_STAMP" >"$BLD/.tt-config-stamp"
fi

[ "${1:-}" = config ] && { note "configured: $BLD/.config"; exit 0; }

# --- build --------------------------------------------------------------------

note "building bzImage (-j$JOBS, CC=$CC)"
"${KMAKE[@]}" -j"$JOBS" bzImage ||
	die "the kernel build failed (messages above). Fix the patch or option that broke it"

RELEASE=$("${KMAKE[@]}" -s --no-print-directory kernelrelease)

# Copy a product only when it changed, so that its timestamp says when.
put() {
	cmp -s "$1" "$2" 2>/dev/null || install -m 0644 "$1" "$2"
}
put "$BLD/arch/x86/boot/bzImage" "$LDIR/vmlinuz-$SUFFIX"
put "$BLD/System.map" "$LDIR/System.map-$SUFFIX"
put "$BLD/.config" "$LDIR/config-$SUFFIX"
put "$BLD/vmlinux" "$LDIR/vmlinux-$SUFFIX"
printf 'debian_package=%s\ndebian_version=%s\nkernelrelease=%s\n' \
	"$PKG" "$PKGVER" "$RELEASE" >"$LDIR/version.new"
put "$LDIR/version.new" "$LDIR/version"
rm -f "$LDIR/version.new"

note "TT Linux $RELEASE (from $PKG $PKGVER): $LDIR/vmlinuz-$SUFFIX ($(stat -c %s "$LDIR/vmlinuz-$SUFFIX") bytes)"
