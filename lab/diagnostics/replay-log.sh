# lab-timeout: 1800
# lab-icount: 1
# Diagnostic: replay a log made elsewhere (run by name, with the log given
# in LAB_SHARE_FILES). The share must hold replay-log.conf, shell lines:
#   log=NAME.ttlog                 the log to replay
#   extra='console=hvc0 ...'       the recording's guest command line
#   steptrace=L                    optional: print every instruction from
#                                  landmark L to L+1 (tt_steptrace)
#   runs=N                         optional: replay it N times (1); two
#                                  replays of one log that differ point at
#                                  an input that reaches the replay itself
# The guest image and kernel must be the recording's (ttd-xl checks).
. ./dom0-lib.sh
CFG=/etc/xen/clientA.conf
. ./replay-log.conf
i=0
while [ "$i" -lt "${runs:-1}" ]; do
	i=$((i + 1))
	echo "=== replay $i of ${runs:-1}"
	[ -n "${steptrace:-}" ] && xl set-parameters "tt_steptrace=$steptrace" && echo "tt_steptrace=$steptrace"
	lab_tt_create "$CFG" "log-replay$i" 900 'time_travel="ttd_flag=1, tt_replay_flag=1"' "extra=\"$extra\"" --log "$PWD/$log"
	xl set-parameters tt_steptrace=0
	lab_ok "replay $i of $log (exit $LAB_RC): $(grep -h 'diverged\|ran out' "log-replay$i.txt" | head -n 1 | sed 's/; domain .*//')"
done
lab_done
