# lab-timeout: 1800
# lab-icount: 1
# Diagnostic: record and replay one guest workload, as replay-suite does
# for each of its pairs (run by name; LAB_SHARE_FILES gives replay-pair.conf:
#   autorun=NAME                   the guest's tt.autorun
#   runs=N                         optional: how many record/replay pairs (1)
. ./dom0-lib.sh
CFG=/etc/xen/clientA.conf
. ./replay-pair.conf
i=0
while [ "$i" -lt "${runs:-1}" ]; do
	i=$((i + 1))
	echo "=== run $i of ${runs:-1}"
	lab_tt_pair "$CFG" "pair$i" "$autorun"
done
lab_done
