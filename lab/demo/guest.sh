# The demo (runs in the lab's dom0): record clientA with ttd-xl (TT Xen
# records it from its first instruction, ttd-deviced writes the log), show
# the guest's TT-io console while it runs, then what the log holds; then
# replay it from its log (ttd-xl tt_replay_flag=1) and compare the two
# consoles and the two logs.
#
# Each step also says one line "DEMO: ..." (the host's lab/demo.sh shows
# those and keeps everything else in the serial console's file).
. ./dom0-lib.sh

step() { echo "DEMO: $*"; }
# The first line of FILE that matches PATTERN.
first() { grep -m1 -E "$2" "$1" 2>/dev/null; }

CFG=/etc/xen/clientA.conf
[ -f "$CFG" ] || { echo "$CFG is missing from the lab's root (make install of images/)"; exit 1; }
name=$(lab_cfg_name "$CFG")
# The logs go to the share (the host's $OUT/lab/demo/share/), not to
# dom0's RAM: a recording and its replay log do not fit there together.
LOG=$PWD/$name.ttlog
# ttd-xl has ttd-deviced write the guest's console where xenconsoled keeps
# an ordinary guest's.
con=/var/log/xen/console/guest-$name.log
mkdir -p /var/log/xen/console
: >"$con"

echo "=== xl info (dom0 on the lab's Xen)"
xl info | grep -E '^(xen_version|xen_caps|virt_caps|total_memory|free_memory)'
step "dom0 is up on Xen $(xl info | awk '/^xen_version/ {print $3}'); recording $name: ttd-xl create $CFG time_travel=\"ttd_flag=1\""
echo "=== ttd-xl create $CFG time_travel=\"ttd_flag=1\" (the recorded guest's console follows)"
tail -f "$con" &
tailpid=$!
t0=$(date +%s)
rc=0
ttd-xl create "$CFG" 'time_travel="ttd_flag=1"' \
	'extra="console=hvc0 tt.autorun=record tt.loops=20000"' --log "$LOG" || rc=$?
t=0
while [ $rc = 0 ] && xl domid "$name" >/dev/null 2>&1; do
	[ $t -ge 300 ] && { echo "guest $name still running after 300 s: destroying it"; xl destroy "$name"; rc=1; }
	sleep 1
	t=$((t + 1))
done
# The daemon closes the log once the ring is drained.
t=0
while [ ! -f "$LOG" ] && [ $t -lt 20 ]; do sleep 1; t=$((t + 1)); done
sleep 1
kill $tailpid 2>/dev/null
secs=$(($(date +%s) - t0))
echo "=== guest $name recorded for $secs s; the daemon said:"
dlog=/var/log/xen/ttd-deviced-$name.log
cat "$dlog" 2>/dev/null
[ -f "$LOG" ] || { step "no log $LOG: the recording failed (ttd-xl exit $rc; the daemon: $(tail -n 1 "$dlog" 2>/dev/null))"; exit 1; }
step "guest $name recorded for $secs s (ttd-xl exit $rc); ttd-deviced: $(first "$dlog" '^ttd-deviced: records [0-9]' | sed 's/^ttd-deviced: //')"
step "its console: $(wc -l <"$con") lines, kept as console/record-$name.log; the last: $(grep -v '^[[:space:]]*$' "$con" | tail -n 1 | tr -d '\r' | cut -c1-100)"
echo "=== ttd-read-log stat -f $LOG"
ttd-read-log stat -f "$LOG" >stat.out 2>&1 || rc=1
cat stat.out
echo "=== ttd-read-log verify -f $LOG"
ttd-read-log verify -f "$LOG" >verify.out 2>&1 || rc=1
cat verify.out
step "the log: $LOG, $(ls -l "$LOG" | awk '{print $5}') bytes; $(first stat.out '^records:'); $(first stat.out '^landmarks:'); verify: $(sed 's/^[^:]*: //' verify.out | tail -n 1)"
rm -f stat.out verify.out
echo "=== ttd-read-log -i -f $LOG (the first 15 records)"
ttd-read-log -i -f "$LOG" | head -n 15
echo "=== ... and the last 5"
ttd-read-log -i -f "$LOG" | tail -n 5
mkdir -p console && cp "$con" "console/record-$name.log" 2>/dev/null

# --- Replay the recording: the same guest again, from its log.
: >"$con"
echo "=== ttd-xl create $CFG time_travel=\"ttd_flag=1, tt_replay_flag=1\" (the replay's console follows)"
step "replaying $name from its log: ttd-xl create $CFG time_travel=\"ttd_flag=1, tt_replay_flag=1\""
tail -f "$con" &
tailpid=$!
t0=$(date +%s)
rrc=0
timeout 900 ttd-xl create "$CFG" 'time_travel="ttd_flag=1, tt_replay_flag=1"' \
	'extra="console=hvc0 tt.autorun=record tt.loops=20000"' --log "$LOG" >replay.out 2>&1 || rrc=$?
sleep 1
kill $tailpid 2>/dev/null
cat replay.out
secs=$(($(date +%s) - t0))
echo "=== guest $name replayed in $secs s (ttd-xl exit $rrc); the daemon said:"
cat "/var/log/xen/ttd-deviced-$name.log" 2>/dev/null
step "replayed in $secs s (ttd-xl exit $rrc): $(grep -v '^[[:space:]]*$' replay.out | tail -n 1 | sed 's/^ttd-xl: //')"
rm -f replay.out
xl list "$name" >/dev/null 2>&1 && xl destroy "$name"
cp "$con" "console/replay-$name.log" 2>/dev/null
if cmp "console/record-$name.log" "console/replay-$name.log"; then
	same="byte-identical to the recording's"
else
	same="differs from the recording's"
fi
echo "=== the two consoles, compared (cmp): $same"
step "the replay's console ($(wc -l <"console/replay-$name.log") lines, console/replay-$name.log) $same"
REP=$(ls "$LOG.$name.replay."* 2>/dev/null | grep -v incomplete | tail -n 1)
if [ -n "$REP" ]; then
	echo "=== ttd-read-log diff $LOG $REP"
	ttd-read-log diff "$LOG" "$REP" >diff.out 2>&1 || rrc=1
	head -n 12 diff.out
	step "ttd-read-log diff of the two logs: $(head -n 1 diff.out)"
	rm -f diff.out
else
	step "no replay log beside $LOG: nothing to diff"
fi
if [ $rrc != 0 ]; then
	echo "=== the replay did not end as the recording did (ttd-xl exit $rrc): replay is not yet"
	echo "    faithful past the guest's boot; the README's 'What does not work yet' says where it stands"
fi
exit $rc
