# labs.sh - prove the labs work (labs/README.md): for every lab n,
#   - its points add up to 100 and the full tree scores full marks;
#   - handout n builds with -Werror;
#   - every point-bearing test of lab n fails on handout n;
#   - every earlier lab still scores full marks on handout n;
#   - handout n with only the lab's files (files.txt) copied back from the
#     full tree scores full marks.
# Guest runs in this proof time out after GRADE_TIMEOUT_BASE (30 s here:
# a busy 2-core machine takes over 10 s for a forkwait on the interpreter).
source "$(dirname "$0")/lib.sh"
export GRADE_TIMEOUT_BASE=${GRADE_TIMEOUT_BASE:-30}
ROOT=$PWD
# Lab 6's report is checked against the bench run it was written from.
export RESULTS=$ROOT/tests/labs/lab6-results.json
rm -rf "$BUILD"/tests/kvm-hw/handout-lab*       # this run's handouts only

# full_marks LOG: the grade log ends with "Score: T/T" (T > 0).
full_marks() { grep -qE '^Score: ([1-9][0-9]*)/\1$' "$1"; }

# expect_full_marks NAME LOG: pass, fail, or skip where this host can run
# none of the lab's tests (grade.sh says "Score: none: ..." and why).
expect_full_marks() {
    if full_marks "$2"; then pass "$1"
    elif grep -q '^Score: none: ' "$2"; then skip "$1" "$(sed -n 's/^Score: none: //p' "$2")"
    else fail "$1" "$(grep -E 'FAIL|^Score' "$2" | tr '\n' '|')"; fi
}

# The plan: per lab 5 checks, one per test of its tests.conf, one per earlier lab.
checks=0 labs_seen=0
for dir in labs/lab[0-9]*-*/; do
    checks=$((checks + 5 + labs_seen + $(awk '$1 !~ /^#/ && NF' "$dir/tests.conf" | wc -l)))
    labs_seen=$((labs_seen + 1))
done
plan $checks

for dir in labs/lab[0-9]*-*/; do
    lab=$(basename "$dir" | sed 's/^lab\([0-9]*\)-.*/\1/')
    points=$(awk '!/^#/ && NF { s += $1 } END { print s }' "$dir/tests.conf")
    if [ "$points" = 100 ]; then pass "lab $lab: points add up to 100"
    else fail "lab $lab: points add up to 100" "they add up to $points"; fi

    labs/grade.sh "$lab" >"$WORK/full-$lab" 2>&1
    expect_full_marks "lab $lab: the full tree scores full marks" "$WORK/full-$lab"

    H=$BUILD/handout-lab$lab
    if ! labs/make-handout.sh "$lab" >"$WORK/handout-$lab" 2>&1; then
        fail "lab $lab: make handout" "$(tail -2 "$WORK/handout-$lab" | tr '\n' '|')"
        continue
    fi
    # The guest OS holds no lab code: reuse its build (same sources, same times).
    mkdir -p "$H/build"
    cp -a "$BUILD/guest-os" "$H/build/"
    cp -a "$BUILD/bench" "$H/build/" 2>/dev/null || true
    targets="all build/tests/workload-oracle $(cd "$H" && make -s -p -n 2>/dev/null |
             sed -n 's/^UNIT_TESTS := //p' | head -1 | tr ' ' '\n' | sed 's|^|build/tests/|' | tr '\n' ' ')"
    if (cd "$H" && make -s -j2 EXTRA_CFLAGS=-Werror $targets $(cd "$ROOT" && echo "$BUILD"/tests/guests/*.elf |
            sed "s|$BUILD/|build/|g")) >"$WORK/build-$lab" 2>&1; then
        pass "lab $lab: handout $lab builds with -Werror"
    else
        fail "lab $lab: handout $lab builds with -Werror" "$(grep -m3 -E 'error|Error' "$WORK/build-$lab" | tr '\n' '|')"
        continue
    fi

    (cd "$H" && labs/grade.sh "$lab") >"$WORK/stub-$lab" 2>&1
    while read -r line; do
        name=$(echo "$line" | sed -n 's/^== Test \([^ ]*\) == .*/\1/p')
        [ -n "$name" ] || continue
        case "$line" in
        *": FAIL "*) pass "lab $lab: $name fails on handout $lab" ;;
        *": EXCLUDED "*"KVM"*|*": EXCLUDED "*"/dev/kvm"*)
            # kvm-hw.sh proves it with this handout's VMM, in the nested
            # machine where this host has no hardware-assisted KVM.
            mkdir -p "$BUILD/tests/kvm-hw/handout-lab$lab"
            cp "$H/build/vmm" "$BUILD/tests/kvm-hw/handout-lab$lab/vmm"
            skip "lab $lab: $name fails on handout $lab" "needs KVM: kvm-hw.sh checks it (tests/kvm-hw/)" ;;
        *": EXCLUDED "*) skip "lab $lab: $name fails on handout $lab" "${line#*: EXCLUDED }" ;;
        *) fail "lab $lab: $name fails on handout $lab" "$line" ;;
        esac
    done <"$WORK/stub-$lab"

    # The first failure names the next task (labs/README.md): the lowest
    # task any failing test of the handout reports missing (task 1, unless
    # its tests cannot run on this host).
    first=$(grep -m1 '^    missing: ' "$WORK/stub-$lab" | sed -n 's/^[^L]*LAB [0-9]* task \([0-9]*\):.*/\1/p')
    lowest=$(sed -n 's/^    missing: [^L]*LAB [0-9]* task \([0-9]*\):.*/\1/p' "$WORK/stub-$lab" | sort -n | head -1)
    name="lab $lab: the first failure on handout $lab names the next task"
    if ! grep -q ': FAIL (' "$WORK/stub-$lab"; then
        skip "$name" "no test of lab $lab runs here"
    elif [ "$lab" = 6 ] && [ -z "$first" ]; then
        pass "$name (a report: no code stubs)"
    elif [ -n "$first" ] && [ "$first" = "$lowest" ]; then
        pass "$name (task $first)"
    else
        fail "$name" "first names task ${first:-none}, task $lowest is missing too"
    fi

    for earlier in $(seq 1 $((lab - 1))); do
        ls labs/lab"$earlier"-*/tests.conf >/dev/null 2>&1 || continue
        (cd "$H" && labs/grade.sh "$earlier") >"$WORK/earlier-$lab-$earlier" 2>&1
        expect_full_marks "lab $lab: lab $earlier still scores full marks on handout $lab" \
            "$WORK/earlier-$lab-$earlier"
    done

    while read -r f; do
        [ -n "$f" ] && cp "$f" "$H/$f"      # a new time: make rebuilds it
    done <"$dir/files.txt"
    (cd "$H" && make -s -j2 EXTRA_CFLAGS=-Werror $targets >/dev/null 2>&1 && labs/grade.sh "$lab") \
        >"$WORK/solved-$lab" 2>&1
    expect_full_marks "lab $lab: handout $lab with the lab's files copied back scores full marks" \
        "$WORK/solved-$lab"
    rm -rf "$H"
done
