# lab-timeout: 900
# Scenario "shutdown-self" (runs in the lab's dom0): recorded guests that
# shut themselves down with the reasons Linux never passes on its own
# (tt-shutdown, through privcmd): suspend, then soft_reset. The recording
# must end there with END naming the reason, and the domain must never run
# on unrecorded: after the suspend, `xl save -c` has libxl resume it, and
# Xen keeps it paused instead (a TT domain resumed after its END); after
# the soft reset nothing resets it (ttd-xl does not stay behind), and it
# stays shut down. Then xl destroy ends each.
. ./dom0-lib.sh

CFG=/etc/xen/clientA.conf
name=$(lab_cfg_name "$CFG")
con=/var/log/xen/console/guest-$name.log

# state: the domain's state column in xl list ("" if it is gone).
state() { xl list "$name" 2>/dev/null | awk 'NR == 2 { print $(NF - 1) }'; }

for r in suspend soft-reset; do
	case $r in
	suspend) code=2 ;;
	soft-reset) code=5 ;;
	esac
	log=$PWD/self-$r.ttlog
	rm -f "$log" "$log".*
	ttd-xl create "$CFG" 'time_travel="ttd_flag=1"' \
		"extra=\"console=hvc0 tt.autorun=self-$r xen_privcmd.unrestricted=1\"" --log "$log" >create-$r.txt 2>&1
	rc=$?
	cat create-$r.txt
	lab_check "$r: ttd-xl create (exit $rc)" test "$rc" = 0
	t=0
	while [ ! -e "$log" ] && [ $t -lt 180 ]; do sleep 1; t=$((t + 1)); done
	lab_check "$r: the recording closed its log when the guest shut itself down ($t s)" test -e "$log"
	# The last landmark is the guest's SCHEDOP_shutdown; what was held
	# for it (INTERRUPT records) may follow at that landmark, then END.
	ttd-read-log -i -f "$log" 2>&1 | tail -n 8 | tee end-$r.txt
	end_lm=$(tail -n 1 end-$r.txt | sed -n "s/^lm:\([0-9]*\) .* END reason=shutdown code=$code .*/\1/p")
	hc_lm=$(grep ' HYPERCALL nr=29 a1=0x2 ' end-$r.txt | tail -n 1 | sed -n 's/^lm:\([0-9]*\) .*/\1/p')
	lab_check "$r: the log ends with END reason=shutdown code=$code at the guest's SCHEDOP_shutdown (landmark ${end_lm:-?}, the hypercall's ${hc_lm:-?})" \
		sh -c "test -n '$end_lm' && test '$end_lm' = '$hc_lm'"
	lab_check "$r: ttd-read-log verify: the log is sound" ttd-read-log verify -f "$log"
	s=$(state)
	echo "state after END: $s"
	lab_check "$r: the domain is shut down, not running (state $s)" sh -c "echo '$s' | grep -q s"
	if [ "$r" = suspend ]; then
		# libxl saves the domain and resumes it. The save goes to a
		# 1 MB tmpfs, so it always fails (ENOSPC) and libxl takes the
		# same resume path whatever dom0's memory: "resuming domain".
		mkdir -p /tmp/tiny && mount -t tmpfs -o size=1m tmpfs /tmp/tiny
		timeout 120 xl save -c "$name" /tmp/tiny/self.save >save.txt 2>&1
		echo "xl save -c: exit $?"
		cat save.txt
		umount /tmp/tiny
		lab_check "suspend: xl save -c resumed the domain (libxl: resuming domain)" \
			grep -q 'resuming domain' save.txt
		sleep 10
		s=$(state)
		echo "state after xl save -c: $s"
		lab_check "suspend: resumed by the toolstack, Xen kept the domain paused (state $s)" \
			sh -c "echo '$s' | grep -q p && xl dmesg | grep -q 'tt: d[0-9]*: resumed after its recording ended: kept paused'"
	else
		sleep 10
		s=$(state)
		lab_check "soft-reset: nothing reset it, the domain stays shut down (state $s)" sh -c "echo '$s' | grep -q s"
	fi
	tail -n 3 "$con"
	lab_check "$r: the guest never ran after its shutdown (no line after it on its console)" \
		sh -c "grep -q 'TT-GUEST: shutting down: ${r%-*}' '$con' && ! grep -q 'TT-GUEST: resumed after shutdown' '$con' && ! grep -q TT-GUEST-DONE '$con'"
	xl destroy "$name" 2>&1
	lab_check "$r: xl destroy ended it" lab_wait_gone "$name" 30
done
lab_done
