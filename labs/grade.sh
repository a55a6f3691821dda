#!/bin/bash
# grade.sh - `make grade LAB=n`: run lab n's tests and score them
# (labs/README.md). Run from the root of a tree: the full one or a handout.
#
# Each lab lists its tests in labs/labN-*/tests.conf, one per line:
#     POINTS  PART  NAME  KIND  ARGS...
# KIND is one of
#     unit BINARY [FILTER]   build/tests/BINARY must pass (cmocka); with FILTER
#                            only its tests whose names match (TEST_FILTER)
#     workload ENGINE PROG   PROG n=NONCE on ENGINE: its result line must be the
#                            oracle's for that n (a fresh random n every run,
#                            so the output cannot be hard-coded)
#     exit ENGINE GUEST CODE PATTERN
#                            tests/guests/GUEST.elf on ENGINE: exit status CODE,
#                            and stderr or stdout matches PATTERN
#     script CMD...          CMD must exit 0
# A line whose KIND is prefixed "kvm-hw:" needs hardware-assisted KVM; on a
# host without it the test is excluded from the maximum, and said so; so is
# any test on the kvm engine where /dev/kvm is missing.
#
# A test on the trap engine needs a host kernel that runs 32-bit code; where
# the trap engine cannot start, such a test is excluded the same way.
#
# Prints "== Test NAME == NAME: OK (0.3s)" or FAIL with what was expected,
# what came and which lab pieces are still missing (in the order of the
# lab's tasks); a score per part; "Score: T/MAX". Each failing test's log
# stays in build/grade/labN/. Exits non-zero below full marks (3 when
# this host can run none of the lab's tests).
# GRADE_TIMEOUT_SCALE multiplies every time limit (GRADE_TIMEOUT_BASE,
# default 60 s, is the limit of one guest run).
#
# grade.sh LAB --only NAME[,NAME...] runs only the named tests (the lab
# mutation check, labs/mutants.sh, uses it).
set -u
LAB=${1:?usage: grade.sh LAB [--only NAME[,NAME...]]}
ONLY=""
if [ "${2:-}" = --only ]; then
    ONLY=",${3:?grade.sh: --only needs test names},"
fi
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

# trap_unavailable: why the trap engine cannot start here, or nothing.
trap_unavailable() {
    if [ -z "${TRAP_WHY+set}" ]; then
        TRAP_WHY=$("$VMM" run --engine trap --disk none "$BUILD/tests/guests/hello.elf" 2>&1 >/dev/null |
                   sed -n 's/^vmm: trap engine: \(.*\); use .*/\1/p' | head -1)
    fi
    [ -n "$TRAP_WHY" ]
}

# uses_engine ENGINE KIND ARGS...: does this test run the guest on ENGINE?
uses_engine() {
    local engine=$1
    shift
    case "$1" in
    workload|exit) [ "$2" = "$engine" ] ;;
    script) [[ " $* " == *" $engine "* ]] ;;
    *) return 1 ;;
    esac
}

# missing_pieces LOG: the lab pieces a stub reported, lowest task first
# ("LAB 2 task 1: ..." sorts before "LAB 2 task 3: ...").
missing_pieces() {
    sed -n 's/.*vmm: \(LAB [0-9][^:]*: .*\) is not written yet.*/\1/p' "$1" 2>/dev/null |
        sort -u -V | head -3 | sed 's/$/; /' | tr -d '\n' | sed 's/; $//'
}

# run_test KIND ARGS...: run one test with its log in $log; 0 when it passes.
# Sets $expected / $got for the report.
run_test() {
    local kind=$1
    shift
    expected="" got=""
    case "$kind" in
    unit)
        expected="every test of $1${2:+ matching $2} passes"
        TEST_FILTER=${2:-} timeout $((2 * BASE * SCALE)) "$BUILD/tests/$1" >"$log" 2>&1
        local rc=$?
        if grep -q '^\[=*\] Running 0 test' "$log"; then
            got="no test of $1 matches '${2:-}'"
            return 1
        fi
        # The failing tests' names, then the first line that says why (an
        # assertion, or the property test's replay line with its seed).
        got=$(sed -n 's/^\[  FAILED  \] \([a-z_0-9]*\)$/\1/p' "$log" | head -4 | tr '\n' ' ')
        local why
        why=$(grep -m1 -E 'SHADOW_SEED=|error: |[Ff]ailure|[Aa]ssert' "$log" | cut -c1-160)
        if [ -n "$got" ]; then got="failed: $got${why:+; $why}"
        elif [ $rc != 0 ]; then got="exit status $rc${why:+; $why}"; fi
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
        local rc=$?
        expected="$expected, exit status 0"
        got="$(tr -d '\r' <"$log" | grep '^result: ' | head -1)"
        got="${got:-no result line}, exit status $rc"
        [ "$got" = "$expected" ]
        ;;
    exit)
        local engine=$1 guest=$2 code=$3 pattern=$4
        expected="exit status $code and a line matching '$pattern'"
        timeout $((BASE * SCALE)) "$VMM" run --engine "$engine" "$BUILD/tests/guests/$guest.elf" \
            >"$log" 2>&1 </dev/null
        local rc=$?
        if [ "$rc" != "$code" ]; then
            got="exit status $rc ($(grep -m1 '^vmm: ' "$log" | cut -c1-120))"
            return 1
        fi
        if ! grep -q -- "$pattern" "$log"; then
            got="exit status $rc as expected, but no line matches '$pattern'"
            return 1
        fi
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

# add_why REASON: one more reason for excluded points, each said once.
add_why() {
    case "; $excluded_why; " in *"; $1; "*) ;; *) excluded_why="${excluded_why:+$excluded_why; }$1" ;; esac
}

set -f                                  # a test's words are not file patterns
declare -A part_got part_max
parts=()
score=0 max=0 excluded=0 excluded_why=""
while read -r points part name kind args; do
    case "$points" in ''|'#'*) continue ;; esac
    if [ -z "${part_max[$part]+x}" ]; then
        parts+=("$part")
        part_got[$part]=0
        part_max[$part]=0
    fi
    case "$ONLY" in ''|*",$name,"*) ;; *) continue ;; esac
    # shellcheck disable=SC2086
    if uses_engine trap "${kind#kvm-hw:}" $args && trap_unavailable; then
        echo "== Test $name == $name: EXCLUDED ($points points): needs the trap engine, which cannot run here: $TRAP_WHY"
        excluded=$((excluded + points))
        add_why "the trap engine cannot run on this host"
        continue
    fi
    # shellcheck disable=SC2086
    if uses_engine kvm "${kind#kvm-hw:}" $args && [ ! -c /dev/kvm ]; then
        echo "== Test $name == $name: EXCLUDED ($points points): needs /dev/kvm, which this host lacks"
        excluded=$((excluded + points))
        add_why "/dev/kvm is missing"
        continue
    fi
    if [[ "$kind" == kvm-hw:* ]]; then
        kind=${kind#kvm-hw:}
        if ! kvm_hw; then
            echo "== Test $name == $name: EXCLUDED ($points points): needs hardware-assisted KVM, which this host lacks"
            excluded=$((excluded + points))
            add_why "hardware-assisted KVM is missing"
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
        missing=$(missing_pieces "$log")
        [ -n "$missing" ] && echo "    missing:  $missing"
        echo "    log:      $log"
    fi
done <"$CONF"

for p in "${parts[@]}"; do
    echo "Part $p: ${part_got[$p]}/${part_max[$p]}"
done
[ $excluded -gt 0 ] && echo "Excluded: $excluded points ($excluded_why; not counted in the maximum)"
if [ "$max" = 0 ] && [ "$excluded" -gt 0 ]; then
    echo "Score: none: every test of lab $LAB is excluded on this host ($excluded_why)"
    exit 3
fi
echo "Score: $score/$max"
[ "$score" = "$max" ]
