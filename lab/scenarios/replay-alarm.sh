# lab-timeout: 1500
# lab-icount: 1
# Scenario "replay-alarm" (runs in the lab's dom0, QEMU with -icount): the
# ambiguous loop (lab/guest/src/tt-alarm-loop.c: a loop whose state lives only
# in memory, stopped by its own SIGALRM, which prints how far it had got).
#
# With the instruction counter (tt_counter=icount, what ttd-deviced picks
# by default when Xen offers it) the replay must print the very passes of
# the recording: its console byte-identical, ttd-read-log diff empty, and
# every record of the log carries its count.
#
# Without a counter (tt_counter=none) the ticks are placed by register
# signature, which cannot tell the loop's passes apart: the replay must
# then either print the same passes or stop with a reported divergence
# (ttd-xl exit 2, DIVERGENCE in the replay log), never run on to the end
# with other output.
. ./dom0-lib.sh

CFG=/etc/xen/clientA.conf
name=$(lab_cfg_name "$CFG")

# With the counter.
lab_tt_pair "$CFG" alarm "alarm tt.alarms=5"
cat alarm-record.console | grep 'TT-GUEST: alarm' || true
lab_check "the recording saw 5 alarms" grep -q 'TT-GUEST: alarm 5 saw the loop' alarm-record.console
ttd-read-log stat -f "$PWD/alarm.ttlog" >alarm-stat.txt 2>&1
sed -n '1,40p' alarm-stat.txt
lab_check "the recording has the instruction counter" grep -q 'counter: guest instructions' alarm-stat.txt
lab_check "the recording placed interrupts inside the loop (records placed by signature)" \
	grep -q 'records placed by signature: [1-9]' alarm-stat.txt

# Without it: honest, whatever the outcome.
log=$PWD/alarm-none.ttlog
rm -f "$log" "$log".*
extra='extra="console=hvc0 tt.autorun=alarm tt.alarms=5"'
lab_tt_create "$CFG" alarm-none-record 400 'time_travel="ttd_flag=1, tt_counter=none"' "$extra" --log "$log"
lab_check "without a counter: recorded" test "$LAB_RC" = 0 -a -f "$log"
ttd-read-log stat -f "$log" 2>&1 | grep -e '^counter' -e 'by signature' || true
lab_check "without a counter: the log says so" sh -c "ttd-read-log stat -f '$log' | grep -q 'counter: none'"
lab_tt_create "$CFG" alarm-none-replay 600 'time_travel="ttd_flag=1, tt_replay_flag=1"' "$extra" --log "$log"
rc=$LAB_RC
rep=$(ls "$log.$name.replay."* 2>/dev/null | grep -v incomplete | head -n 1)
echo "without a counter: replay exit $rc, replay log ${rep:-none}"
if [ "$rc" = 0 ]; then
	lab_check "without a counter: a replay that ends must print the recording's passes" \
		cmp alarm-none-record.console alarm-none-replay.console
elif [ "$rc" = 2 ]; then
	lab_ok "without a counter: the replay reported its divergence (exit 2)"
	lab_check "without a counter: the replay log holds the DIVERGENCE record" \
		sh -c "ttd-read-log -f '$rep' | grep -q DIVERGENCE"
else
	lab_not_ok "without a counter: replay exit $rc (want 0 or 2)"
fi
lab_done
