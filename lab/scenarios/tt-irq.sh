# lab-cpu: qemu64,+svm,+npt,+rdrand
# lab-smp: 2
# Scenario "tt-irq" (runs in the lab's dom0): a guest recorded from its
# first instruction gets its interrupts and time updates only at landmarks
# (or, past the liveness bound, by signature), and no CPUID result it got
# shows RDRAND, RDSEED, HLE or RTM. docs/design-record.md, "Interrupts,
# time and CPUID". The lab CPU here has RDRAND (TCG emulates no RDSEED,
# HLE or RTM), so the CPUID check bites, and two CPUs: Xen's producer and
# the daemon's consumer of the log ring run truly in parallel (dom0 has one
# vCPU, the guest one). The guest tries the FIFO event-channel ABI first
# (Linux does) and must be refused (EVTCHNOP_init_control: -EOPNOTSUPP).
#
# Records with the product: ttd-xl create time_travel="ttd_flag=1" starts
# ttd-deviced; ttd-read-log verify checks the record rules (landmarks step
# by one, every asynchronous record at its landmark's position or with a
# signature, CPUID without RDRAND/RDSEED/HLE/RTM, END's counts equal to the
# log's); ttd-ctl status shows Xen's counters while the guest runs.
. ./dom0-lib.sh

CFG=/etc/xen/clientA.conf
TMO=400

for t in ttd-xl ttd-deviced ttd-ctl ttd-read-log; do
	command -v "$t" >/dev/null ||
		{ lab_not_ok "dom0: $t is missing (make install of swift-tools)"; lab_done; }
done
name=$(lab_cfg_name "$CFG")

# record KIND AUTORUN TIMEOUT: record clientA running AUTORUN into
# $PWD/KIND.ttlog with ttd-xl; poll ttd-ctl status while it runs (the last
# answer in status-KIND.txt); wait for the guest to end (destroyed after
# TIMEOUT s) and the daemon to close the log. RECORD_SECS: how long it took.
record() {
	local kind=$1 autorun=$2 tmo=$3 log=$PWD/$1.ttlog t=0 t0 rc
	rm -f "$log" "$log.incomplete"
	t0=$(date +%s)
	ttd-xl create "$CFG" 'time_travel="ttd_flag=1"' "extra=\"console=hvc0 tt.autorun=$autorun\"" --log "$log" \
		>"xl-create-$kind.txt" 2>&1
	rc=$?
	cat "xl-create-$kind.txt"
	lab_check "$kind: ttd-xl create: the guest runs recorded" [ $rc = 0 ]
	while xl domid "$name" >/dev/null 2>&1; do
		ttd-ctl status "$name" >status.new 2>&1 && mv status.new "status-$kind.txt"
		if [ $t -ge "$tmo" ]; then
			lab_not_ok "$kind: guest $name still running after $tmo s: destroying it"
			xl destroy "$name"
			break
		fi
		sleep 2
		t=$((t + 2))
	done
	t=0
	while pidof ttd-deviced >/dev/null 2>&1 && [ $t -lt 60 ]; do sleep 1; t=$((t + 1)); done
	RECORD_SECS=$(($(date +%s) - t0))
	echo "--- ttd-deviced ($kind)"
	cat "/var/log/xen/ttd-deviced-$name.log"
	echo "--- last ttd-ctl status while the guest ran ($kind)"
	cat "status-$kind.txt" 2>/dev/null
	lab_check "$kind: ttd-deviced closed the log (the recording ended with END)" test -f "$log"
	ttd-read-log console "$log" 2>/dev/null | tr -d '\r' >"console-$kind.txt"
	ttd-read-log verify -f "$log" >"verify-$kind.txt" 2>&1
	VERIFY_RC=$?
	cat "verify-$kind.txt"
	ttd-read-log stat -f "$log" >"stat-$kind.txt" 2>&1
	grep -E '^(records|landmarks|counter|records placed by signature|INTERRUPT|MEMORY|CPUID)' "stat-$kind.txt"
}

lab_check "the lab CPU offers RDRAND (dom0's CPUID), so the CPUID check bites" \
	grep -q -w rdrand /proc/cpuinfo
lab_check "Xen runs on two CPUs (xl info: nr_cpus)" \
	sh -c "xl info | grep -q '^nr_cpus *: 2\$'"

# The record workload: time, urandom, a CPU loop (no landmarks of its own:
# the liveness bound), find /proc (many landmarks), a sleep loop (HLT).
record irq 'record tt.loops=20000' "$TMO"
echo "guest run: $RECORD_SECS s"
echo "--- guest console (TT-io, from the recording)"
cat console-irq.txt
echo "--- end of guest console"
lab_check "guest ran its record workload to the end" grep -q 'TT-GUEST-DONE' console-irq.txt
lab_check "interrupts and time writes recorded at their landmarks' positions (or by signature); CPUID hides RDRAND/RDSEED/HLE/RTM; END's counts equal the log's (ttd-read-log verify)" \
	[ "$VERIFY_RC" -eq 0 ]
irqs=$(awk '$1 == "INTERRUPT" { print $2 }' stat-irq.txt)
lab_check "the recording holds interrupts (${irqs:-0} INTERRUPT records)" [ "${irqs:-0}" -gt 0 ]
lab_check "the recording holds CPUID results (checked for RDRAND/RDSEED/HLE/RTM)" grep -q '^CPUID ' stat-irq.txt
# FIFO event channels keep their state in guest pages that Xen writes at any
# time: refused for a TT domain (patch 1012); Linux falls back to 2-level.
ttd-read-log -i -f irq.ttlog 2>/dev/null | grep ' HYPERCALL .*nr=32 a1=0xb ' >fifo.txt
cat fifo.txt
lab_check "the guest asked for FIFO event channels (EVTCHNOP_init_control) and Xen refused (-EOPNOTSUPP)" \
	sh -c "[ -s fifo.txt ] && ! grep -v -q ' ret=-95\$' fifo.txt"
lab_check "the guest uses the 2-level event-channel ABI" grep -q 'xen:events: Using 2-level ABI' console-irq.txt

domid=$(sed -n 's/.*recording domain \([0-9]*\) .*/\1/p' "/var/log/xen/ttd-deviced-$name.log" | tail -n1)
echo "--- xl dmesg (tt)"
xl dmesg | grep "tt: d$domid[: ]" | tee dmesg-tt.txt
held=$(sed -n 's/.* \([0-9]*\) interrupts held, \([0-9]*\) placed by signature, longest hold \([0-9]*\) us, \([0-9]*\) releases.*/\1 \2 \3 \4/p' dmesg-tt.txt | tail -n1)
sig=$(sed -n 's/^records placed by signature: \([0-9]*\).*/\1/p' stat-irq.txt)
if [ -n "$held" ]; then
	set -- $held
	echo "irqs_held=$1 irqs_by_signature=$2 max_hold_us=$3 late_releases=$4"
	echo "irqs_held=$1" >>figures.txt
	echo "irqs_by_signature=$2" >>figures.txt
	echo "max_hold_us=$3" >>figures.txt
	echo "late_releases=$4" >>figures.txt
	lab_check "Xen held interrupts to landmarks: $1 held, $2 by signature (the log has ${sig:-?}), longest $3 us, $4 after more than twice the bound" \
		[ "$1" -gt 0 -a "$2" = "${sig:-x}" ]
else
	lab_not_ok "xl dmesg has no 'interrupts held' line for d$domid"
fi

# Liveness: the 'spin' autorun spins in user space (no landmark) until a
# SIGALRM arrives, which needs a timer interrupt delivered mid-spin: only
# the liveness bound (placement by signature) can end it.
echo "--- liveness: tt.autorun=spin"
record spin spin 200
grep 'TT-GUEST: spin' console-spin.txt
lab_check "spin guest: SIGALRM reached a guest spinning without landmarks" \
	grep -q 'TT-GUEST: spin: SIGALRM after' console-spin.txt
lab_check "spin guest: log verifies, interrupts placed by signature" \
	sh -c "[ $VERIFY_RC -eq 0 ] && grep -q '^records placed by signature: [1-9]' stat-spin.txt"
lab_done
