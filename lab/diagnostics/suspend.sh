# lab-timeout: 900
# Diagnostic "suspend" (run by name): a recorded guest is suspended and
# resumed with `xl save -c`: what the toolstack, Xen and the daemon do.
# Seen in December 2026: the busybox guest does not answer libxl's suspend
# request ("domain did not respond to suspend request"), libxl's resume
# then fails (the domain was never suspended) and the recording goes on
# unharmed. So the lab cannot yet reach Xen's rule for a TT domain resumed
# after its END (hold.c: it stays paused); a guest that suspends would.
. ./dom0-lib.sh

CFG=/etc/xen/clientA.conf
name=$(lab_cfg_name "$CFG")
log=$PWD/suspend.ttlog
rm -f "$log" "$log".*
ttd-xl create "$CFG" 'time_travel="ttd_flag=1"' 'extra="console=hvc0"' --log "$log" >create.txt 2>&1
echo "ttd-xl create: exit $?"; cat create.txt
sleep 40
xl list
timeout 300 xl save -c "$name" /tmp/suspend.save >save.txt 2>&1
echo "xl save -c: exit $?"; cat save.txt
sleep 10
xl list
xl dmesg | grep -a 'tt:' | tail -n 12
ls -l "$log"* 2>&1
ttd-read-log stat -f "$log" 2>&1 | tail -n 12
ttd-read-log -i -f "$log" 2>&1 | tail -n 3
cat /var/log/xen/ttd-deviced-$name.log 2>/dev/null | tail -n 5
xl destroy "$name" 2>&1
lab_done
