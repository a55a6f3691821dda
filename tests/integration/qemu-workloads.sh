# qemu-workloads.sh - every workload of the guest OS on the reference PC
# (QEMU), its result line checked against the host-side oracle (chapter 1).
source "$(dirname "$0")/lib.sh"
plan 12

for spec in "compute 20000" "syscall 3000" "forkwait 50" "memtouch 300" \
            "ctxsw 300" "pgtable 100" "io 40"; do
    set -- $spec
    run_qemu "run=$1 n=$2"
    expect_result "qemu: $1 n=$2" "$($ORACLE "$1" "$2")" "$(qemu_status 0)"
done

run_qemu "run=popf n=2000000"
expect_result "qemu: popf clears IF at CPL 0" \
    "result: popf n=2000000 if_before=1 if_after_popf=0 interrupts_while_masked=no" "$(qemu_status 0)"

run_qemu "run=selftest n=2"
got=$(result_line)
# Every check of selftest passed, and there were some: passed=0 means it ran none.
case "$got" in
    "result: selftest n=2 passed=0 failed=0") fail "qemu: selftest" "it ran no checks: '$got'" ;;
    "result: selftest n=2 passed="[0-9]*" failed=0") expect_result "qemu: selftest" "$got" "$(qemu_status 0)" ;;
    *) fail "qemu: selftest" "got '${got:-nothing}'" ;;
esac
expect_output "qemu: selftest kills a faulting child with a message" \
    "^pid [0-9]* (selftest): page fault (trap 14) at eip 0x[0-9a-f]* address 0x1000, killed$"
expect_output "qemu: selftest kills a dividing-by-zero child" "divide error (trap 0)"

run_qemu "run=no-such-program"
if [ "$status" = "$(qemu_status 100)" ] && grep -q "^panic: cannot run 'no-such-program'" "$WORK/out"; then
    pass "qemu: a missing init program panics with code 100"
else
    fail "qemu: a missing init program panics with code 100" "status $status, output $(tr '\n' '|' <"$WORK/out")"
fi
