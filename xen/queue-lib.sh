# The patch queue (patches/series) and our own files (src/): shared by
# build.sh and queue-check.sh. Source, do not execute. Needs die() from
# scripts/lib.sh and PATCHDIR, SERIES, OVERLAY set.
#
# queue_read fills:
#   PATCHES[i]     the i-th patch's file name
#   PATCH_OWN[i]   the files of ours it brings, space-separated, relative
#                  to src/ (which mirrors upstream's xen/)
#   OWN            every file under src/, sorted
# and dies with one line when the series names a missing patch or file,
# or when a file under src/ belongs to no patch or to two.

queue_read() {
	local line name spec f n i
	local -A owner=()

	PATCHES=()
	PATCH_OWN=()
	mapfile -t OWN < <(cd "$OVERLAY" 2>/dev/null &&
		find . -type f ! -name '*~' ! -name '.*' | sed 's|^\./||' | sort)

	while read -r name spec; do
		[ -r "$PATCHDIR/$name" ] ||
			die "patch $name is named in xen/patches/series but missing. Add the file or remove the line."
		i=${#PATCHES[@]}
		PATCHES+=("$name")
		PATCH_OWN+=("")
		for f in $spec; do
			case $f in
			*/)
				[ -d "$OVERLAY/$f" ] ||
					die "xen/patches/series: $name brings xen/src/$f, which is no folder. Fix the path in series."
				n=$(cd "$OVERLAY" && find "${f%/}" -type f ! -name '*~' ! -name '.*' | sort)
				;;
			*)
				[ -f "$OVERLAY/$f" ] ||
					die "xen/patches/series: $name brings xen/src/$f, which does not exist. Fix the path in series."
				n=$f
				;;
			esac
			for f in $n; do
				[ -z "${owner[$f]:-}" ] ||
					die "xen/patches/series: xen/src/$f is brought by both ${owner[$f]} and $name. Name it once."
				owner[$f]=$name
				PATCH_OWN[i]+="$f "
			done
		done
	done < <(sed -e 's/#.*//' "$SERIES" | awk 'NF')

	for f in "${OWN[@]}"; do
		[ -n "${owner[$f]:-}" ] ||
			die "xen/src/$f belongs to no patch: add it after the name of the patch that needs it in xen/patches/series."
	done
}

# queue_copy_own I TREE: copy the files patch I brings into TREE (a Xen
# source tree); unchanged ones keep their time stamps.
queue_copy_own() {
	local f dst
	for f in ${PATCH_OWN[$1]}; do
		dst=$2/xen/$f
		if ! cmp -s "$OVERLAY/$f" "$dst"; then
			mkdir -p "$(dirname "$dst")"
			cp "$OVERLAY/$f" "$dst"
		fi
	done
}
