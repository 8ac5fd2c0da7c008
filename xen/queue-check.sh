#!/usr/bin/env bash
# queue-check.sh: build every prefix of the patch queue, as `git bisect`
# would meet it, then the whole queue with CONFIG_TIME_TRAVEL off.
#
# In $OUT/xen-queue: a fresh tree of the same source as `make -C xen`
# (run that first: this reuses its download and its .config), then for each
# patch of series in turn: apply it, copy in the files of ours it brings,
# build the hypervisor incrementally. Last, the option off (xen/tt.h's
# stubs, no common/tt/). One line per build; the closing line is
# "queue-check: N of M builds passed". Exits non-zero if one failed.
#
# Called by `make -C xen queue-check`; not part of `make check` (about
# 15 minutes on two cores with a warm ccache).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../scripts/lib.sh"

OUT=${OUT:-$HERE/../out}
TT_CACHE=${TT_CACHE:-/var/cache/tt-xen}
JOBS=${JOBS:-2}
PATCHDIR=$HERE/patches
SERIES=$PATCHDIR/series
OVERLAY=$HERE/src
. "$HERE/queue-lib.sh"
queue_read

BUILT=$OUT/xen
[ -r "$BUILT/src/xen/.config" ] && [ -r "$BUILT/unpack.log" ] ||
	die "build TT Xen first (make -C xen): queue-check reuses its source and its .config."
dsc=$(ls -t "$TT_CACHE"/src/xen/*/*.dsc 2>/dev/null | head -n1)
[ -n "$dsc" ] ||
	die "no Debian source package of Xen in $TT_CACHE/src/xen. Run 'make -C xen' first."

QDIR=$OUT/xen-queue
TREE=$QDIR/src
mkdir -p "$QDIR"
rm -rf "$TREE"
note "unpacking $(basename "$dsc") to $TREE"
dpkg-source --no-copy -q -x "$dsc" "$TREE" >"$QDIR/unpack.log" 2>&1 ||
	die "dpkg-source could not unpack $dsc (see $QDIR/unpack.log)."
cp "$BUILT/src/xen/.config" "$TREE/xen/.config"

CC=gcc
if command -v ccache >/dev/null 2>&1; then
	CC="ccache gcc"
	export CCACHE_DIR=${CCACHE_DIR:-$TT_CACHE/ccache}
	export CCACHE_BASEDIR=$TREE
fi
MAKEARGS=(-C "$TREE/xen" "-j$JOBS" "CC=$CC" XEN_TARGET_ARCH=x86_64
	"EXTRA_CFLAGS_XEN_CORE=-ffile-prefix-map=$TREE=.")

passed=0
failed=0
total=$((${#PATCHES[@]} + 1))

# build WHAT: build the tree as it is now; one line saying how it went.
build() {
	local log=$QDIR/build-$(printf '%02d' $((passed + failed + 1))).log
	if make "${MAKEARGS[@]}" olddefconfig >"$log" 2>&1 &&
		make "${MAKEARGS[@]}" >>"$log" 2>&1; then
		echo "ok   $1"
		passed=$((passed + 1))
	else
		grep -m3 -E 'error|Error' "$log" | sed 's/^/     /' || true
		echo "FAIL $1 (log: $log)"
		failed=$((failed + 1))
	fi
}

for i in "${!PATCHES[@]}"; do
	p=${PATCHES[i]}
	patch -p1 --fuzz=0 --forward --no-backup-if-mismatch -s -d "$TREE" \
		<"$PATCHDIR/$p" >"$QDIR/patch.log" 2>&1 ||
		die "patch $p does not apply (see $QDIR/patch.log)."
	queue_copy_own "$i" "$TREE"
	build "$p${PATCH_OWN[i]:+ (+ ${PATCH_OWN[i]% })}"
done

sed -i 's/^CONFIG_TIME_TRAVEL=y$/# CONFIG_TIME_TRAVEL is not set/' "$TREE/xen/.config"
build "the whole queue with CONFIG_TIME_TRAVEL off (xen/tt.h's stubs)"
grep -q '^CONFIG_TIME_TRAVEL=y' "$TREE/xen/.config" &&
	die "olddefconfig turned CONFIG_TIME_TRAVEL on again: the last build did not test the stubs."

echo "queue-check: $passed of $total builds passed"
[ "$failed" -eq 0 ]
