# lab-timeout: 1200
# lab-icount: 1
# lab-xen: debug
# Scenario "divergence" (runs in the lab's dom0, on the debug hypervisor:
# ASSERTs and lock checks): a recording whose log has
# one recorded value altered (the RIP of one RDTSC landmark, with
# `ttd-log-gen alter`, chunks re-sealed so the reader accepts it) replays
# into a divergence report at that very landmark: ttd-xl exits 2 naming
# it, Xen prints the seed's TT_LOG line for it, the replay log ends with
# DIVERGENCE and END(diverged), the domain stays (paused) for inspection
# while Xen and dom0 keep running, and `xl destroy` ends it.  The lab runs
# it with the instruction counter (-icount): a log whose one landmark has
# an instruction count one higher than the guest's diverges at that very
# landmark, after 100 000 landmarks whose counts all agree.  Then bad
# input: a replay whose daemon is killed mid-replay leaves the guest
# waiting, never running unreplayed; a replay with another initrd than
# the recording's is refused before any domain exists.
. ./dom0-lib.sh

CFG=/etc/xen/clientA.conf
name=$(lab_cfg_name "$CFG")
LOG=$PWD/orig.ttlog
BAD=$PWD/altered.ttlog
EXTRA='extra="console=hvc0 tt.autorun=boot"'
rm -f "$LOG" "$LOG".* "$BAD" "$BAD".*

lab_tt_create "$CFG" record 400 'time_travel="ttd_flag=1"' "$EXTRA" --log "$LOG"
lab_check "recorded the boot autorun into $LOG" test -f "$LOG"

# --- 1. One value altered: the RIP of the first RDTSC at or after landmark 20000.
ttd-log-gen alter "$LOG" "$BAD" --first RDTSC --after-landmark 20000 --field rip --add 1 >alter.txt 2>&1
cat alter.txt
lm=$(sed -n 's/.* at landmark \([0-9][0-9]*\).*/\1/p' alter.txt | head -n 1)
lab_check "ttd-log-gen altered one RDTSC record (landmark ${lm:-?})" test -n "$lm"
timeout 600 ttd-xl create "$CFG" 'time_travel="ttd_flag=1, tt_replay_flag=1"' "$EXTRA" --log "$BAD" \
	>diverged.txt 2>&1
rc=$?
echo "--- ttd-xl (replay of the altered log, exit $rc)"
cat diverged.txt
echo "--- ttd-deviced"
cat "/var/log/xen/ttd-deviced-$name.log" 2>/dev/null
echo "--- end"
lab_check "ttd-xl exits 2 (diverged) on the altered log (exit $rc)" test "$rc" = 2
lab_check "ttd-xl names the altered landmark $lm" grep -q "landmark $lm\b" diverged.txt
xl dmesg | grep -e 'TT_LOG' -e 'replay' | tail -n 5
lab_check "Xen printed the seed's TT_LOG line at landmark $lm" \
	sh -c "xl dmesg | grep 'TT_LOG:' | grep -q 'lm:$lm,'"
xl list
lab_check "the diverged domain is still there, for inspection" sh -c "xl domid '$name' >/dev/null 2>&1"
lab_check "and paused" sh -c "xl list '$name' | tail -n 1 | awk '{print \$5}' | grep -q p"
REP=$(ls "$BAD.$name.replay."* 2>/dev/null | head -n 1)
ttd-read-log -f "$REP" 2>/dev/null | tail -n 2
lab_check "the replay log ends with DIVERGENCE and END (diverged)" \
	sh -c "ttd-read-log -i -f '$REP' 2>/dev/null | tail -n 2 | head -n 1 | grep -q DIVERGENCE && ttd-read-log -i -f '$REP' 2>/dev/null | tail -n 1 | grep -q 'END reason=diverged'"
xl destroy "$name"
lab_check "xl destroy ends the diverged domain; Xen and dom0 run on" sh -c "! xl domid '$name' >/dev/null 2>&1 && xl info >/dev/null"

# --- 1b. One instruction count altered (the counter): the first RDTSC at or
# after landmark 100000 claims one instruction more than the guest ran.
ttd-read-log stat -f "$LOG" 2>&1 | grep -e '^counter' -e 'carry the count' || true
lab_check "the recording has the instruction counter" sh -c "ttd-read-log stat -f '$LOG' | grep -q 'counter: guest instructions'"
BADN=$PWD/altered-count.ttlog
rm -f "$BADN" "$BADN".*
ttd-log-gen alter "$LOG" "$BADN" --first RDTSC --after-landmark 100000 --field count --add 1 >alter-count.txt 2>&1
cat alter-count.txt
lmn=$(sed -n 's/.* at landmark \([0-9][0-9]*\).*/\1/p' alter-count.txt | head -n 1)
lab_check "ttd-log-gen altered one RDTSC's count (landmark ${lmn:-?})" test -n "$lmn"
timeout 900 ttd-xl create "$CFG" 'time_travel="ttd_flag=1, tt_replay_flag=1"' "$EXTRA" --log "$BADN" \
	>diverged-count.txt 2>&1
rc=$?
echo "--- ttd-xl (replay of the log with one count altered, exit $rc)"
cat diverged-count.txt
lab_check "ttd-xl exits 2 (diverged) on the altered count (exit $rc)" test "$rc" = 2
lab_check "ttd-xl names the landmark $lmn" grep -q "landmark $lmn\b" diverged-count.txt
xl dmesg | grep -e 'TT_LOG' | tail -n 1
lab_check "Xen printed the TT_LOG line at landmark $lmn with both counts" \
	sh -c "xl dmesg | grep 'TT_LOG:' | grep 'lm:$lmn,' | grep -q ', n:'"
xl destroy "$name" 2>/dev/null

# --- 2. The daemon dies mid-replay: the guest waits, never runs unreplayed.
timeout 300 ttd-xl create "$CFG" 'time_travel="ttd_flag=1, tt_replay_flag=1"' "$EXTRA" --log "$LOG" \
	>killed.txt 2>&1 &
xlpid=$!
# Kill the daemon as soon as the guest has started replaying (its CPU time
# is no longer 0.0): a faithful replay of this boot takes only seconds.
t=0
c=
while [ $t -lt 600 ]; do
	c=$(xl list "$name" 2>/dev/null | tail -n 1 | awk '{print $6}')
	[ -n "$c" ] && [ "$c" != "0.0" ] && [ "$c" != "CPU(s)" ] && break
	sleep 0.1
	t=$((t + 1))
done
# (dom0 has no pkill: it once ran "pkill: not found" and passed only
# because replay then hung at the first HLT.)
pid=$(pidof ttd-deviced)
lab_check "SIGKILL to the replay daemon (pid '$pid')" kill -9 $pid
echo "the replay daemon killed when the guest had run $c s"
lab_check "the guest had started replaying when its daemon was killed ($c s)" \
	sh -c "[ -n '$c' ] && [ '$c' != '0.0' ] && [ '$c' != 'CPU(s)' ]"
# The guest replays what the rings still hold (up to 1 MiB of records each
# way), then waits for records that never come: its CPU time stops.
c0= c1=$(xl list "$name" 2>/dev/null | tail -n 1 | awk '{print $6}')
t=0
while [ "$c0" != "$c1" ] && [ $t -lt 120 ]; do
	sleep 5
	t=$((t + 5))
	c0=$c1
	c1=$(xl list "$name" 2>/dev/null | tail -n 1 | awk '{print $6}')
done
sleep 8
c2=$(xl list "$name" 2>/dev/null | tail -n 1 | awk '{print $6}')
echo "guest CPU time after the daemon died: settled at $c1 s after $t s, 8 s later: $c2 s"
lab_check "after SIGKILL of the replay daemon the guest waits (CPU time $c1 -> $c2 s)" \
	sh -c "[ -n '$c1' ] && [ '$c1' = '$c2' ] && [ $t -lt 120 ]"
wait $xlpid
echo "ttd-xl said: $(tail -n 2 killed.txt | tr '\n' ' ')"
lab_check "the replay whose daemon was killed did not end as if complete" \
	sh -c "! grep -q 'replay done' killed.txt"
xl destroy "$name" 2>/dev/null
lab_wait_gone "$name" 30

# --- 3. Another initrd than the recording's: refused, no domain created.
cp /boot/initrd-busybox-based-ram-linux.img other-initrd.img
echo x >>other-initrd.img
timeout 60 ttd-xl create "$CFG" 'time_travel="ttd_flag=1, tt_replay_flag=1"' "$EXTRA" \
	ramdisk=\"$PWD/other-initrd.img\" --log "$LOG" >other.txt 2>&1
rc=$?
cat other.txt
lab_check "a replay with another initrd is refused with one line (exit $rc)" \
	sh -c "[ $rc != 0 ] && grep -q 'replay refused' other.txt && [ \$(wc -l <other.txt) -le 2 ]"
lab_check "and created no domain" sh -c "! xl domid '$name' >/dev/null 2>&1"
lab_done
