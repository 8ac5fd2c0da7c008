# Scenario "tt-irq" (runs in the lab's dom0): a guest recorded from its
# first instruction gets its interrupts and time updates only at landmarks
# (or, past the liveness bound, by signature), and no CPUID result it got
# shows RDRAND, RDSEED, HLE or RTM. docs/design-record.md, "Interrupts,
# time and CPUID". (The lab's qemu64 CPU has none of the four, so the
# CPUID check only bites with e.g. -cpu qemu64,+svm,+npt,+rdrand,+rdseed.)
#
# Records with the lab tool tt-ctl (attach, log ring, unpause, drain), not
# the daemon: this checks the hypervisor alone.
. ./dom0-lib.sh

CFG=/etc/xen/clientA.conf
TMO=400

for t in tt-ctl tt-irq-check; do
	command -v "$t" >/dev/null ||
		{ lab_not_ok "dom0: $t is missing (ci/tools/$t.c, built by ci/mkinitramfs.sh)"; lab_done; }
done
name=$(lab_cfg_name "$CFG")

# The record workload: time, urandom, a CPU loop (no landmarks of its own:
# the liveness bound), find /proc (many landmarks), a sleep loop (HLT).
lab_check "xl create -p $CFG" \
	xl create -p "$CFG" 'extra="console=hvc0 tt.autorun=record tt.loops=20000"'
domid=$(xl domid "$name" 2>/dev/null)
[ -n "$domid" ] || { lab_not_ok "no domain $name after xl create -p"; lab_done; }

t0=$(date +%s)
tt-ctl drain "$domid" irq.rec "$TMO" >drain.txt 2>&1 &
drain=$!

# Poll the counters while the guest runs; keep the last answer.
t=0
while xl domid "$name" >/dev/null 2>&1; do
	tt-ctl status "$domid" >status.new 2>&1 && grep -q '^state' status.new && mv status.new status.txt
	if [ $t -ge "$TMO" ]; then
		lab_not_ok "guest $name still running after $TMO s: destroying it"
		xl destroy "$name"
		break
	fi
	sleep 2
	t=$((t + 2))
done
wait "$drain"
rc=$?
echo "guest run: $(($(date +%s) - t0)) s"
echo "--- tt-ctl drain"; cat drain.txt
lab_check "tt-ctl drain ended with TT_REC_END" [ "$rc" -eq 0 ]
echo "--- last tt-ctl status while the guest ran"; cat status.txt 2>/dev/null

# A recorded guest's console is TT-io: its bytes are in the recording.
tt-io console irq.rec >console.txt 2>/dev/null
echo "--- guest console (TT-io, from the recording)"
cat console.txt
echo "--- end of guest console"
lab_check "guest ran its record workload to the end" grep -q 'TT-GUEST-DONE' console.txt

echo "--- tt-ctl check"
tt-ctl check irq.rec >check.txt 2>&1
rc=$?
cat check.txt
lab_check "tt-ctl check: the log is well formed" [ "$rc" -eq 0 ]

echo "--- tt-irq-check"
tt-irq-check irq.rec >irq.txt 2>&1
rc=$?
cat irq.txt
lab_check "interrupts and time writes recorded at their landmarks' positions (or by signature); CPUID hides RDRAND/RDSEED/HLE/RTM" \
	[ "$rc" -eq 0 ]

echo "--- xl dmesg (tt)"
xl dmesg | grep "tt: d$domid[: ]" | tee dmesg-tt.txt
held=$(sed -n 's/.* \([0-9]*\) interrupts held, \([0-9]*\) placed by signature, longest hold \([0-9]*\) us, \([0-9]*\) releases.*/\1 \2 \3 \4/p' dmesg-tt.txt | tail -n1)
if [ -n "$held" ]; then
	set -- $held
	echo "irqs_held=$1 irqs_by_signature=$2 max_hold_us=$3 late_releases=$4"
	echo "irqs_held=$1" >>figures.txt
	echo "irqs_by_signature=$2" >>figures.txt
	echo "max_hold_us=$3" >>figures.txt
	echo "late_releases=$4" >>figures.txt
	lab_ok "Xen held interrupts to landmarks: $1 held, $2 by signature, longest $3 us, $4 after more than twice the bound"
else
	lab_not_ok "xl dmesg has no 'interrupts held' line for d$domid"
fi

# Liveness: the 'spin' autorun spins in user space (no landmark) until a
# SIGALRM arrives, which needs a timer interrupt delivered mid-spin: only
# the liveness bound (placement by signature) can end it.
echo "--- liveness: tt.autorun=spin"
lab_check "xl create -p $CFG (spin)" \
	xl create -p "$CFG" 'extra="console=hvc0 tt.autorun=spin"'
domid=$(xl domid "$name" 2>/dev/null)
[ -n "$domid" ] || { lab_not_ok "no domain $name after xl create -p (spin)"; lab_done; }
tt-ctl drain "$domid" spin.rec 200 >drain-spin.txt 2>&1 &
drain=$!
t=0
while xl domid "$name" >/dev/null 2>&1; do
	if [ $t -ge 200 ]; then
		lab_not_ok "spin guest still running after 200 s: destroying it"
		xl destroy "$name"
		break
	fi
	sleep 2
	t=$((t + 2))
done
wait "$drain"
cat drain-spin.txt
tt-io console spin.rec >console-spin.txt 2>/dev/null
grep 'TT-GUEST: spin' console-spin.txt
lab_check "spin guest: SIGALRM reached a guest spinning without landmarks" \
	grep -q 'TT-GUEST: spin: SIGALRM after' console-spin.txt
tt-irq-check spin.rec >spin.txt 2>&1
rc=$?
grep 'interrupts\|tt-irq-check' spin.txt
lab_check "spin guest: log checks, interrupts placed by signature" \
	sh -c "[ $rc -eq 0 ] && grep -q 'by signature [1-9]' spin.txt"
xl dmesg | grep "tt: d$domid: .*interrupts held"
lab_done
