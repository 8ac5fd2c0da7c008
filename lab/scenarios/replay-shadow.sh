# lab-timeout: 2700
# lab-icount: 1
# Scenario "replay-shadow" (runs in the lab's dom0): replay-suite's six
# record/replay pairs with the guest on shadow paging (hap=0), where Xen's
# shadow code, not the CPU's nested paging, takes the guest's page faults
# (each shadow fill is an exit Xen must tell apart from a guest #PF).
. ./dom0-lib.sh

# make check runs the three pairs replay-suite leaves out (LAB_SUITE=full in
# replay-suite.conf: all six).
pairs="shell:suite-shell fork:suite-fork spin:spin"
[ -f replay-suite.conf ] && . ./replay-suite.conf
[ "${LAB_SUITE:-}" = full ] && pairs="shell:suite-shell cpu:bench-cpu sleep:bench-idle input:ttio:hello-replay fork:suite-fork spin:spin"
lab_suite shadow $pairs
lab_done
