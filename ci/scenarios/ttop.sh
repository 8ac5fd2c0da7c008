# Scenario "ttop" (runs in the lab's dom0): the tt_op hypercall's control
# side and a whole recording, driven by the lab tool tt-ctl (ci/tools/):
#   - every bad input gets its documented error (tt-ctl badops), also on a
#     2-vCPU domain, a PV domain and a running domain;
#   - clientA, created paused, is recorded from its first instruction to
#     its poweroff: the drained log starts with DOMAIN_START, ends with END
#     (reason SHUTDOWN), its landmarks increase one by one, and it holds
#     RDTSC and HYPERCALL records;
#   - recordings ended from outside: TTOP_detach (END DETACH; with the
#     smallest ring and a slow drain, so that the guest waits for room) and
#     xl destroy (END CRASH; no zombie domain once the ring is unmapped).
# The guest's console is not checked: under recording it needs TT-io.
. ./dom0-lib.sh

CFG=/etc/xen/clientA.conf
name=$(lab_cfg_name "$CFG")
[ -n "$name" ] || { lab_not_ok "$CFG is missing or has no name="; lab_done; }
command -v tt-ctl >/dev/null || { lab_not_ok "tt-ctl is not in the lab's dom0 (ci/mkinitramfs.sh)"; lab_done; }


# Domains that tt_op must refuse: two vCPUs, PV, running (each made from
# clientA's config; the running one is unpaused).
others=""
# other KIND NAME PAUSED VARS...: create domain NAME (paused if PAUSED is
# -p) from $CFG with VARS; add KIND=DOMID to $others.
other() {
	local kind=$1 n=$2 p=$3
	shift 3
	if xl create $p "$CFG" "name=\"$n\"" "memory=64" "$@" >"xl-create-$n.txt" 2>&1; then
		others="$others $kind=$(xl domid "$n")"
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
echo "--- tt-ctl badops $domid$others"
tt-ctl badops "$domid" $others >badops.txt 2>&1
rc=$?
cat badops.txt
lab_check "tt-ctl badops: every bad input gets its documented error" [ $rc = 0 ]
for d in ttbad-vcpus2 ttbad-pv ttbad-running; do
	xl destroy "$d" >/dev/null 2>&1
done

# The recording: the domain is still paused and has never run.
t0=$(date +%s)
echo "--- tt-ctl drain $domid record.ttraw"
tt-ctl drain "$domid" record.ttraw 240 >drain.txt 2>&1
rc=$?
cat drain.txt
lab_check "tt-ctl drain: the recording ended with TT_REC_END" [ $rc = 0 ]
lab_check "guest $name powered off and is gone" lab_wait_gone "$name" 60
echo "recording: $(($(date +%s) - t0)) s from unpause to the end"
xl destroy "$name" >/dev/null 2>&1

echo "--- tt-ctl check record.ttraw"
tt-ctl check record.ttraw >check.txt 2>&1
rc=$?
cat check.txt
lab_check "log: DOMAIN_START first, END last, landmarks strictly increasing" [ $rc = 0 ]
lab_check "log: END reason SHUTDOWN (0), code poweroff (0)" grep -q '^end reason 0 code 0 ' check.txt
lab_check "log: has RDTSC records" grep -q '^type RDTSC ' check.txt
lab_check "log: has HYPERCALL records" grep -q '^type HYPERCALL ' check.txt
n=$(sed -n 's/^records //p' check.txt)
echo "recorded_records=$n" >>figures.txt
echo "recorded_bytes=$(wc -c <record.ttraw)" >>figures.txt

# end_during KIND WHAT REASON [PAGES SLOW]: record clientA (with a ring of
# PAGES pages, drained at most SLOW bytes per 10 ms), and 4 s after the
# unpause end the recording from outside with WHAT (a command taking the
# domid); the log must end with END of reason REASON.
end_during() {
	local kind=$1 what=$2 reason=$3 pages=${4:-257} slow=${5:-0} domid pid rc
	if ! xl create -p "$CFG" "extra=\"console=hvc0 tt.autorun=boot\"" >/dev/null 2>&1; then
		lab_not_ok "xl create -p $CFG ($kind)"
		return
	fi
	domid=$(xl domid "$name")
	tt-ctl drain "$domid" "$kind.ttraw" 120 "$pages" "$slow" >"drain-$kind.txt" 2>&1 &
	pid=$!
	sleep 4
	$what "$domid"
	wait $pid
	rc=$?
	cat "drain-$kind.txt"
	lab_check "$kind during the recording: the drain saw TT_REC_END" [ $rc = 0 ]
	tt-ctl check "$kind.ttraw" >"check-$kind.txt" 2>&1
	rc=$?
	grep -E '^(records|first|last|end|check|bad)' "check-$kind.txt"
	lab_check "$kind during the recording: the log checks" [ $rc = 0 ]
	lab_check "$kind during the recording: END reason $reason" \
		grep -q "^end reason $reason " "check-$kind.txt"
}
# TTOP_detach: END (DETACH); the guest goes on unrecorded and powers off.
# The smallest ring (128 KiB of data) and a slow drain (400 KB/s): the
# guest must wait for room again and again (the headroom rule), detach
# must let a waiting guest go, and no record may be lost.
end_during detach "tt-ctl detach" 1 33 4096
waits=$(sed -n 's/.*ring_waits \([0-9]*\)$/\1/p' drain-detach.txt)
seen=$(sed -n 's/.*RING_WAIT seen \([0-9]*\) times.*/\1/p' drain-detach.txt)
lab_check "slow drain: the guest waited for room (ring_waits ${waits:-?}, RING_WAIT seen ${seen:-?})" \
	[ "${waits:-0}" -gt 0 -a "${seen:-0}" -gt 0 ]
echo "slow_drain_ring_waits=${waits:-0}" >>figures.txt
lab_check "detached guest $name went on and powered off" lab_wait_gone "$name" 120
xl destroy "$name" >/dev/null 2>&1
# xl destroy while recorded and mapped: END (CRASH); once the drain has
# unmapped the ring, the domain is really gone (no zombie held by the ring).
end_during destroy "xl destroy" 3
sleep 2
lab_check "destroyed guest leaves no zombie domain behind" \
	sh -c "! xl list | grep -q '(null)'"
xl list
lab_done
