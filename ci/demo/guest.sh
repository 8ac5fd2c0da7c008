# The demo (runs in the lab's dom0): create clientA with the real xl and
# show its console while it runs, then its output. Grows into record +
# replay once those exist.
. ./dom0-lib.sh

CFG=/etc/xen/clientA.conf
[ -f "$CFG" ] || { echo "$CFG is missing from the lab's root (make install of images/)"; exit 1; }
name=$(lab_cfg_name "$CFG")
log=$(lab_console_log "$name")
: >"$log"

echo "=== xl info (dom0 on the lab's Xen)"
xl info | grep -E '^(xen_version|xen_caps|virt_caps|total_memory|free_memory)'
echo "=== xl create $CFG (guest console follows)"
# xenconsoled writes the guest's console to $log; follow it live.
tail -f "$log" &
tailpid=$!
lab_guest_run "$CFG" boot 180
rc=$?
sleep 1
kill $tailpid 2>/dev/null
echo "=== guest $name ended after $LAB_GUEST_SECS s"
exit $rc
