#!/bin/bash
# sample.sh OUTFILE: run 21_tt_xen on a fake boot folder (empty files named
# as on a real host) and write the grub.cfg fragment it prints.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: sample.sh OUTFILE}
boot=$(mktemp -d /tmp/tt-grub-sample.XXXXXX)
trap 'rm -rf "$boot"' EXIT
touch "$boot"/{xen-4.17-tt.gz,vmlinuz-6.1-tt,vmlinuz-6.1.0-56-amd64,initrd.img-6.1.0-56-amd64,vmlinuz-6.1.0-9-amd64}
{
	echo "# 21_tt_xen on a fake /boot (no device probing): what update-grub adds."
	env -i PATH=/usr/bin:/bin pkgdatadir=/usr/share/grub TT_GRUB_BOOT_DIR="$boot" \
		TT_GRUB_NO_PROBE=true TT_GRUB_ROOT=/dev/sda1 sh "$here/21_tt_xen" 2>/dev/null
} >"$out.tmp"
grub-script-check "$out.tmp" || { echo "tt-xen: 21_tt_xen printed a grub.cfg that grub-script-check rejects. Fix the script." >&2; exit 1; }
[ "$(grep -c '^menuentry ' "$out.tmp")" -eq 3 ] ||
	{ echo "tt-xen: 21_tt_xen did not print 3 entries for a complete /boot. Fix the script." >&2; exit 1; }
mv "$out.tmp" "$out"
