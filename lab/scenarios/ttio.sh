# Scenario "ttio" (runs in the lab's dom0): the TT-io console of a recorded
# guest. ttd-xl creates clientA recorded from its first instruction
# (ttd-deviced writes the log) and it runs its "ttio" autorun:
#   - its console output, from the kernel's first messages to its last
#     line, is in the recording: TTOP_io_send bytes inside HYPERCALL
#     records, printed back by `ttd-read-log console`, the same bytes the
#     daemon wrote to the console file; none of it went through the Xen
#     console ring (xenconsoled's log stays free of it);
#   - TT Xen also echoes it on its own console ("(dN) ..." lines);
#   - /sys/kernel/debug/tt/badops: every bad tt_op from the guest gets its
#     documented error, and Xen survives them;
#   - a line pushed from dom0 (ttd-ctl push, TTOP_io_push) reaches the
#     guest's shell through hvc_tt's polling and is in the recording as
#     a TT_REC_TTIO_INPUT record (`ttd-read-log console --input`).
. ./dom0-lib.sh

CFG=/etc/xen/clientA.conf
INPUT=hello-ttio
TMO=240
name=$(lab_cfg_name "$CFG")
[ -n "$name" ] || { lab_not_ok "$CFG is missing or has no name="; lab_done; }
for t in ttd-ctl ttd-xl ttd-deviced ttd-read-log; do
	command -v $t >/dev/null || { lab_not_ok "$t is not in the lab's dom0 (make install of swift-tools)"; lab_done; }
done

# ttd-ctl push on bad input: one line each, nothing queued.
if xl create -p "$CFG" "extra=\"console=hvc0 tt.autorun=ttio\"" >/dev/null 2>&1; then
	domid=$(xl domid "$name")
	lab_check "ttd-ctl push: refused before the domain is attached" sh -c "! ttd-ctl push $domid x 2>push-bad.txt"
	cat push-bad.txt
	lab_check "ttd-ctl push: the refusal says the domain is not attached" grep -q 'not a time-traveling domain (not attached)' push-bad.txt
	xl destroy "$name"
else
	lab_not_ok "xl create -p $CFG"
fi
lab_check "ttd-ctl push: refused for a domain that does not exist" sh -c "! ttd-ctl push 31999 x"
big=$(printf '%4097s' x)
ttd-ctl push 0 "$big" 2>push-big.txt
cat push-big.txt
lab_check "ttd-ctl push: 4097 bytes refused in one line (Xen's queue holds 4096)" grep -q "queue holds 4096" push-big.txt

LOG=$PWD/ttio.ttlog
rm -f "$LOG" "$LOG.incomplete" "/var/log/xen/console/guest-$name.log"
xl dmesg -c >/dev/null
t0=$(date +%s)
echo "--- ttd-xl create $CFG time_travel=\"ttd_flag=1\" --log $LOG"
ttd-xl create "$CFG" 'time_travel="ttd_flag=1"' "extra=\"console=hvc0 tt.autorun=ttio\"" --log "$LOG" >xl-create.txt 2>&1
rc=$?
cat xl-create.txt
lab_check "ttd-xl create: the guest runs recorded" [ $rc = 0 ]
domid=$(xl domid "$name")

# While it records: queue the input line (ttd-ctl push retries while
# Xen's queue is full), and collect Xen's console ring (it is small).
pushed=0 t=0
while xl domid "$name" >/dev/null 2>&1 && [ $t -lt $TMO ]; do
	if [ $pushed = 0 ] && ttd-ctl push "$name" "$INPUT\\r" >>push.txt 2>&1; then
		pushed=1
	fi
	xl dmesg -c >>xen-console.txt
	sleep 1
	t=$((t + 1))
done
if xl domid "$name" >/dev/null 2>&1; then
	lab_not_ok "guest $name still there after $TMO s: destroying it"
	xl destroy "$name"
fi
t=0
while pidof ttd-deviced >/dev/null 2>&1 && [ $t -lt 60 ]; do sleep 1; t=$((t + 1)); done
xl dmesg -c >>xen-console.txt
cat push.txt
echo "--- ttd-deviced"
cat "/var/log/xen/ttd-deviced-$name.log"
echo "recording: $(($(date +%s) - t0)) s from create to the end"
echo "ttio_record_seconds=$(($(date +%s) - t0))" >>figures.txt
lab_check "ttd-ctl push: the input line was queued in Xen (TTOP_io_push)" [ $pushed = 1 ]
lab_check "ttd-deviced closed the log (the recording ended with END)" test -f "$LOG"
ttd-read-log verify -f "$LOG" >verify.txt 2>&1
rc=$?
cat verify.txt
lab_check "ttd-read-log verify: the log is sound and keeps the record rules" [ $rc = 0 ]

ttd-read-log console "$LOG" >console.raw 2>console.err
rc=$?
cat console.err
tr -d '\r' <console.raw >console.txt
echo "--- guest console, from the recording (console.txt)"
cat console.txt
echo "--- end of guest console"
lab_check "ttd-read-log console: every record of the recording reads" [ $rc = 0 ]
lab_check "the recording's console equals what ttd-deviced wrote to the console file" \
	cmp console.raw "/var/log/xen/console/guest-$name.log"
lab_check "recorded console: the kernel's first message (Linux version)" grep -q 'Linux version' console.txt
lab_check "recorded console: the kernel found TT Xen (xen-tt line)" grep -q 'xen-tt: guest of time-traveling Xen' console.txt
lab_check "recorded console: hvc_tt is hvc0" grep -q 'hvc_tt: TT-io console on hvc0' console.txt
lab_check "recorded console: 'TT-GUEST: hello from'" grep -q 'TT-GUEST: hello from' console.txt
lab_check "recorded console: the autorun saw the TT-io console" grep -q 'TT-GUEST: TT-io console' console.txt
n=$(sed -n 's/^badops: \([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2/p' console.txt)
echo "badops summary: ${n:-none}"
badops_ok() { [ -n "$n" ] && [ "${n#* }" = 0 ] && [ "${n% *}" -gt 0 ]; }
lab_check "badops: every bad tt_op got its documented error" badops_ok
lab_check "recorded console: the pushed line reached the guest's shell" grep -q "TT-GUEST: input '$INPUT'" console.txt
lab_check "recorded console: 'TT-GUEST-DONE'" grep -q 'TT-GUEST-DONE' console.txt

ttd-read-log console --input "$LOG" >input.txt 2>>console.err
lab_check "recording: the input is in a TT_REC_TTIO_INPUT record" grep -q "$INPUT" input.txt

lab_check "Xen echoed the console on its own ((d$domid) TT-GUEST-DONE)" grep -q "(d$domid) TT-GUEST-DONE" xen-console.txt
log=$(lab_console_log "$name")
lab_check "nothing went through the Xen console ring (xenconsoled log)" sh -c "! grep -q 'TT-GUEST' '$log' 2>/dev/null"
lab_check "Xen still answers after the bad calls (xl info)" sh -c "xl info >/dev/null"
lab_done
