# handouts.sh - the labs' KVM tests fail on their handouts (labs/README.md),
# proven where KVM is hardware-assisted. labs.sh keeps the VMM of each
# handout whose grading excluded tests for want of hardware assist in
# build/tests/kvm-hw/handout-labN/vmm; here lab N is graded with it: every
# test must fail. tests/integration/kvm-hw.sh runs this after labs.sh,
# directly or in the nested machine of scripts/nested-kvm.
source tests/integration/lib.sh

# is_kvm_test KIND ARGS: does this test of tests.conf run on the kvm engine?
is_kvm_test() {
    case "$*" in kvm-hw:*|"exit kvm "*|"workload kvm "*) return 0 ;; *) return 1 ;; esac
}

# The plan: every kvm test of every handout labs.sh left here.
checks=0
for dir in "$BUILD"/tests/kvm-hw/handout-lab*/; do
    [ -x "$dir/vmm" ] || continue
    lab=$(basename "$dir" | sed 's/^handout-lab//')
    while read -r points part name kind args; do
        case "$points" in ''|'#'*) continue ;; esac
        is_kvm_test "$kind" $args && checks=$((checks + 1))
    done <"$(ls labs/lab"$lab"-*/tests.conf)"
done
plan $checks

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
        case "$points" in ''|'#'*) continue ;; esac
        is_kvm_test "$kind" $args || continue
        line=$(grep "^== Test $name == " "$WORK/grade-$lab")
        case "$line" in
        *": FAIL "*) pass "lab $lab: $name fails on handout $lab" ;;
        *) fail "lab $lab: $name fails on handout $lab" "${line:-not graded}" ;;
        esac
    done <"$conf"
done
