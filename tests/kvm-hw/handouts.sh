# handouts.sh - the labs' KVM tests fail on their handouts (labs/README.md),
# proven where KVM is hardware-assisted. labs.sh keeps the VMM of each
# handout whose grading excluded tests for want of hardware assist in
# build/tests/kvm-hw/handout-labN/vmm; here lab N is graded with it: every
# test must fail. tests/integration/kvm-hw.sh runs this after labs.sh,
# directly or in the nested machine of scripts/nested-kvm.
source tests/integration/lib.sh

for dir in "$BUILD"/tests/kvm-hw/handout-lab*/; do
    [ -x "$dir/vmm" ] || continue
    lab=$(basename "$dir" | sed 's/^handout-lab//')
    # A build tree for the grader: the handout's VMM, the rest shared.
    B=$WORK/handout-$lab
    mkdir -p "$B/tests"
    cp "$dir/vmm" "$B/vmm"
    ln -s "$PWD/$BUILD/guest-os" "$B/guest-os"
    ln -s "$PWD/$BUILD/tests/workload-oracle" "$B/tests/workload-oracle"
    ln -s "$PWD/$BUILD/tests/guests" "$B/tests/guests"
    for t in "$BUILD"/tests/test_*; do ln -s "$PWD/$t" "$B/tests/"; done
    BUILD=$B GRADE_TIMEOUT_SCALE=${GRADE_TIMEOUT_SCALE:-3} labs/grade.sh "$lab" >"$WORK/grade-$lab" 2>&1
    conf=$(ls labs/lab"$lab"-*/tests.conf)
    while read -r points part name kind args; do
        case "$kind" in kvm-hw:*) ;; *) continue ;; esac
        line=$(grep "^== Test $name == " "$WORK/grade-$lab")
        case "$line" in
        *": FAIL "*) pass "lab $lab: $name fails on handout $lab" ;;
        *) fail "lab $lab: $name fails on handout $lab" "${line:-not graded}" ;;
        esac
    done <"$conf"
done
