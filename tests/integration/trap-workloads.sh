# trap-workloads.sh - the guest OS on the trap engine (chapters 3-4), in both
# shadow modes: every workload against the oracle, selftest against QEMU, the
# shell, and the popf demo showing the hole it is about. The trap engine
# needs x86-64 Linux; anywhere else these checks are skipped, not passed.
source "$(dirname "$0")/lib.sh"

if [ "$(uname -m)" != x86_64 ] || [ "$(uname -s)" != Linux ]; then
    plan 1
    skip "trap engine" "needs an x86-64 Linux host"
    exit 0
fi
why=$(trap_unsupported)
if [ -n "$why" ]; then
    plan 1
    skip "trap engine" "$why"
    exit 0
fi

plan 24
for mode in traced vtlb; do
    check_workloads "trap/$mode" trap --shadow "$mode"
done
check_shell "trap/traced" trap --shadow traced

run_vmm trap "run=popf" /dev/null
expect_result "trap: popf's IF change is lost when de-privileged (the Popek-Goldberg hole)" \
    "result: popf n=100000000 if_before=1 if_after_popf=1 interrupts_while_masked=yes" 0

# cpuid is not privileged. Where the host offers CPUID faulting the trap
# engine makes it trap and answers with the virtual CPU (as the interpreter
# does); elsewhere the guest sees the host's CPU: the hole is reported, not
# hidden.
want=$("$VMM" run --engine interp "$BUILD/tests/guests/cpuid.elf" 2>/dev/null | tr -d '\r')
got=$("$VMM" run --engine trap --stats "$BUILD/tests/guests/cpuid.elf" 2>"$WORK/err" | tr -d '\r')
if grep -q "cpuid: traps" "$WORK/err"; then
    if [ "$got" = "$want" ]; then pass "trap: cpuid traps (CPUID faulting) and shows the virtual CPU"
    else fail "trap: cpuid traps (CPUID faulting) and shows the virtual CPU" "interp '$want', trap '$got'"; fi
else
    skip "trap: cpuid traps" "this host has no CPUID faulting: the guest sees the host CPU ($got)"
fi
