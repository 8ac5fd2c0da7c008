# lab-timeout: 1800
# lab-icount: 1
# Diagnostic "replay-twice" (run by name: bash lab/run.sh replay-twice; QEMU
# with -icount): one recording replayed twice. Two replays get the same
# inputs from the same log, so they must be identical to each other
# whatever the recording: the
# same exit code, the same console, the same replay log (ttd-read-log diff
# of the two replay logs finds nothing), and if they stop, at the same
# landmark with the same counts. A difference between the two replays is
# nondeterminism of the lab's machine (QEMU's instruction count) or of the
# replay itself, not of the recording. (It told, before replay became
# faithful, that the difference lay between recording and replay. While
# the replay scenario passes it proves nothing more, so make check does
# not run it.)
. ./dom0-lib.sh

CFG=/etc/xen/clientA.conf
name=$(lab_cfg_name "$CFG")
log=$PWD/twice.ttlog
rm -f "$log" "$log".*
extra='extra="console=hvc0 tt.autorun=record tt.loops=20000"'
lab_tt_create "$CFG" twice-record 400 'time_travel="ttd_flag=1"' "$extra" --log "$log"
lab_check "recorded" test "$LAB_RC" = 0 -a -f "$log"
for i in 1 2; do
	lab_tt_create "$CFG" twice-replay$i 600 'time_travel="ttd_flag=1, tt_replay_flag=1"' "$extra" --log "$log"
	eval rc$i=$LAB_RC
	grep -h "diverged\|ran out" "twice-replay$i.txt" | head -n 1 | sed "s/; domain .*//" >"twice-stop$i.txt" || true
	echo "replay $i: exit $LAB_RC: $(cat twice-stop$i.txt)"
done
ls -l "$log".*
lab_check "both replays end the same way (exit $rc1 and $rc2)" test "$rc1" = "$rc2"
lab_check "both replays stop at the same place with the same counts" cmp twice-stop1.txt twice-stop2.txt
lab_check "the two replays print the same console" cmp twice-replay1.console twice-replay2.console
r1=$log.$name.replay.0
r2=$log.$name.replay.1
[ -f "$r1" ] || r1=$(ls "$log.$name.replay."* | grep incomplete | head -n 1)
[ -f "$r2" ] || r2=$(ls "$log.$name.replay."* | grep incomplete | tail -n 1)
# Every record of the two replay logs must be equal, up to a divergence:
# there the diverging landmark's outside result (an RDTSC's) is the live
# host's, which the log could not supply.
ttd-read-log -i -f "$r1" >twice-log1.txt 2>&1
ttd-read-log -i -f "$r2" >twice-log2.txt 2>&1
if [ "$rc1" = 2 ]; then
	n1=$(($(wc -l <twice-log1.txt) - 3))
	n2=$(($(wc -l <twice-log2.txt) - 3))
	head -n "$n1" twice-log1.txt >twice-cmp1.txt
	head -n "$n2" twice-log2.txt >twice-cmp2.txt
else
	cp twice-log1.txt twice-cmp1.txt
	cp twice-log2.txt twice-cmp2.txt
fi
echo "replay logs: $(wc -l <twice-log1.txt) and $(wc -l <twice-log2.txt) records"
if cmp twice-cmp1.txt twice-cmp2.txt; then
	lab_ok "the two replay logs are identical record for record$([ "$rc1" = 2 ] && echo ' up to the divergence')"
else
	lab_not_ok "the two replay logs differ"
	ttd-read-log diff "$r1" "$r2" 2>&1 | head -n 40
fi
lab_done
