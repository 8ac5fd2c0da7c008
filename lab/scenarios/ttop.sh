# lab-timeout: 600
# lab-xen: debug
# Scenario "ttop" (runs in the lab's dom0): the tt_op hypercall's control
# side and whole recordings by the product daemon, on the debug hypervisor
# (make -C xen debug: ASSERTs, lock checks; any Xen WARN, BUG, failed
# assertion or call trace on the console fails the run, as in every
# scenario):
#   - every bad input gets its documented error (ttd-ctl badops), also on
#     a 2-vCPU domain, a PV domain and a running domain;
#   - clientA is recorded by ttd-xl/ttd-deviced from its first instruction
#     to its poweroff: the log verifies (DOMAIN_START first, END last,
#     landmarks step by one, every asynchronous record at its landmark or
#     by signature, END's counts equal to the log's), END says SHUTDOWN
#     code 0 (poweroff), and it holds RDTSC and HYPERCALL records;
#   - a log path that cannot be written: one line naming it, no domain;
#   - a full disk (a 1 MiB tmpfs): the daemon stops with one line naming
#     ENOSPC, the guest waits for room and never runs unrecorded, the
#     .incomplete log reads up to its last whole chunk;
#   - recordings ended from outside, with ttd-deviced started by hand:
#     ttd-ctl detach (END DETACH; with the smallest ring and a slow writer,
#     ttd-deviced's test option --test-drain-limit, so that the guest waits
#     for room) and xl destroy (END CRASH; no zombie domain once the ring
#     is unmapped).
. ./dom0-lib.sh

CFG=/etc/xen/clientA.conf
name=$(lab_cfg_name "$CFG")
[ -n "$name" ] || { lab_not_ok "$CFG is missing or has no name="; lab_done; }
for t in ttd-ctl ttd-deviced ttd-xl ttd-read-log; do
	command -v $t >/dev/null || { lab_not_ok "$t is not in the lab's dom0 (make install of swift-tools)"; lab_done; }
done

# Domains that tt_op must refuse: two vCPUs, PV, running (each made from
# clientA's config; the running one is unpaused).
others=""
# other KIND NAME PAUSED VARS...: create domain NAME (paused if PAUSED is
# -p) from $CFG with VARS; add --KIND DOMID to $others.
other() {
	local kind=$1 n=$2 p=$3
	shift 3
	if xl create $p "$CFG" "name=\"$n\"" "memory=64" "$@" >"xl-create-$n.txt" 2>&1; then
		others="$others --$kind $(xl domid "$n")"
	else
		cat "xl-create-$n.txt"
		lab_not_ok "xl create of the $kind domain $n"
	fi
}
other vcpus2 ttbad-vcpus2 -p "vcpus=2"
other pv ttbad-pv -p 'type="pv"'
other running ttbad-running ""

if ! xl create -p "$CFG" "extra=\"console=hvc0 tt.autorun=boot\""; then
	lab_not_ok "xl create -p $CFG"
	lab_done
fi
domid=$(xl domid "$name")
echo "--- ttd-ctl badops $domid$others"
ttd-ctl badops "$domid" $others >badops.txt 2>&1
rc=$?
cat badops.txt
lab_check "ttd-ctl badops: every bad input gets its documented error" [ $rc = 0 ]
n=$(sed -n 's/^badops: \([0-9]*\) checks, 0 failed$/\1/p' badops.txt)
lab_check "ttd-ctl badops ran every case (${n:-?} checks, 3 other domains)" [ "${n:-0}" -ge 45 ]
for d in ttbad-vcpus2 ttbad-pv ttbad-running "$name"; do
	xl destroy "$d" >/dev/null 2>&1
done

# log_checks KIND LOG REASON CODE: the log verifies and ends with END of
# reason REASON (and code CODE, if given).
log_checks() {
	local kind=$1 log=$2 reason=$3 code=${4:-}
	ttd-read-log verify -f "$log" >"verify-$kind.txt" 2>&1
	local rc=$?
	cat "verify-$kind.txt"
	lab_check "$kind: ttd-read-log verify (landmarks step by one, asynchronous records at their landmarks or by signature, END's counts)" [ $rc = 0 ]
	ttd-read-log -i -f "$log" 2>/dev/null | tail -n 1 >"end-$kind.txt"
	cat "end-$kind.txt"
	lab_check "$kind: END reason $reason${code:+ code $code}" \
		grep -q "END reason=$reason ${code:+code=$code }" "end-$kind.txt"
}

# The recording: ttd-xl creates the guest paused, ttd-deviced attaches
# before its first instruction.
LOG=$PWD/record.ttlog
rm -f "$LOG" "$LOG.incomplete"
lab_tt_create "$CFG" record 300 'time_travel="ttd_flag=1"' "extra=\"console=hvc0 tt.autorun=boot\"" --log "$LOG"
echo "recording: $LAB_SECS s from ttd-xl create to the end"
lab_check "ttd-xl create recorded the guest (exit 0)" [ "$LAB_RC" = 0 ]
lab_check "guest $name powered off and is gone" lab_wait_gone "$name" 10
lab_check "the log was closed cleanly (renamed from .incomplete)" test -f "$LOG"
log_checks record "$LOG" shutdown 0
ttd-read-log stat -f "$LOG" >stat.txt 2>&1
cat stat.txt
lab_check "log: has RDTSC records" grep -q '^RDTSC ' stat.txt
lab_check "log: has HYPERCALL records" grep -q '^HYPERCALL ' stat.txt
echo "recorded_records=$(sed -n 's/^records: \([0-9]*\) in.*/\1/p' stat.txt)" >>figures.txt
echo "recorded_bytes=$(wc -c <"$LOG")" >>figures.txt

# end_during KIND WHAT REASON [DAEMON-OPTIONS]: record clientA with
# ttd-deviced started by hand (with the options), and 4 s after the
# unpause end the recording from outside with WHAT (a command taking the
# domid); the daemon must close the log, and the log must verify and end
# with END of reason REASON.
end_during() {
	local kind=$1 what=$2 reason=$3 log=$PWD/$1.ttlog domid pid rc t
	shift 3
	rm -f "$log" "$log.incomplete"
	# soak for 20 s: the guest is surely still running 4 s after the
	# unpause (the boot workload sometimes ended before that).
	if ! xl create -p "$CFG" "extra=\"console=hvc0 tt.autorun=soak tt.secs=20\"" >/dev/null 2>&1; then
		lab_not_ok "xl create -p $CFG ($kind)"
		return
	fi
	domid=$(xl domid "$name")
	ttd-deviced -f "$log" --domain "$domid" "$@" 2>"deviced-$kind.txt" &
	pid=$!
	t=0
	while ! grep -q 'recording domain' "deviced-$kind.txt" && [ $t -lt 30 ]; do sleep 1; t=$((t + 1)); done
	xl unpause "$domid"
	sleep 4
	$what "$domid"
	wait $pid
	rc=$?
	cat "deviced-$kind.txt"
	lab_check "$kind during the recording: ttd-deviced closed the log (exit 0)" [ $rc = 0 -a -f "$log" ]
	log_checks "$kind" "$log" "$reason"
}
# ttd-ctl detach: END (DETACH); the guest goes on unrecorded and powers
# off. The smallest ring (32 data pages, 128 KiB) and a slow writer (4 KiB
# per 10 ms): the guest must wait for room again and again (the headroom
# rule), detach must let a waiting guest go, and no record may be lost
# (verify: END's counts equal the log's).
end_during detach "ttd-ctl detach" detach --ring-pages 32 --test-drain-limit 4096
waits=$(sed -n 's/.*ring waits \([0-9]*\),.*/\1/p' deviced-detach.txt)
seen=$(sed -n 's/.*seen waiting for room \([0-9]*\) times.*/\1/p' deviced-detach.txt)
lab_check "slow writer: the guest waited for room (ring_waits ${waits:-?}, RING_WAIT seen ${seen:-?})" \
	[ "${waits:-0}" -gt 0 -a "${seen:-0}" -gt 0 ]
echo "slow_drain_ring_waits=${waits:-0}" >>figures.txt
lab_check "detached guest $name went on and powered off" lab_wait_gone "$name" 120
xl destroy "$name" >/dev/null 2>&1
# A full disk (a 1 MiB tmpfs): ttd-deviced cannot write the log, says so
# in one line and exits non-zero; the guest then fills its ring and waits
# for room: it never runs unrecorded; the .incomplete log reads up to its
# last whole chunk.
mkdir -p /mnt/full
if mount -t tmpfs -o size=1m tmpfs /mnt/full; then
	flog=/mnt/full/full.ttlog
	xl create -p "$CFG" "extra=\"console=hvc0 tt.autorun=record\"" >/dev/null 2>&1
	domid=$(xl domid "$name")
	ttd-deviced -f "$flog" --domain "$domid" 2>deviced-full.txt &
	pid=$!
	t=0
	while ! grep -q 'recording domain' deviced-full.txt && [ $t -lt 30 ]; do sleep 1; t=$((t + 1)); done
	xl unpause "$domid"
	t=0
	while kill -0 $pid 2>/dev/null && [ $t -lt 180 ]; do sleep 1; t=$((t + 1)); done
	kill -0 $pid 2>/dev/null && kill -9 $pid
	wait $pid
	rc=$?
	cat deviced-full.txt
	lab_check "full disk: ttd-deviced stops with a non-zero exit (exit $rc)" [ $rc != 0 ]
	lab_check "full disk: it names the cause (no space left on device)" grep -q -i 'no space left' deviced-full.txt
	# The ring fills within seconds at this workload's rate; then the vCPU waits.
	sleep 10
	c1=$(xl list "$domid" | awk 'NR == 2 { print $6 }')
	sleep 5
	c2=$(xl list "$domid" | awk 'NR == 2 { print $6 }')
	ttd-ctl status "$domid" >status-full.txt 2>&1
	cat status-full.txt
	lab_check "full disk: the guest waits for room (CPU time $c1 -> $c2 s)" [ -n "$c1" -a "$c1" = "$c2" ]
	lab_check "full disk: Xen says the vCPU waits on its ring" grep -q -i 'ring.wait' status-full.txt
	ls -l /mnt/full
	ttd-read-log stat -f "$flog.incomplete" >stat-full.txt 2>&1
	rc=$?
	tail -n 3 stat-full.txt
	lab_check "full disk: the .incomplete log reads (ttd-read-log stat, exit $rc)" [ $rc = 0 ]
	lab_check "full disk: ... up to its last whole chunk (the reader's note)" grep -q 'read up to the end of chunk' stat-full.txt
	xl destroy "$domid" >/dev/null 2>&1
	umount /mnt/full
else
	lab_not_ok "full disk: cannot mount a tmpfs on /mnt/full"
fi
# A log path that cannot be written (a read-only tmpfs): one clear line
# naming it, and no domain left behind (it must never run unrecorded).
mkdir -p /mnt/ro
if mount -t tmpfs -o size=1m,ro tmpfs /mnt/ro; then
	ttd-xl create "$CFG" 'time_travel="ttd_flag=1"' --log /mnt/ro/ro.ttlog >ro.txt 2>&1
	rc=$?
	cat ro.txt
	lab_check "unwritable log path: ttd-xl refuses it (exit $rc)" [ $rc != 0 ]
	lab_check "unwritable log path: the error names the path" grep -q '/mnt/ro/ro.ttlog' ro.txt
	lab_check "unwritable log path: no domain left behind" sh -c "! xl domid '$name' >/dev/null 2>&1"
	lab_check "unwritable log path: nothing written" sh -c "[ -z \"\$(ls -A /mnt/ro)\" ]"
	xl destroy "$name" >/dev/null 2>&1
	umount /mnt/ro
else
	lab_not_ok "unwritable log path: cannot mount a read-only tmpfs on /mnt/ro"
fi

# xl destroy while recorded and mapped: END (CRASH); once the daemon has
# unmapped the ring, the domain is really gone (no zombie held by the ring).
end_during destroy "xl destroy" crash
sleep 2
lab_check "destroyed guest leaves no zombie domain behind" \
	sh -c "! xl list | grep -q '(null)'"
xl list
lab_done
