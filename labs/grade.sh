#!/bin/bash
# grade.sh - `make grade LAB=n`: run lab n's tests and score them
# (labs/README.md). Run from the root of a tree: the full one or a handout.
#
# Each lab lists its tests in labs/labN-*/tests.conf, one per line:
#     POINTS  PART  NAME  KIND  ARGS...
# KIND is one of
#     unit BINARY            build/tests/BINARY must pass (cmocka)
#     workload ENGINE PROG   PROG n=NONCE on ENGINE: its result line must be the
#                            oracle's for that n (a fresh random n every run,
#                            so the output cannot be hard-coded)
#     exit ENGINE GUEST CODE PATTERN
#                            tests/guests/GUEST.elf on ENGINE: exit status CODE,
#                            and stderr or stdout matches PATTERN
#     script CMD...          CMD must exit 0
# A line whose KIND is prefixed "kvm-hw:" needs hardware-assisted KVM; on a
# host without it the test is excluded from the maximum, and said so.
#
# Prints "== Test NAME == NAME: OK (0.3s)" or FAIL with what was expected,
# what came and what was missing; a score per part; "Score: T/MAX". Each
# failing test's log stays in build/grade/labN/. Exits non-zero below full
# marks. GRADE_TIMEOUT_SCALE multiplies every time limit (GRADE_TIMEOUT_BASE,
# default 60 s, is the limit of one guest run).
set -u
LAB=${1:?usage: grade.sh LAB}
BUILD=${BUILD:-build}
SCALE=${GRADE_TIMEOUT_SCALE:-1}
BASE=${GRADE_TIMEOUT_BASE:-60}
export SELFTEST_TIMEOUT=$((BASE * SCALE))
CONF=$(ls labs/lab"$LAB"-*/tests.conf 2>/dev/null | head -1)
if [ -z "$CONF" ]; then
    echo "grade: no lab $LAB (labs/lab$LAB-*/tests.conf)" >&2
    exit 2
fi
LOGS=$BUILD/grade/lab$LAB
rm -rf "$LOGS"
mkdir -p "$LOGS"
ORACLE=$BUILD/tests/workload-oracle
VMM=$BUILD/vmm

kvm_hw() { grep -qE '\b(vmx|svm)\b' /proc/cpuinfo && [ -r /dev/kvm ]; }

# run_test KIND ARGS...: run one test with its log in $log; 0 when it passes.
# Sets $expected / $got for the report.
run_test() {
    local kind=$1
    shift
    expected="" got=""
    case "$kind" in
    unit)
        expected="every test of $1 passes"
        timeout $((2 * BASE * SCALE)) "$BUILD/tests/$1" >"$log" 2>&1
        local rc=$?
        got=$(grep -E '^\[  (FAILED|PASSED) ' "$log" | head -3 | tr '\n' ' ')
        [ -n "$got" ] || got="exit status $rc"
        return $rc
        ;;
    workload)
        local engine=$1 prog=$2
        shift 2
        local n=$((RANDOM % 500 + 100))
        [ "$prog" = compute ] && n=$((RANDOM * 7 + 5000))
        expected=$("$ORACLE" "$prog" "$n")
        cp "$BUILD/guest-os/disk.img" "$LOGS/disk.img"
        timeout $((BASE * SCALE)) "$VMM" run --engine "$engine" --disk "$LOGS/disk.img" \
            --cmdline "run=$prog n=$n" "$@" >"$log" 2>&1 </dev/null
        got=$(tr -d '\r' <"$log" | grep '^result: ' | head -1)
        [ "$got" = "$expected" ]
        ;;
    exit)
        local engine=$1 guest=$2 code=$3 pattern=$4
        expected="exit status $code and a line matching '$pattern'"
        timeout $((BASE * SCALE)) "$VMM" run --engine "$engine" "$BUILD/tests/guests/$guest.elf" \
            >"$log" 2>&1 </dev/null
        local rc=$?
        got="exit status $rc"
        [ "$rc" = "$code" ] && grep -q -- "$pattern" "$log"
        ;;
    script)
        expected="'$*' succeeds"
        timeout $((3 * BASE * SCALE)) "$@" >"$log" 2>&1 </dev/null
        local rc=$?
        got="exit status $rc: $(tail -2 "$log" | tr '\n' ' ')"
        return $rc
        ;;
    *)
        echo "grade: $CONF: unknown test kind '$kind'" >&2
        return 2
        ;;
    esac
}

declare -A part_got part_max
parts=()
score=0 max=0 excluded=0
while read -r points part name kind args; do
    case "$points" in ''|'#'*) continue ;; esac
    if [ -z "${part_max[$part]+x}" ]; then
        parts+=("$part")
        part_got[$part]=0
        part_max[$part]=0
    fi
    if [[ "$kind" == kvm-hw:* ]]; then
        kind=${kind#kvm-hw:}
        if ! kvm_hw; then
            echo "== Test $name == $name: EXCLUDED ($points points): needs hardware-assisted KVM, which this host lacks"
            excluded=$((excluded + points))
            continue
        fi
    fi
    log=$LOGS/$name.log
    start=$(date +%s.%N)
    # shellcheck disable=SC2086
    run_test "$kind" $args
    rc=$?
    secs=$(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc -l)")
    part_max[$part]=$((part_max[$part] + points))
    max=$((max + points))
    if [ $rc = 0 ]; then
        echo "== Test $name == $name: OK (${secs}s)"
        part_got[$part]=$((part_got[$part] + points))
        score=$((score + points))
        rm -f "$log"
    else
        echo "== Test $name == $name: FAIL (${secs}s)"
        echo "    expected: $expected"
        echo "    got:      ${got:-nothing}"
        missing=$(grep -o 'LAB [0-9]*: [^)]*' "$log" 2>/dev/null | sort -u | head -3 | tr '\n' ';')
        [ -n "$missing" ] && echo "    missing:  $missing"
        echo "    log:      $log"
    fi
done <"$CONF"

for p in "${parts[@]}"; do
    echo "Part $p: ${part_got[$p]}/${part_max[$p]}"
done
[ $excluded -gt 0 ] && echo "Excluded: $excluded points need hardware-assisted KVM (not counted in the maximum)"
echo "Score: $score/$max"
[ "$score" = "$max" ]
