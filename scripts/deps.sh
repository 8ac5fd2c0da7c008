#!/usr/bin/env bash
# Install every Debian package that the build, the lab and the tests need.
# Idempotent: packages already installed are not touched, apt is not
# refreshed when nothing is missing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PACKAGES=(
	# toolchain and generic build tools
	build-essential bc bison flex python3 ccache pkg-config dpkg-dev
	xz-utils zstd cpio kmod rsync file patch time
	# TT Linux
	linux-source-6.1 libelf-dev libssl-dev
	# the Swift tools link Debian's Xen libraries and libzstd
	libxen-dev libzstd-dev
	# the lab and the images
	qemu-system-x86 qemu-utils grub-pc-bin grub-common xorriso mtools
	busybox-static e2fsprogs
)

[ "$(id -u)" = 0 ] || SUDO=sudo
SUDO=${SUDO:-}

[ -r /etc/debian_version ] || die "this is not a Debian system. The build needs Debian 12 (bookworm)."

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done

# apt-get source needs deb-src entries; add them for the mirrors in use.
add_deb_src() {
	local f
	if grep -rqs '^[[:space:]]*deb-src\|^Types:.*deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
		return 1
	fi
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		$SUDO sed -i 's/^Types:[[:space:]]*deb[[:space:]]*$/Types: deb deb-src/' "$f"
	done
	if [ -f /etc/apt/sources.list ] && grep -q '^deb ' /etc/apt/sources.list; then
		grep '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' |
			$SUDO tee /etc/apt/sources.list.d/tt-xen-deb-src.list >/dev/null
	fi
	note "added deb-src entries for the configured Debian mirrors"
	return 0
}

need_update=0
add_deb_src && need_update=1
[ ${#missing[@]} -gt 0 ] && need_update=1
# apt-get source needs a source index even if nothing is missing.
ls /var/lib/apt/lists/*_Sources >/dev/null 2>&1 || need_update=1

if [ $need_update = 1 ]; then
	$SUDO apt-get update -qq || die "apt-get update failed. Check the network and /etc/apt/sources.list*."
fi
if [ ${#missing[@]} -gt 0 ]; then
	note "installing: ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		die "apt-get install ${missing[*]} failed. Run it by hand to see apt's reason."
fi

swift_dir=$(find_swift)
[ -n "$swift_dir" ] || die "no Swift 6 toolchain found (PATH, /opt/swift/usr/bin). Install one from swift.org into /opt/swift and re-run."
"$swift_dir/swift" --version 2>&1 | grep -q 'Swift version [6-9]' ||
	die "the Swift at $swift_dir is older than 6. Install Swift 6 into /opt/swift and re-run."

mkdir -p "$TT_CACHE" || die "cannot create the download cache $TT_CACHE. Set TT_CACHE to a writable folder."
echo "tt-xen: dependencies in place (Swift in $swift_dir, cache in $TT_CACHE)"
