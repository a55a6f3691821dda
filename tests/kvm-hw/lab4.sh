# lab4.sh - lab 4 (the KVM run loop) graded where KVM is hardware-assisted,
# so its kvm-hw: tests count: every test OK and full marks, nothing
# excluded. tests/integration/kvm-hw.sh runs it directly or in the nested
# machine of scripts/nested-kvm; labs.sh proves the rest of the labs.
source tests/integration/lib.sh
plan $(( $(awk '!/^#/ && NF' labs/lab4-*/tests.conf | wc -l) + 1 ))     # each test, then the score

GRADE_TIMEOUT_SCALE=${GRADE_TIMEOUT_SCALE:-3} labs/grade.sh 4 >"$WORK/grade" 2>&1
while read -r line; do
    name=$(echo "$line" | sed -n 's/^== Test \([^ ]*\) == .*/\1/p')
    [ -n "$name" ] || continue
    case "$line" in
    *": OK "*) pass "lab 4 graded: $name" ;;
    *) fail "lab 4 graded: $name" "$line $(grep -A3 "== Test $name ==" "$WORK/grade" | tail -3 | tr '\n' '|')" ;;
    esac
done <"$WORK/grade"
if grep -q '^Score: 100/100$' "$WORK/grade" && ! grep -q EXCLUDED "$WORK/grade"; then
    pass "lab 4 graded: full marks, 100/100, nothing excluded"
else
    fail "lab 4 graded: full marks, 100/100, nothing excluded" "$(head -c 600 "$WORK/grade" | tr '\n' '|')"
fi
