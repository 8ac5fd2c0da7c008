# lab-timeout: 900
# lab-icount: 1
# Scenario "truncated" (runs in the lab's dom0): a recording cut in the
# middle of a chunk (as a daemon that died leaves FILE.incomplete, made
# here with `ttd-log-gen cut`) replays up to its last whole chunk, then
# stops with one clear line: ttd-xl exits 3 naming the landmark where the
# log ran out, the replay log ends with END (log done), the domain stays
# paused for inspection and `xl destroy` ends it; the cut log is untouched.
# With the lab's counter (-icount): what is tested is the cut, not the
# placement of interrupts by register signature, which without a counter
# can miss a spot (see docs/design-replay.md, "Where replay stands").
. ./dom0-lib.sh

CFG=/etc/xen/clientA.conf
name=$(lab_cfg_name "$CFG")
LOG=$PWD/whole.ttlog
CUT=$PWD/cut.ttlog
EXTRA='extra="console=hvc0 tt.autorun=boot"'
rm -f "$LOG" "$LOG".* "$CUT" "$CUT".*

lab_tt_create "$CFG" record 400 'time_travel="ttd_flag=1"' "$EXTRA" --log "$LOG"
lab_check "recorded the boot autorun into $LOG" test -f "$LOG"
last=$(ttd-read-log stat -f "$LOG" 2>/dev/null | sed -n 's/^landmarks: 0 to \([0-9]*\).*/\1/p')
at=$((${last:-0} / 2))
ttd-log-gen cut "$LOG" "$CUT.incomplete" --at-landmark "$at" >cut.txt 2>&1
cat cut.txt
lab_check "ttd-log-gen cut the log in the middle (landmark $at of ${last:-?})" test -f "$CUT.incomplete"
sum0=$(md5sum <"$CUT.incomplete")
ttd-read-log verify -f "$CUT.incomplete" 2>&1 | tail -n 2

timeout 600 ttd-xl create "$CFG" 'time_travel="ttd_flag=1, tt_replay_flag=1"' "$EXTRA" --log "$CUT" \
	>replay.txt 2>&1
rc=$?
echo "--- ttd-xl (replay of the cut log, exit $rc)"
cat replay.txt
echo "--- ttd-deviced"
cat "/var/log/xen/ttd-deviced-$name.log" 2>/dev/null
echo "--- end"
lab_check "ttd-xl exits 3 (the log ran out) (exit $rc)" test "$rc" = 3
ran=$(sed -n 's/.*log ran out at landmark \([0-9][0-9]*\).*/\1/p' replay.txt | head -n 1)
lab_check "it names where the log ran out (landmark ${ran:-?}, cut at $at)" \
	sh -c "[ -n '$ran' ] && [ '$ran' -gt 0 ] && [ '$ran' -le '$at' ]"
REP=$(ls "$CUT"*".$name.replay."* 2>/dev/null | head -n 1)
ttd-read-log -i -f "$REP" 2>/dev/null | tail -n 1
lab_check "the replay log ends with END (log done)" \
	sh -c "ttd-read-log -i -f '$REP' 2>/dev/null | tail -n 1 | grep -q 'END reason=log-done'"
lab_check "the domain stays for inspection" sh -c "xl domid '$name' >/dev/null 2>&1"
xl destroy "$name" 2>/dev/null
lab_check "xl destroy ends it; Xen and dom0 run on" sh -c "! xl domid '$name' >/dev/null 2>&1 && xl info >/dev/null"
lab_check "the cut log is untouched" test "$(md5sum <"$CUT.incomplete")" = "$sum0"
lab_done
