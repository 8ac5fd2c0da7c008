# lab-timeout: 1200
# Scenario "replay" (runs in the lab's dom0): the record scenario's guest
# (clientA, tt.autorun=record: uptime, urandom, date, a CPU loop, find
# /proc, a sleep loop) recorded with ttd-xl, then replayed with ttd-xl from
# its log.  The replay's console must be byte-identical to the
# recording's (the urandom bytes, uptime and date included), ttd-xl must
# exit 0, and `ttd-read-log diff` of the recording and its replay log must
# report no difference.
. ./dom0-lib.sh

CFG=/etc/xen/clientA.conf
name=$(lab_cfg_name "$CFG")
LOG=$PWD/replay.ttlog
con=/var/log/xen/console/guest-$name.log
EXTRA="extra=\"console=hvc0 tt.autorun=record tt.loops=20000\""
rm -f "$LOG" "$LOG".* "$con"

# lab_tt_run WHAT TIMEOUT ttd-xl-args...: run ttd-xl create, wait for the
# guest to go, print what it said; LAB_RC holds ttd-xl's exit code.
lab_tt_run() {
	local what=$1 tmo=$2 out
	shift 2
	out=$PWD/$what.txt
	timeout "$tmo" ttd-xl create "$CFG" "$@" >"$out" 2>&1
	LAB_RC=$?
	echo "--- ttd-xl ($what, exit $LAB_RC)"
	cat "$out"
	echo "--- ttd-deviced ($what)"
	cat "/var/log/xen/ttd-deviced-$name.log" 2>/dev/null
	echo "--- end"
	if ! lab_wait_gone "$name" 60; then
		echo "guest $name still there after $what: destroying it"
		xl list
		xl destroy "$name" 2>/dev/null
	fi
}

# --- 1. Record.
t0=$(date +%s)
lab_tt_run record 400 'time_travel="ttd_flag=1"' "$EXTRA" --log "$LOG"
rec_secs=$(($(date +%s) - t0))
t=0
while [ ! -f "$LOG" ] && [ $t -lt 20 ]; do sleep 1; t=$((t + 1)); done
lab_check "recorded clientA into $LOG (closed cleanly) in $rec_secs s" test -f "$LOG"
cp "$con" record-console.txt 2>/dev/null
rm -f "$con"
echo "--- the recording's console"
cat record-console.txt
echo "--- end"
lab_check "the recording's console has the workload's end" grep -q 'TT-GUEST-DONE' record-console.txt
ttd-read-log stat -f "$LOG" 2>&1 | head -n 30

# --- 2. Replay it.
t0=$(date +%s)
lab_tt_run replay 600 'time_travel="ttd_flag=1, tt_replay_flag=1"' "$EXTRA" --log "$LOG"
rep_secs=$(($(date +%s) - t0))
echo "record_secs=$rec_secs" >>figures.txt
echo "replay_secs=$rep_secs" >>figures.txt
lab_check "ttd-xl replayed the recording and exited 0 in $rep_secs s (exit $LAB_RC)" test "$LAB_RC" = 0
cp "$con" replay-console.txt 2>/dev/null
echo "--- the replay's console"
cat replay-console.txt
echo "--- end"
lab_check "the replay's console is byte-identical to the recording's" cmp record-console.txt replay-console.txt
REP=$(ls "$LOG.$name.replay."* 2>/dev/null | grep -v incomplete | head -n 1)
lab_check "the replay wrote its own log beside the recording (${REP:-none})" test -n "$REP"
if [ -n "$REP" ]; then
	ttd-read-log diff "$LOG" "$REP" >diff.txt 2>&1
	rc=$?
	cat diff.txt
	lab_check "ttd-read-log diff of the recording and its replay: no difference (exit $rc)" test "$rc" = 0
	ttd-read-log stat -f "$REP" 2>&1 | head -n 30
fi
lab_done
