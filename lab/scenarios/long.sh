# lab-timeout: 1200
# Scenario "long" (runs in the lab's dom0): a recording of several minutes.
# clientA runs tt.autorun=soak for 180 s of its own clock (rounds of a CPU
# loop, find /proc, urandom, a CPU-time interval timer and sleeps) recorded
# by the product (ttd-xl create time_travel="ttd_flag=1", no counter in this
# boot: interrupts held to landmarks). The log must close with the guest's
# poweroff, verify (landmarks step by one, every asynchronous record at its
# landmark or by signature, END's counts equal to the log's and to Xen's),
# hold every round the guest printed, and span the guest's 180 s by its own
# RDTSC records; nothing may be dropped.
. ./dom0-lib.sh

CFG=/etc/xen/clientA.conf
SECS=180
name=$(lab_cfg_name "$CFG")
LOG=$PWD/long.ttlog
rm -f "$LOG" "$LOG.incomplete"
t0=$(date +%s)
ttd-xl create "$CFG" 'time_travel="ttd_flag=1"' "extra=\"console=hvc0 tt.autorun=soak tt.secs=$SECS\"" --log "$LOG" \
	>xl-create.txt 2>&1
rc=$?
cat xl-create.txt
lab_check "ttd-xl create: the guest runs recorded" [ $rc = 0 ]
t=0
while pidof ttd-deviced >/dev/null 2>&1 && [ $t -lt 1000 ]; do
	sleep 5
	t=$((t + 5))
done
echo "recorded for $(($(date +%s) - t0)) s of dom0's clock"
cat "/var/log/xen/ttd-deviced-$name.log"
xl destroy "$name" >/dev/null 2>&1
lab_check "the log was closed (the daemon ended with the guest)" test -f "$LOG"
ttd-read-log console "$LOG" 2>/dev/null | tr -d '\r' >console.txt
grep 'TT-GUEST: soak' console.txt | tail -n 3
rounds=$(grep -c 'TT-GUEST: soak round ' console.txt)
lab_check "the guest soaked to the end ($rounds rounds)" \
	sh -c "grep -q 'TT-GUEST: soak done after $rounds rounds' console.txt && [ $rounds -ge 5 ]"
lab_check "no round of the guest failed" sh -c "! grep -q 'soak: tt-itimer failed' console.txt"
ttd-read-log verify -f "$LOG" >verify.txt 2>&1
rc=$?
cat verify.txt
lab_check "ttd-read-log verify: the whole log is sound" [ $rc = 0 ]
ttd-read-log stat -f "$LOG" >stat.txt 2>&1
grep -E '^(records|record bytes|landmarks|guest time|records placed)' stat.txt
gs=$(sed -n 's/^guest time: \([0-9]*\)\..*/\1/p' stat.txt)
lab_check "the log spans the guest's $SECS s by its RDTSC records (${gs:-?} s)" [ "${gs:-0}" -ge "$SECS" ]
lab_check "Xen dropped no record (END: 0 dropped)" \
	sh -c "xl dmesg | grep 'tt: d[0-9]* detached' | tail -n 1 | grep -q ' 0 dropped'"
xl dmesg | grep 'tt: d[0-9]* detached' | tail -n 1
echo "long_guest_seconds=${gs:-0}" >>figures.txt
echo "long_log_bytes=$(wc -c <"$LOG")" >>figures.txt
lab_done
