#!/usr/bin/env bash
# Scenario "grub" (runs on the host): boot each of the three GRUB images
# that `make -C grub iso` builds (grub-mkrescue, serial console), each
# defaulting to one of the three entries, and check what the probe initrd
# says on the serial console (the only channel here: no 9p in the probe):
#   entry0  TT Xen + TT Linux      xen=yes, kernel ends in -tt
#   entry1  TT Xen + Debian kernel xen=yes, a Debian kernel (-amd64)
#   entry2  plain Debian Linux     xen=no
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

dir=${LAB_SCENARIO_DIR:-$LAB_OUT/grub}
mkdir -p "$dir"
failed=0
ok() { echo "ok - $*"; }
not_ok() {
	echo "not ok - $*"
	failed=$((failed + 1))
}

if ! make -s -C "$LAB_TOP/grub" iso >"$dir/make-iso.log" 2>&1; then
	tail -n 3 "$dir/make-iso.log"
	not_ok "make -C grub iso failed (log: $dir/make-iso.log)"
	exit 1
fi

for i in 0 1 2; do
	iso=$OUT/grub/tt-grub-entry$i.iso
	log=$dir/entry$i.serial.log
	if [ ! -f "$iso" ]; then
		not_ok "entry$i: $iso is missing after make -C grub iso"
		continue
	fi
	if ! lab_qemu_until "grub entry$i" "$log" 'TT-GRUB-PROBE: kernel=[^ ]+ xen=(yes|no)' -cdrom "$iso" -boot d; then
		not_ok "entry$i: no TT-GRUB-PROBE line (serial: $log)"
		continue
	fi
	line=$(grep -o -E 'TT-GRUB-PROBE: kernel=[^ ]+ xen=(yes|no)' "$log" | head -n1)
	kernel=$(echo "$line" | sed 's/.*kernel=\([^ ]*\).*/\1/')
	xen=${line##*xen=}
	echo "entry$i: $line (${LAB_BOOT_SECS} s)"
	echo "entry$i=$LAB_BOOT_SECS" >>"$dir/figures.txt"
	case $i in
	0) want_xen=yes; [[ $kernel == *-tt ]] && kok=1 || kok=0; kdesc="TT Linux (-tt)" ;;
	1) want_xen=yes; [[ $kernel == *-amd64 ]] && kok=1 || kok=0; kdesc="a Debian kernel (-amd64)" ;;
	2) want_xen=no; [[ $kernel == *-amd64 ]] && kok=1 || kok=0; kdesc="a Debian kernel (-amd64)" ;;
	esac
	if [ "$xen" = "$want_xen" ] && [ $kok = 1 ]; then
		ok "entry$i: xen=$xen, kernel $kernel is $kdesc"
	else
		not_ok "entry$i: want xen=$want_xen and $kdesc, got xen=$xen kernel=$kernel (serial: $log)"
	fi
done
exit $((failed > 0))
