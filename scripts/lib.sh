# Shared shell helpers for the build scripts. Source, do not execute.
#
# Every failure ends with one line "tt-xen: <cause>. <fix>." and a non-zero
# exit code, so that a user (or CI) sees at once what went wrong.

TT_CACHE=${TT_CACHE:-/var/cache/tt-xen}

die() {
	echo "tt-xen: $*" >&2
	exit 1
}

note() {
	echo "tt-xen: $*" >&2
}

# need_cmd CMD PACKAGE: fail with a hint when CMD is missing.
need_cmd() {
	command -v "$1" >/dev/null 2>&1 ||
		die "'$1' is missing. Run 'make deps' (it installs the Debian package $2)."
}

# find_swift: print the directory holding the swift binary, or nothing.
find_swift() {
	local d
	if command -v swift >/dev/null 2>&1; then
		dirname "$(command -v swift)"
		return
	fi
	for d in /opt/swift/usr/bin /usr/share/swift/usr/bin /usr/local/swift/usr/bin; do
		[ -x "$d/swift" ] && { echo "$d"; return; }
	done
}
