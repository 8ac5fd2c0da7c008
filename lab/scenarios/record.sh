# lab-timeout: 600
# Scenario "record" (runs in the lab's dom0): ttd-xl creates the guest of
# /etc/xen/clientA.conf recorded (time_travel="ttd_flag=1"), ttd-deviced
# writes its log while the guest runs its "record" autorun and powers
# off; the log passes ttd-read-log stat and verify and holds the records
# a boot must have.  Then bad input: vcpus=2, a second daemon on a
# recorded domain, and a daemon killed with SIGKILL mid-run.
. ./dom0-lib.sh

CFG=/etc/xen/clientA.conf
TT='time_travel="ttd_flag=1"'

if [ ! -f "$CFG" ]; then
	lab_not_ok "$CFG is missing from the lab's root (make install of images/)"
	lab_done
fi
name=$(lab_cfg_name "$CFG")
LOG=$PWD/record.ttlog
rm -f "$LOG" "$LOG.incomplete"

# lab_count TYPE STATFILE: the count of TYPE in ttd-read-log stat's table.
lab_count() { awk -v t="$1" '$1 == t { print $2 }' "$2" | head -n1; }

# --- 1. Record the guest's boot and autorun (privcmd unrestricted, for
# tt-multicall's batch).
t0=$(date +%s)
if ttd-xl create "$CFG" "$TT" "extra=\"console=hvc0 tt.autorun=record xen_privcmd.unrestricted=1\"" --log "$LOG" 2>xl-create.txt; then
	lab_ok "ttd-xl create $CFG $TT"
else
	lab_not_ok "ttd-xl create $CFG $TT (exit $?)"
fi
cat xl-create.txt
# Until the guest is gone, at most 300 s, or 20 s after the daemon stopped
# (it closes the log when it stops) while the guest is still there.
t=0 closed=0
while xl domid "$name" >/dev/null 2>&1 && [ $t -lt 300 ] && [ $closed -lt 20 ]; do
	sleep 1
	t=$((t + 1))
	[ -f "$LOG" ] && closed=$((closed + 1))
done
if ! xl domid "$name" >/dev/null 2>&1; then
	lab_ok "recorded guest $name ran its record autorun and went away"
else
	lab_not_ok "recorded guest $name still there after $t s (ttd-deviced stopped: $([ -f "$LOG" ] && echo yes || echo no))"
	xl list
	xl destroy "$name" 2>/dev/null
fi
echo "recorded guest: $(($(date +%s) - t0)) s from ttd-xl create to its end"
echo "record_guest_secs=$(($(date +%s) - t0))" >>figures.txt
# The daemon closes the log once it has drained the ring.
t=0
while [ ! -f "$LOG" ] && [ $t -lt 20 ]; do sleep 1; t=$((t + 1)); done
echo "--- ttd-deviced's messages"
cat "/var/log/xen/ttd-deviced-$name.log" 2>/dev/null
echo "--- end"
lab_check "log $LOG closed cleanly (renamed from .incomplete)" test -f "$LOG"
if ttd-read-log stat -f "$LOG" >stat.txt 2>&1; then lab_ok "ttd-read-log stat"; else lab_not_ok "ttd-read-log stat"; fi
cat stat.txt
if ttd-read-log verify -f "$LOG" >verify.txt 2>&1; then lab_ok "ttd-read-log verify"; else lab_not_ok "ttd-read-log verify"; fi
cat verify.txt
ttd-read-log --header -f "$LOG" 2>/dev/null | head -n 20
# Plausible counts for this workload (~10 s of guest time or more): the
# kernel reads the TSC thousands of times, makes hundreds of hypercalls, and
# takes a timer interrupt at least every few tens of ms (held to landmarks).
for spec in RDTSC:1000 HYPERCALL:100 INTERRUPT:50 MEMORY:1; do
	ty=${spec%%:*} min=${spec#*:}
	n=$(lab_count $ty stat.txt)
	echo "record_$ty=${n:-0}" >>figures.txt
	lab_check "the log holds at least $min $ty records (${n:-0})" test "${n:-0}" -ge "$min"
done
for ty in TTIO_INPUT CPUID MMIO EXCEPTION; do
	n=$(lab_count $ty stat.txt)
	echo "$ty records: ${n:-0}"
	echo "record_$ty=${n:-0}" >>figures.txt
done
# The guest's TT-io console: ttd-deviced wrote it where xenconsoled keeps an
# ordinary guest's; its bytes are in the log's hypercall records.
con=/var/log/xen/console/guest-$name.log
echo "--- the recorded guest's console ($con)"
cat "$con" 2>/dev/null
echo "--- end"
lab_check "the recorded guest's TT-io console has its workload's output" \
	sh -c "grep -q 'TT-GUEST: urandom' '$con' && grep -q 'TT-GUEST-DONE' '$con'"
# The PC debug ports 0x80 and 0xed reach the host's hardware without an
# exit in other HVM guests: in a TT guest each access is an IO landmark
# (tt-debug-ports reads, writes, reads each), answered by Xen with all ones.
# (The kernel's own I/O delays, OUT 0 to port 0x80, are landmarks too.)
ttd-read-log -i -f "$LOG" 2>/dev/null | grep -e ' IO port=0x00\(80\|ed\) ' -e ' MEMORY .*kind=hypercall ' >ports.txt
grep ' IO ' ports.txt | grep -v 'dir=out count=1 value=0x0$'
# What Xen wrote into the guest's memory for outside hypercalls (the
# xen_version sub-ops of the boot: features, extraversion) follows them.
n=$(grep -c 'kind=hypercall' ports.txt)
grep 'kind=hypercall' ports.txt | head -n 3
lab_check "the log holds the memory results of outside hypercalls ($n MEMORY kind=hypercall)" test "$n" -ge 2
echo "the kernel's OUT 0 to port 0x80: $(grep -c 'port=0x0080 size=1 dir=out count=1 value=0x0$' ports.txt)"
for port in 80 ed; do
	lab_check "the guest's accesses to debug port 0x$port are IO landmarks of the log (2 in, 1 out)" \
		sh -c "test \$(grep -c 'port=0x00$port size=1 dir=in count=1 value=0xff$' ports.txt) = 2 &&
			test \$(grep -c 'port=0x00$port size=1 dir=out count=1 value=0x5a$' ports.txt) = 1"
	lab_check "the guest read all ones from debug port 0x$port (Xen's answer, not the host's)" \
		grep -q "TT-GUEST: debug port 0x$port read 0xff, after writing 0x5a read 0xff" "$con"
done
# String I/O from user space (ioperm): REP INSB and REP OUTSB of 8 bytes
# on port 0x80. Each record carries the count Xen made and the bytes.
grep ' IO port=0x0080 size=1 dir=\(in\|out\) count=[0-9]* value=0x0 data=' ports.txt
lab_check "the guest's REP INSB read all ones (Xen's answer) through string I/O" \
	grep -q "TT-GUEST: debug port 0x80 REP INSB of 8 bytes read ff ff ff ff ff ff ff ff, REP OUTSB wrote 8 bytes" "$con"
lab_check "REP INSB is an IO landmark with its count and the 8 bytes read (all ones)" \
	grep -q ' IO port=0x0080 size=1 dir=in count=8 value=0x0 data=8:"\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff"' ports.txt
lab_check "REP OUTSB is an IO landmark with its count and the 8 bytes written (a0..a7)" \
	grep -q ' IO port=0x0080 size=1 dir=out count=8 value=0x0 data=8:"\\xa0\\xa1\\xa2\\xa3\\xa4\\xa5\\xa6\\xa7"' ports.txt
# MMIO instructions with more than one access (tt-mmio): REP MOVSB of 8
# bytes between a hole of the guest's physical address space (Xen's null
# handler: reads all ones) and RAM. One landmark each, with the count and
# every byte; a single read is one access.
ttd-read-log -i -f "$LOG" 2>/dev/null | grep ' MMIO gpa=0xe00000' >mmio.txt
cat mmio.txt
lab_check "the guest's MMIO reads from the hole returned all ones (Xen's answer)" \
	grep -q "TT-GUEST: mmio 0xe0000000 read 0xff, REP MOVSB of 8 bytes read ff ff ff ff ff ff ff ff, REP MOVSB wrote 8 bytes" "$con"
lab_check "a single MMIO read is an MMIO landmark of one access" \
	grep -q ' MMIO gpa=0xe0000000 size=1 dir=read count=1 value=0xff$' mmio.txt
lab_check "REP MOVSB from MMIO is one MMIO landmark with its count and the 8 bytes read" \
	grep -q ' MMIO gpa=0xe0000010 size=1 dir=read count=8 value=0xff data=8:"\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff"' mmio.txt
lab_check "REP MOVSB to MMIO is one MMIO landmark with its count and the 8 bytes written (a0..a7)" \
	grep -q ' MMIO gpa=0xe0000020 size=1 dir=write count=8 value=0xa0 data=8:"\\xa0\\xa1\\xa2\\xa3\\xa4\\xa5\\xa6\\xa7"' mmio.txt
# A multicall with outside calls inside (tt-multicall, through privcmd):
# one HYPERCALL landmark flagged outside, then what Xen wrote into the
# guest for it (the entries' results, the extraversion string).
ttd-read-log -i -f "$LOG" 2>/dev/null | grep -A 6 ' HYPERCALL \[outside\] nr=13 ' >multicall.txt
cat multicall.txt
lab_check "the guest's multicall ran (-ENOSYS, the version, the extraversion, -ENOSYS)" \
	grep -q "TT-GUEST: multicall of 4 returned 0: -38, version 4\.17, extraversion 0 '[^']*-tt', -38" "$con"
lab_check "the multicall is one HYPERCALL landmark flagged outside, with its 4 calls" \
	grep -q ' HYPERCALL \[outside\] nr=13 a1=0x[0-9a-f]* a2=0x4 .* ret=0$' multicall.txt
lab_check "what Xen wrote for the multicall (results, the extraversion) follows it as MEMORY kind=hypercall" \
	sh -c "grep -q ' MEMORY .*kind=hypercall .*-tt' multicall.txt && test \$(grep -c ' MEMORY .*kind=hypercall ' multicall.txt) -ge 2"
lab_check "the log starts with DOMAIN_START and ends with END" \
	sh -c "ttd-read-log -f '$LOG' 2>/dev/null | head -n1 | grep -q DOMAIN_START && ttd-read-log -f '$LOG' 2>/dev/null | tail -n1 | grep -q END"

# --- 1b. ttd-xl -c: the recorded guest's console, relayed both ways
# through the daemon's pty (stdin is a pipe here, not a terminal). The
# "ttio" autorun waits up to 60 s for one line of input and echoes it.
(sleep 30; echo hello-pty) |
	timeout 240 ttd-xl create "$CFG" "$TT" "extra=\"console=hvc0 tt.autorun=ttio\"" \
		--log "$PWD/console.ttlog" -c >console-c.txt 2>&1
rc=$?
echo "--- ttd-xl -c (exit $rc)"
cat console-c.txt
echo "--- end"
lab_check "ttd-xl -c ended with the guest (exit $rc)" test "$rc" = 0
lab_check "ttd-xl -c showed the guest's console" grep -q 'TT-GUEST-DONE' console-c.txt
lab_check "ttd-xl -c passed a line of input to the guest" grep -q "TT-GUEST: input 'hello-pty'" console-c.txt
if ! lab_wait_gone "$name" 60; then
	lab_not_ok "guest $name still there 60 s after ttd-xl -c ended"
	xl destroy "$name" 2>/dev/null
fi
t=0
while [ ! -f console.ttlog ] && [ $t -lt 20 ]; do sleep 1; t=$((t + 1)); done
if ttd-read-log stat -f console.ttlog >stat-c.txt 2>&1; then
	n=$(lab_count TTIO_INPUT stat-c.txt)
	lab_check "the input is in the log as TTIO_INPUT records (${n:-0})" test "${n:-0}" -ge 1
else
	lab_not_ok "ttd-read-log stat of the -c recording"
	cat stat-c.txt
fi

# --- 2. Bad input: two vCPUs.
if ttd-xl create "$CFG" "$TT" vcpus=2 2>vcpus.txt; then
	lab_not_ok "ttd-xl create with vcpus=2 was accepted"
	xl destroy "$name" 2>/dev/null
else
	cat vcpus.txt
	lab_check "ttd-xl create with vcpus=2: one clear line" grep -q "time travel needs vcpus = 1" vcpus.txt
	lab_check "ttd-xl create with vcpus=2 created no domain" sh -c "! xl domid '$name' >/dev/null 2>&1"
fi

# --- 3. A second daemon on a recorded domain (created paused: -p).
KLOG=$PWD/killed.ttlog
rm -f "$KLOG" "$KLOG.incomplete"
if ttd-xl create "$CFG" "$TT" "extra=\"console=hvc0 tt.autorun=record\"" -p --log "$KLOG" 2>paused.txt; then
	lab_ok "ttd-xl create -p (recorded, paused)"
else
	lab_not_ok "ttd-xl create -p (exit $?)"
fi
cat paused.txt
pid=$(sed -n 's/.*ttd-deviced (pid \([0-9]*\)).*/\1/p' paused.txt)
if ttd-deviced --domain "$name" -f "$PWD/second.ttlog" 2>second.txt; then
	lab_not_ok "a second ttd-deviced on domain $name was accepted"
else
	cat second.txt
	lab_check "a second ttd-deviced: one line saying the domain is already recorded" \
		sh -c "test \$(wc -l <second.txt) -eq 1 && grep -q 'already' second.txt"
fi
lab_check "the second daemon wrote no log" sh -c "! test -e '$PWD/second.ttlog' && ! test -e '$PWD/second.ttlog.incomplete'"

# --- 4. SIGKILL of the daemon mid-run: the guest stays paused, the log reads.
xl unpause "$name"
sleep 5
if [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; then
	lab_ok "killed ttd-deviced (pid $pid) with SIGKILL"
else
	lab_not_ok "could not kill ttd-deviced (pid '$pid')"
fi
# The guest runs on, recorded into the ring, until the ring is full (how long
# depends on how fast it makes records: a TT guest without PIT reads makes few),
# then waits for room for good: its CPU time must stop growing, within 60 s.
c1= c2= s1= waited=0
while [ $waited -lt 60 ]; do
	sleep 5
	waited=$((waited + 5))
	c1=$c2
	c2=$(xl list "$name" 2>/dev/null | awk 'NR == 2 { print $6 }')
	s1=$(xl list "$name" 2>/dev/null | awk 'NR == 2 { print $5 }')
	[ -n "$c1" ] && [ "$c1" = "$c2" ] && break
done
echo "after SIGKILL: state '$s1', cpu time $c1 s, 5 s later $c2 s (${waited} s after the kill)"
xl list
lab_check "without its daemon the guest does not run (cpu time $c1 -> $c2)" test -n "$c1" -a "$c1" = "$c2"
if ttd-read-log stat -f "$KLOG" >killed.txt 2>&1; then
	lab_ok "ttd-read-log reads the log of the killed daemon"
else
	lab_not_ok "ttd-read-log on the log of the killed daemon"
fi
cat killed.txt
lab_check "the killed daemon's log is FILE.incomplete, read without a trailer" \
	sh -c "test -f '$KLOG.incomplete' && grep -q 'without a trailer' killed.txt"
xl destroy "$name" 2>/dev/null
sleep 2

# --- 5. SIGTERM: the daemon detaches, drains up to Xen's END record, closes the log.
TLOG=$PWD/term.ttlog
rm -f "$TLOG" "$TLOG.incomplete"
ttd-xl create "$CFG" "$TT" "extra=\"console=hvc0 tt.autorun=record\"" --log "$TLOG" 2>term.txt
cat term.txt
pid=$(sed -n 's/.*ttd-deviced (pid \([0-9]*\)).*/\1/p' term.txt)
sleep 2
lab_check "SIGTERM to ttd-deviced (pid '$pid')" kill -TERM "$pid"
t=0
while [ ! -f "$TLOG" ] && [ $t -lt 20 ]; do sleep 1; t=$((t + 1)); done
tail -n 4 "/var/log/xen/ttd-deviced-$name.log"
lab_check "after SIGTERM the log is closed cleanly" test -f "$TLOG"
ttd-read-log verify -f "$TLOG" >term-verify.txt 2>&1
cat term-verify.txt
lab_check "after SIGTERM the log verifies (END record of the detach last)" grep -q sound term-verify.txt
ttd-read-log -i -f "$TLOG" 2>/dev/null | tail -n 1
xl destroy "$name" 2>/dev/null
lab_done
