# interp-workloads.sh - the guest OS on the interp engine (chapter 2): every
# workload against the oracle, selftest against QEMU, the shell, the popf
# demo, and determinism.
source "$(dirname "$0")/lib.sh"
plan 16

check_workloads interp interp
check_shell interp interp

run_vmm interp "run=popf n=200000"
expect_result "interp: popf clears IF at CPL 0, as on hardware" \
    "result: popf n=200000 if_before=1 if_after_popf=0 interrupts_while_masked=no" 0

# Determinism: the same run twice gives the same output and instruction count.
run_vmm interp "run=ctxsw n=200" /dev/null --stats=json:"$WORK/s1.json"
cp "$WORK/out" "$WORK/out1"
run_vmm interp "run=ctxsw n=200" /dev/null --stats=json:"$WORK/s2.json"
i1=$(grep -o '"instructions": [0-9]*' "$WORK/s1.json")
i2=$(grep -o '"instructions": [0-9]*' "$WORK/s2.json")
if [ -n "$i1" ] && [ "$i1" = "$i2" ] && cmp -s "$WORK/out" "$WORK/out1"; then
    pass "interp: two runs print the same and retire the same instructions ($i1)"
else
    fail "interp: two runs print the same and retire the same instructions" "'$i1' vs '$i2'"
fi
