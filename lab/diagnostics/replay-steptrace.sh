# lab-timeout: 1800
# lab-icount: 1
# Diagnostic: record the record workload, replay it; if the replay
# diverges at landmark D, replay it again with every instruction from
# landmark D-1 to D printed by Xen (xl set-parameters tt_steptrace=D-1;
# serial.log: "step n ..."). Compare with a recording's path by hand.
. ./dom0-lib.sh
CFG=/etc/xen/clientA.conf
log=$PWD/step.ttlog
rm -f "$log" "$log".*
extra='extra="console=hvc0 tt.autorun=record tt.loops=20000"'
lab_tt_create "$CFG" step-record 400 'time_travel="ttd_flag=1"' "$extra" --log "$log"
lab_tt_create "$CFG" step-replay1 600 'time_travel="ttd_flag=1, tt_replay_flag=1"' "$extra" --log "$log"
d=$(sed -n 's/.*replay diverged at landmark \([0-9]*\).*/\1/p' step-replay1.txt | head -n 1)
echo "replay 1: exit $LAB_RC, diverged at ${d:-none}"
if [ -n "$d" ]; then
	xl set-parameters "tt_steptrace=$((d - 1))" && echo "tt_steptrace=$((d - 1))"
	lab_tt_create "$CFG" step-replay2 600 'time_travel="ttd_flag=1, tt_replay_flag=1"' "$extra" --log "$log"
	xl set-parameters tt_steptrace=0
	ttd-read-log -i -n "$d" -w 6 -f "$log"
fi
lab_ok "done (replay 1 diverged at ${d:-none})"
lab_done
