# Scenario "boot" (runs in the lab's dom0): the hypervisor is TT Xen, and
# the guest from /etc/xen/clientA.conf boots with the real xl, runs its
# "boot" autorun script and powers off.
. ./dom0-lib.sh

CFG=/etc/xen/clientA.conf

xl info >xl-info.txt 2>&1
ver=$(sed -n 's/^xen_version[[:space:]]*:[[:space:]]*//p' xl-info.txt)
echo "xen_version: $ver"
case $ver in
*-tt) lab_ok "xl info: xen_version $ver ends in -tt" ;;
*) lab_not_ok "xl info: xen_version '$ver' does not end in -tt (not TT Xen)" ;;
esac

# Our dom0 tools load and run here (libraries complete, no Swift needed).
n=0
for t in /usr/sbin/ttd-*; do
	[ -x "$t" ] || continue
	n=$((n + 1))
	lab_check "dom0: $(basename "$t") --help runs" sh -c "'$t' --help >/dev/null 2>&1"
done
[ $n -gt 0 ] || lab_not_ok "dom0: no /usr/sbin/ttd-* tools in the lab's root (make install of swift-tools)"

if [ ! -f "$CFG" ]; then
	lab_not_ok "$CFG is missing from the lab's root (make install of images/)"
	lab_done
fi
name=$(lab_cfg_name "$CFG")
for key in kernel ramdisk; do
	f=$(sed -n "s/^[[:space:]]*$key[[:space:]]*=[[:space:]]*[\"']\([^\"']*\)[\"'].*/\1/p" "$CFG")
	[ -z "$f" ] || [ -f "$f" ] || lab_not_ok "$CFG: $key $f is missing from the lab's root (make install)"
done
log=$(lab_console_log "$name")

lab_check "guest $name ran its boot autorun and powered off" \
	lab_guest_run "$CFG" boot 180
echo "guest time from xl create to its end: $LAB_GUEST_SECS s"
echo "guest_create_to_end=$LAB_GUEST_SECS" >>figures.txt

echo "--- guest console ($log)"
cat "$log" 2>/dev/null
echo "--- end of guest console"
lab_check "guest console has 'TT-GUEST: hello from'" grep -q 'TT-GUEST: hello from' "$log"
lab_check "guest console has 'TT-GUEST-DONE'" grep -q 'TT-GUEST-DONE' "$log"
lab_done
