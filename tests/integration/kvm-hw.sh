# kvm-hw.sh - the KVM checks that need hardware-assisted KVM (chapter 5):
# every script in tests/kvm-hw/ (the monitor and the gdb stub on kvm,
# lab 4 graded, the labs' KVM tests failing on the handouts that labs.sh
# kept: so it runs after labs.sh), run here where this host's KVM has VT-x
# or AMD-V, and
# otherwise in one boot of the nested machine of scripts/nested-kvm
# (QEMU's TCG emulating AMD SVM with NPT), together with kvm.sh, whose
# full-guest checks (workloads, selftest, shell, popf) then run there.
# A machine that cannot be built or booted: every check is SKIP with the
# reason, never passed. Lines from the nested machine say "[nested]".
source "$(dirname "$0")/lib.sh"
CHECKS=$(ls tests/kvm-hw/*.sh)

# Does this host's KVM have hardware assist? The engine says on its first
# line (kvm.sh tests that line).
assisted=no
if [ -e /dev/kvm ] && timeout $((60 * TIMEOUT_SCALE)) "$VMM" run --engine kvm \
        "$BUILD/tests/guests/hello.elf" </dev/null >/dev/null 2>"$WORK/err" &&
        grep -q "^vmm: kvm: MMU: " "$WORK/err" && ! grep -q "^vmm: kvm: MMU: none" "$WORK/err"; then
    assisted=yes
fi
# sum_plans FILE: the checks the scripts whose output is in FILE planned.
sum_plans() { sed -n 's/^plan: \([0-9]*\)$/\1/p' "$1" | awk '{ s += $1 } END { print s + 0 }'; }

if [ $assisted = yes ]; then
    for c in $CHECKS; do bash "$c"; done >"$WORK/direct" 2>&1
    plan "$(sum_plans "$WORK/direct")"
    grep -v '^plan: ' "$WORK/direct"
    exit 0
fi

# The nested machine: QEMU's selftest output goes in with it (no QEMU in
# there); one boot runs kvm.sh and every check.
mkdir -p "$BUILD/tests/kvm-hw"
run_qemu "run=selftest n=1"
cp "$WORK/out" "$BUILD/tests/kvm-hw/qemu-selftest"
start=$SECONDS
# Two CPUs in there: kvm.sh beside the other checks, their output in order.
scripts/nested-kvm --smp 2 --timeout $((600 * TIMEOUT_SCALE)) -- bash -c '
    export QEMU_SELFTEST=build/tests/kvm-hw/qemu-selftest TIMEOUT_SCALE=3
    timed() { local s=$SECONDS; bash "$1"; echo "note: ${1##*/} took $((SECONDS - s)) s in there"; }
    timed tests/integration/kvm.sh >/tmp/kvm.out 2>&1 &
    for c in "$@"; do timed "$c"; done >/tmp/checks.out 2>&1
    wait
    cat /tmp/kvm.out /tmp/checks.out' nested $CHECKS \
    >"$WORK/nested" 2>"$WORK/nested-err"
status=$?
# One plan for all: what the scripts in there planned, or one check when
# the machine did not get that far.
planned=$(sum_plans "$WORK/nested")
plan $((planned > 0 ? planned : 1))
sed -n -e 's/^\(PASS\|FAIL\|SKIP\): /\1: [nested] /p' -e '/^note: /p' "$WORK/nested"
if [ $status = 124 ] && grep -q "^nested-kvm: " "$WORK/nested-err"; then
    fail "[nested] the checks finish in time" "$(grep -m1 "^nested-kvm: " "$WORK/nested-err")"
elif grep -q "^nested-kvm: " "$WORK/nested-err"; then
    why=$(grep -m1 "^nested-kvm: " "$WORK/nested-err" | sed 's/^nested-kvm: //')
    skip "kvm with hardware assist (the full guest OS, the monitor, the gdb stub, lab 4)" \
         "no nested machine: $why"
elif [ $status != 0 ]; then
    fail "[nested] the checks ran to the end" "status $status: $(tail -3 "$WORK/nested" | tr '\n' '|')"
fi
echo "note: the nested machine took $((SECONDS - start)) s (booting included)"
