# Shared helpers for the virtual lab (lab/). Source, do not execute.
#
# The lab is a Xen host inside QEMU (TCG, no KVM): TT Xen boots as the
# multiboot kernel, TT Linux is dom0 and runs from an initramfs that
# lab/dom0/mkinitramfs.sh builds. Files move between the host and dom0 through a
# 9p share only; the serial console is kept as a log.
#
# Settings (environment), with their defaults:
#   OUT            $TOP/out               build outputs
#   TT_CACHE       /var/cache/tt-xen      download cache (debs under debs/)
#   LAB_XEN        $OUT/xen/xen           the hypervisor ELF (multiboot)
#   LAB_KERNEL     $OUT/linux/vmlinuz-6.1-tt  the dom0 kernel
#   LAB_DOM0=debian                       use Debian's own kernel (downloaded,
#                                         with its modules) as dom0 instead
#   LAB_TIMEOUT    300                    seconds per QEMU run
#   LAB_MEM        1024                   MB of the emulated machine
#   LAB_DOM0_MEM   512M                   dom0_mem= for Xen (384M left no room
#                                         to unpack the 97 MB initramfs)
#   LAB_SMP        1                      emulated CPUs (a scenario asks
#                                         for more with "# lab-smp: N")
#   LAB_CPU        qemu64,+svm,+npt       QEMU's -cpu (a scenario asks for
#                                         another with "# lab-cpu: MODEL")
#   LAB_XEN_ARGS   ""                     extra Xen command line options
#   LAB_ICOUNT     0                      1: QEMU -icount shift=0 (the TSC
#                                         counts instructions) and Xen's
#                                         tt_counter=icount: recordings get
#                                         an exact instruction count.  A
#                                         scenario asks for it with the
#                                         header "# lab-icount: 1".

LAB_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$LAB_TOP/scripts/lib.sh"

OUT=${OUT:-$LAB_TOP/out}
TT_CACHE=${TT_CACHE:-/var/cache/tt-xen}
LAB_OUT=${LAB_OUT:-$OUT/lab}
LAB_XEN=${LAB_XEN:-$OUT/xen/xen}
LAB_KERNEL=${LAB_KERNEL:-$OUT/linux/vmlinuz-6.1-tt}
LAB_DOM0=${LAB_DOM0:-tt}
LAB_TIMEOUT=${LAB_TIMEOUT:-300}
LAB_MEM=${LAB_MEM:-1024}
LAB_DOM0_MEM=${LAB_DOM0_MEM:-512M}
LAB_SMP=${LAB_SMP:-1}
LAB_CPU=${LAB_CPU:-qemu64,+svm,+npt}
LAB_XEN_ARGS=${LAB_XEN_ARGS:-}
LAB_ICOUNT=${LAB_ICOUNT:-0}
LAB_INITRAMFS=$LAB_OUT/initramfs.cpio
export OUT TT_CACHE

# The Debian kernel used with LAB_DOM0=debian (the same one the "TT Xen +
# Debian kernel" GRUB entry boots); its version is the candidate of this
# metapackage.
LAB_DEBIAN_KERNEL_PKG=linux-image-amd64

# lab_lock: one lab run at a time per $OUT (they share the initramfs and
# the scenario folders); waits for another run to finish.
lab_lock() {
	mkdir -p "$LAB_OUT" || die "cannot create $LAB_OUT. Set OUT to a writable folder."
	exec 9>"$LAB_OUT/.lock"
	if ! flock -n 9; then
		note "lab: another lab run holds $LAB_OUT/.lock; waiting for it"
		flock -w 3600 9 || die "the lab stayed locked for an hour ($LAB_OUT/.lock). End the other run and re-run."
	fi
}

lab_need_qemu() {
	command -v qemu-system-x86_64 >/dev/null 2>&1 ||
		die "qemu-system-x86_64 is missing. Run 'make deps' (it installs qemu-system-x86)."
	command -v timeout >/dev/null 2>&1 ||
		die "'timeout' is missing. Run 'make deps' (coreutils)."
}

# lab_fmt_secs SECONDS: "73 s" or "2 min 13 s".
lab_fmt_secs() {
	local s=$1
	if [ "$s" -ge 60 ]; then
		echo "$((s / 60)) min $((s % 60)) s"
	else
		echo "$s s"
	fi
}

# lab_kernel_path: the dom0 kernel the lab boots (after mkinitramfs ran).
lab_kernel_path() {
	if [ "$LAB_DOM0" = debian ]; then
		echo "$LAB_OUT/debian-kernel/vmlinuz"
	else
		echo "$LAB_KERNEL"
	fi
}

# lab_boot SCENARIO SHARE_DIR LOG [live]
#
# Boot Xen + dom0 with the lab initramfs; dom0 runs SHARE_DIR/scenario.sh
# (SHARE_DIR is the 9p share, tag "lab") and powers off. The serial console
# goes to LOG (and to stdout as well when the 4th argument is "live").
# Returns 0 when dom0 wrote SHARE_DIR/status (whatever its content), 1 on a
# hang (timeout), a panic, or QEMU exiting without a status. Sets
# LAB_BOOT_SECS (QEMU start to end) and LAB_GUEST_OUTPUT_SECS (QEMU start
# to the first guest console log holding TT-GUEST-DONE; empty if none).
lab_boot() {
	local name=$1 share=$2 log=$3 live=${4:-}
	local kernel xen_cmd dom0_cmd qpid tpid="" rc=0 t0 now reason=""

	kernel=$(lab_kernel_path)
	[ -r "$LAB_XEN" ] || die "the hypervisor $LAB_XEN is missing. Build it with 'make -C xen' (or 'make world'), or set LAB_XEN."
	[ -r "$kernel" ] || die "the dom0 kernel $kernel is missing. Build it with 'make -C linux-guest' (or 'make world'), or set LAB_KERNEL."
	[ -r "$LAB_INITRAMFS" ] || die "the lab initramfs $LAB_INITRAMFS is missing. Run 'bash lab/dom0/mkinitramfs.sh'."

	xen_cmd="console=com1 com1=115200,8n1 loglvl=all guest_loglvl=all"
	xen_cmd+=" dom0_mem=$LAB_DOM0_MEM,max:$LAB_DOM0_MEM dom0_max_vcpus=1"
	xen_cmd+=" watchdog=1 sync_console=1 conring_size=1m noreboot $LAB_XEN_ARGS"
	local icount=()
	if [ "$LAB_ICOUNT" = 1 ]; then
		# One emulated instruction is one TSC tick (and 1 ns of guest
		# time); idle time still passes at the host's pace (sleep=on).
		icount=(-icount shift=0,sleep=on)
		xen_cmd+=" tt_counter=icount"
	fi
	# QEMU splits -initrd at commas; a comma inside an argument is ",,".
	dom0_cmd="console=hvc0 earlyprintk=xen rdinit=/init tt.lab=$name"

	rm -f "$share/status" "$log"
	: >"$log"
	t0=$(date +%s)
	# QEMU runs in the background so that the runner can end it as soon
	# as dom0 has written its status, on a panic, or at the timeout.
	timeout --kill-after=5 "$LAB_TIMEOUT" qemu-system-x86_64 \
		-accel tcg -cpu "$LAB_CPU" -smp "$LAB_SMP" -m "$LAB_MEM" \
		"${icount[@]}" \
		-display none -monitor none -no-reboot \
		-serial "file:$log" \
		-kernel "$LAB_XEN" -append "$xen_cmd" \
		-initrd "$kernel $dom0_cmd,$LAB_INITRAMFS" \
		-virtfs "local,path=$share,mount_tag=lab,security_model=none,id=lab" \
		-virtfs "local,path=$LAB_OUT/root,mount_tag=root,security_model=none,readonly=on,id=root" \
		-nic none </dev/null >>"$log.qemu" 2>&1 &
	qpid=$!
	if [ "$live" = live ]; then
		tail -n +1 -f "$log" --pid="$qpid" >&"${LAB_LIVE_FD:-1}" &
		tpid=$!
	fi
	LAB_GUEST_OUTPUT_SECS=""
	while kill -0 "$qpid" 2>/dev/null; do
		sleep 1
		# Boot-to-guest-output: when a guest's console log (written by
		# xenconsoled into the share) first holds the guest's end mark.
		if [ -z "$LAB_GUEST_OUTPUT_SECS" ] &&
			grep -qs 'TT-GUEST-DONE' "$share"/console/guest-*.log; then
			LAB_GUEST_OUTPUT_SECS=$(($(date +%s) - t0))
		fi
		if [ -e "$share/status" ]; then
			# dom0 is powering off; give it a moment, then end QEMU.
			for _ in 1 2 3 4 5 6 7 8 9 10; do
				kill -0 "$qpid" 2>/dev/null || break
				sleep 1
			done
			kill "$qpid" 2>/dev/null || true
			break
		fi
		# Only Xen's own lines count: the scenario's output (guest
		# console logs included) is on the serial console too.
		if grep -q -E '^\(XEN\) (.*Panic on CPU|Hardware Dom0 crashed)' "$log" 2>/dev/null; then
			sleep 2
			reason="panic"
			kill "$qpid" 2>/dev/null || true
			break
		fi
	done
	wait "$qpid" 2>/dev/null || rc=$?
	if [ -n "$tpid" ]; then
		sleep 0.5
		kill "$tpid" 2>/dev/null || true
		wait "$tpid" 2>/dev/null || true
	fi
	now=$(date +%s)
	LAB_BOOT_SECS=$((now - t0))
	if [ -e "$share/status" ]; then
		return 0
	fi
	if [ -z "$reason" ]; then
		if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
			reason="timeout"
		else
			reason="qemu exited with code $rc (see $log.qemu)"
		fi
	fi
	case $reason in
	timeout)
		note "scenario $name hung: no result after ${LAB_TIMEOUT} s (LAB_TIMEOUT). Serial log: $log" ;;
	panic)
		note "scenario $name: Xen panicked or dom0 crashed. Serial log: $log" ;;
	*)
		note "scenario $name: $reason before dom0 wrote a result. Serial log: $log" ;;
	esac
	return 1
}

# lab_qemu_until NAME LOG PATTERN QEMU-ARGS...
#
# Run the lab's QEMU machine with QEMU-ARGS, its serial console in LOG,
# until a line matching PATTERN (grep -E) appears; then end QEMU. Returns 0
# when the line appeared, 1 (with one line saying why) on a hang (timeout,
# LAB_TIMEOUT), a panic, or QEMU exiting first. LAB_BOOT_SECS holds the
# seconds it took.
lab_qemu_until() {
	local name=$1 log=$2 pat=$3 qpid rc=0 t0 reason=""
	shift 3
	rm -f "$log"
	: >"$log"
	t0=$(date +%s)
	timeout --kill-after=5 "$LAB_TIMEOUT" qemu-system-x86_64 \
		-accel tcg -cpu "$LAB_CPU" -smp "$LAB_SMP" -m "$LAB_MEM" \
		-display none -monitor none -no-reboot -serial "file:$log" -nic none \
		"$@" </dev/null >"$log.qemu" 2>&1 &
	qpid=$!
	while kill -0 "$qpid" 2>/dev/null; do
		sleep 1
		if grep -q -E "$pat" "$log" 2>/dev/null; then
			reason=found
			break
		fi
		if grep -q -e 'Panic on CPU' -e 'Kernel panic - not syncing' "$log" 2>/dev/null; then
			sleep 2
			reason=panic
			break
		fi
	done
	kill "$qpid" 2>/dev/null || true
	wait "$qpid" 2>/dev/null || rc=$?
	LAB_BOOT_SECS=$(($(date +%s) - t0))
	# The line may have come with QEMU's own exit (poweroff).
	[ -z "$reason" ] && grep -q -E "$pat" "$log" 2>/dev/null && reason=found
	case $reason in
	found) return 0 ;;
	panic) note "$name: the kernel or Xen panicked. Serial log: $log" ;;
	*)
		if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
			note "$name hung: no '$pat' after ${LAB_TIMEOUT} s (LAB_TIMEOUT). Serial log: $log"
		else
			note "$name: QEMU ended (code $rc) before '$pat'. Serial log: $log (QEMU: $log.qemu)"
		fi
		;;
	esac
	return 1
}
