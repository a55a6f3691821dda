# sanitizers.sh - the unit tests and the interp engine under AddressSanitizer
# and UndefinedBehaviorSanitizer (chapter 9, "Reliability").
#
# build/asan/ is a second build of everything with -fsanitize=address,undefined
# (tests/reliability.mk): an out-of-bounds access, a use after free, a leak
# or undefined behaviour (a shift too far, a signed overflow) stops the
# program with a report, which fails the check. The trap engine is not run
# here: ASan reserves ranges in the low 4 GiB, where it maps the guest.
source "$(dirname "$0")/lib.sh"
ASAN=$BUILD/asan
export ASAN_OPTIONS=abort_on_error=0:detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1

# sanitizer_report FILE: the first line of a sanitizer report in FILE, if any.
sanitizer_report() {
    grep -m1 -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$1"
}

# Each unit test binary is one check: all its tests pass, no report. Then
# 8 workload checks, the report check and 3 misbehaving guests.
plan $(( $(ls "$BUILD"/tests/test_* | grep -vc '\.d$') + 12 ))
for t in "$BUILD"/tests/test_*; do
    name=$(basename "$t")
    case $name in *.d) continue ;; esac
    bin=$ASAN/tests/$name
    if [ ! -x "$bin" ]; then
        fail "asan: $name" "not built ($bin)"
        continue
    fi
    "$bin" >"$WORK/unit.log" 2>&1
    status=$?
    report=$(sanitizer_report "$WORK/unit.log")
    passed=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$WORK/unit.log" | tail -1)
    if [ -n "$report" ]; then
        fail "asan: $name" "$report"
    elif [ "$status" != 0 ]; then
        fail "asan: $name" "status $status: $(grep -m2 FAILED "$WORK/unit.log" | tr '\n' '|')"
    else
        pass "asan: $name (${passed:-0} tests)"
    fi
done

# The guest OS on the sanitized interp engine: every workload against the
# oracle and selftest against QEMU, as interp-workloads.sh does, plus a
# check that no sanitizer report appeared on stderr.
VMM=$ASAN/vmm
check_workloads "asan interp" interp
run_vmm interp "run=io n=40"
report=$(sanitizer_report "$WORK/err")
if [ -z "$report" ]; then pass "asan interp: no sanitizer report"
else fail "asan interp: no sanitizer report" "$report"; fi

# Misbehaving guests and bad input end cleanly under the sanitizers too.
for g in triple-fault wild-jump dead-halt; do
    timeout $((60 * TIMEOUT_SCALE)) "$VMM" run --engine interp "$BUILD/tests/guests/$g.elf" \
        </dev/null >"$WORK/out" 2>"$WORK/err"
    status=$?
    report=$(sanitizer_report "$WORK/err")
    if [ "$status" = 123 ] && [ -z "$report" ]; then pass "asan interp: $g stops cleanly (123)"
    else fail "asan interp: $g stops cleanly (123)" "status $status ${report}"; fi
done
