# lab-mutants.sh - the labs' tests can fail (labs/README.md, "Mutants").
#
# Each lab keeps, in labs/labN-*/mutants.txt, plausible wrong solutions: a
# student's typical mistakes, written as sed expressions over the solution.
# For each one this script applies it in a scratch copy of the tree, builds
# what the named tests need, and runs those tests through the grader
# (grade.sh --only): the mutant must lose points there. A mutant that keeps
# full marks fails the check; so does one that no longer applies (the code
# moved on: update its line). Where this host cannot run a mutant's tests
# (no trap engine, no hardware KVM) the check reports SKIP with the reason.
#
# mutants.txt, one mutant per line after a comment that says what it breaks:
#     NAME  FILE  TEST[,TEST...]  SED-EXPRESSION
source "$(dirname "$0")/lib.sh"
ROOT=$PWD
export RESULTS=$ROOT/tests/labs/lab6-results.json     # lab 6's report: as in labs.sh
T=$WORK/tree                            # the scratch tree, reused by every mutant

# in_labs CONF: is this lab among $LABS (all labs when LABS is empty)?
in_labs() {
    local lab
    lab=$(basename "$(dirname "$1")" | sed 's/^lab\([0-9]*\)-.*/\1/')
    [ -z "${LABS:-}" ] || [[ " $LABS " == *" $lab "* ]]
}

# The plan: one check per mutant of the labs chosen.
checks=0
for conf in labs/lab[0-9]*-*/mutants.txt; do
    in_labs "$conf" && checks=$((checks + $(grep -cvE '^[[:space:]]*(#|$)' "$conf")))
done
plan $checks

git ls-files --cached --others --exclude-standard | grep -v "^$BUILD/" | while read -r f; do
    [ -e "$f" ] && mkdir -p "$T/$(dirname "$f")" && cp -p "$f" "$T/$f"
done
mkdir -p "$T/$BUILD"
for part in host tests guest-os bench vmm libvmm.a .deps-ok; do     # keep the objects: -a keeps times
    [ -e "$BUILD/$part" ] && cp -a "$BUILD/$part" "$T/$BUILD/"
done

for conf in labs/lab[0-9]*-*/mutants.txt; do
    in_labs "$conf" || continue
    lab=$(basename "$(dirname "$conf")" | sed 's/^lab\([0-9]*\)-.*/\1/')
    tests_conf=$(dirname "$conf")/tests.conf
    while read -r name file tests expr; do
        case "$name" in ''|'#'*) continue ;; esac
        label="lab $lab mutant $name ($file) loses points in $tests"
        cp -p "$T/$file" "$WORK/original"
        sed -i -e "$expr" "$T/$file"
        if cmp -s "$T/$file" "$WORK/original"; then
            fail "$label" "the sed expression no longer changes $file: update $conf"
            continue
        fi
        # Build only what the named tests run: their unit binaries, or the VMM.
        targets=$(awk -v list=",$tests," '!/^#/ && index(list, "," $3 ",") {
                      print ($4 == "unit") ? "build/tests/" $5 : "build/vmm" }' "$tests_conf" | sort -u)
        # shellcheck disable=SC2086
        if ! (cd "$T" && make -s -j2 $targets) >"$WORK/build.log" 2>&1; then
            fail "$label" "the mutant does not build: $(grep -m2 -E 'error' "$WORK/build.log" | tr '\n' '|')"
        else
            (cd "$T" && GRADE_TIMEOUT_BASE=${GRADE_TIMEOUT_BASE:-30} labs/grade.sh "$lab" --only "$tests") \
                >"$WORK/grade.log" 2>&1
            if grep -q ': FAIL (' "$WORK/grade.log"; then
                pass "$label"
            elif ! grep -q ': OK (' "$WORK/grade.log" && grep -q ': EXCLUDED (' "$WORK/grade.log"; then
                skip "$label" "$(sed -n 's/.*: EXCLUDED ([0-9]* points): //p' "$WORK/grade.log" | head -1)"
            else
                fail "$label" "it keeps full marks: $(grep -E '^== Test|^Score' "$WORK/grade.log" | tr '\n' '|')"
            fi
        fi
        cp "$WORK/original" "$T/$file"          # a new time: the next build recompiles it
        touch "$T/$file"
    done <"$conf"
done
cd "$ROOT"
