# Scenario "ttio" (runs in the lab's dom0): the TT-io console of a recorded
# guest. clientA, created paused, is recorded from its first instruction
# (tt-ctl drain, ci/tools/) and runs its "ttio" autorun:
#   - its console output, from the kernel's first messages to its last
#     line, is in the recording: TTOP_io_send bytes inside HYPERCALL
#     records, printed back by `tt-io console`; none of it went through
#     the Xen console ring (xenconsoled's log stays free of it);
#   - TT Xen also echoes it on its own console ("(dN) ..." lines);
#   - /sys/kernel/debug/tt/badops: every bad tt_op from the guest gets its
#     documented error, and Xen survives them;
#   - a line pushed from dom0 (tt-io push, TTOP_io_push) reaches the
#     guest's shell through hvc_tt's polling and is in the recording as
#     a TT_REC_TTIO_INPUT record.
. ./dom0-lib.sh

CFG=/etc/xen/clientA.conf
INPUT=hello-ttio
TMO=240
name=$(lab_cfg_name "$CFG")
[ -n "$name" ] || { lab_not_ok "$CFG is missing or has no name="; lab_done; }
for t in tt-ctl tt-io; do
	command -v $t >/dev/null || { lab_not_ok "$t is not in the lab's dom0 (ci/tools/, ci/mkinitramfs.sh)"; lab_done; }
done

if ! xl create -p "$CFG" "extra=\"console=hvc0 tt.autorun=ttio\""; then
	lab_not_ok "xl create -p $CFG"
	lab_done
fi
domid=$(xl domid "$name")
lab_check "tt-io push: refused before the domain is attached" sh -c "! tt-io push $domid x"
lab_check "tt-io push: refused for a domain that does not exist" sh -c "! tt-io push 31999 x"
big=$(printf '%4097s' x)
tt-io push "$domid" "$big" 2>push-big.txt
lab_check "tt-io push: 4097 bytes refused with E2BIG (the queue holds 4096)" grep -q 'Argument list too long' push-big.txt

xl dmesg -c >/dev/null
t0=$(date +%s)
echo "--- tt-ctl drain $domid ttio.ttraw $TMO"
tt-ctl drain "$domid" ttio.ttraw $TMO >drain.txt 2>&1 &
drain=$!

# While it records: queue the input line as soon as the domain is
# attached, and collect Xen's console ring (it is small).
pushed=0
while kill -0 $drain 2>/dev/null; do
	if [ $pushed = 0 ] && tt-io push "$domid" "$INPUT\\r" 2>>push.txt; then
		pushed=1
	fi
	xl dmesg -c >>xen-console.txt
	sleep 1
done
wait $drain
rc=$?
xl dmesg -c >>xen-console.txt
cat push.txt drain.txt
echo "recording: $(($(date +%s) - t0)) s from create to the end"
echo "ttio_record_seconds=$(($(date +%s) - t0))" >>figures.txt
lab_check "tt-io push: the input line was queued in Xen (TTOP_io_push)" [ $pushed = 1 ]
lab_check "tt-ctl drain: the recording ended with TT_REC_END" [ $rc = 0 ]
lab_check "guest $name powered off and is gone" lab_wait_gone "$name" 30
xl destroy "$name" >/dev/null 2>&1

tt-io console ttio.ttraw >console.raw 2>console.err
rc=$?
cat console.err
tr -d '\r' <console.raw >console.txt
echo "--- guest console, from the recording (console.txt)"
cat console.txt
echo "--- end of guest console"
lab_check "tt-io console: every record of the recording parses" [ $rc = 0 ]
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

tt-io input ttio.ttraw >input.txt 2>>console.err
lab_check "recording: the input is in a TT_REC_TTIO_INPUT record" grep -q "$INPUT" input.txt

lab_check "Xen echoed the console on its own ((d$domid) TT-GUEST-DONE)" grep -q "(d$domid) TT-GUEST-DONE" xen-console.txt
log=$(lab_console_log "$name")
lab_check "nothing went through the Xen console ring (xenconsoled log)" sh -c "! grep -q 'TT-GUEST' '$log' 2>/dev/null"
lab_check "Xen still answers after the bad calls (xl info)" sh -c "xl info >/dev/null"
lab_done
