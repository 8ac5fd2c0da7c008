# lab-timeout: 1200
# lab-icount: 1
# Scenario "replay" (runs in the lab's dom0): the record scenario's guest
# (clientA, tt.autorun=record: uptime, urandom, date, debug ports, MMIO
# instructions of several accesses, a multicall with outside calls, a CPU
# loop, find /proc, a sleep loop) recorded with ttd-xl, then replayed with ttd-xl from
# its log (time_travel="ttd_flag=1, tt_replay_flag=1").  The replay's
# console must be byte-identical to the recording's (the urandom bytes,
# uptime and date included), ttd-xl must exit 0, and `ttd-read-log diff` of
# the recording and its replay log must report no difference.
. ./dom0-lib.sh

CFG=/etc/xen/clientA.conf
lab_tt_pair "$CFG" record "record tt.loops=20000 xen_privcmd.unrestricted=1"
echo "--- the recording's console"
cat record-record.console
echo "--- end"
lab_check "the recording's console has the workload's urandom line" grep -q 'TT-GUEST: urandom' record-record.console
name=$(lab_cfg_name "$CFG")
ttd-read-log stat -f "$PWD/record.ttlog" 2>&1 | head -n 30
rep=$(ls "$PWD/record.ttlog.$name.replay."* 2>/dev/null | grep -v incomplete | head -n 1)
[ -n "$rep" ] && ttd-read-log stat -f "$rep" 2>&1 | head -n 30
lab_done
