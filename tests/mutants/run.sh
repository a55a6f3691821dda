#!/bin/bash
# run.sh - the mutant suite (chapter 9, "Tests that can fail"): plant each
# bug of tests/mutants/mutants.txt, one at a time, in a scratch copy of the
# tree (build/mutants/tree), build, run only the tests the mutant names, and
# check that they fail. A test that still passes with the bug in place tests
# nothing there.
#
# Usage: tests/mutants/run.sh [ID...]     (default: every mutant)
#        MUTANTS_LIST=FILE picks another list.
#
# Each mutant is one line of the list (see its header): ID FILE TESTS SED.
# Before any mutant, each named test runs once on the unchanged copy. A unit
# test that fails there, or a script none of whose checks pass there
# (kvm.sh without usable KVM), cannot judge a mutant: a mutant with no test
# left to judge it is "not run here", listed but not counted as caught. A
# script's checks that already fail unchanged do not count: a mutant is
# caught by a failure, exit status or missing check the baseline did not
# have. A mutant whose sed changes nothing, or that does not build, is an
# error of the list (the compiler is no test): it fails the run.
#
# Prints one line per mutant and a summary "N caught, N survived, N not run
# here, N broken in T s"; exits non-zero if any survived or is broken.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
LIST=${MUTANTS_LIST:-tests/mutants/mutants.txt}
SCRATCH=$ROOT/build/mutants
TREE=$SCRATCH/tree
LOGS=$SCRATCH/logs
start=$SECONDS

# ---- the list ---------------------------------------------------------------
declare -a ids files tests seds
while read -r id file tlist sed; do
    case "$id" in ''|'#'*) continue ;; esac
    if [ -z "$sed" ]; then
        echo "mutants: $LIST: '$id' needs four fields: ID FILE TESTS SED" >&2
        exit 2
    fi
    case ",$tlist," in *,int:book.sh,*)
        echo "mutants: $id: book.sh checks quoted text, not behaviour; name a test" >&2
        exit 2 ;;
    esac
    ids+=("$id") files+=("$file") tests+=("$tlist") seds+=("$sed")
done <"$LIST"

want=("$@")
selected=()
for i in "${!ids[@]}"; do
    if [ ${#want[@]} = 0 ] || [[ " ${want[*]} " == *" ${ids[$i]} "* ]]; then
        selected+=("$i")
    fi
done
if [ ${#selected[@]} = 0 ]; then
    echo "mutants: no mutant matches: ${want[*]}" >&2
    exit 2
fi

# ---- the scratch copy ---------------------------------------------------------
# The sources the checkout has (tracked and new, not ignored) and the build
# so far, with their times, so that make rebuilds only what a mutant touches.
if ! git rev-parse --git-dir >/dev/null 2>&1; then
    echo "mutants: needs a git checkout (git ls-files says what to copy)" >&2
    exit 2
fi
rm -rf "$TREE" "$LOGS"
mkdir -p "$TREE" "$LOGS"
git ls-files -z --cached --others --exclude-standard |
    tar --null -T - -cf - 2>/dev/null | tar -xf - -C "$TREE" || exit 2
tar -cf - --exclude=build/mutants --exclude=build/asan --exclude=build/fuzz \
    --exclude='build/handout-*' --exclude=build/test-logs build | tar -xf - -C "$TREE" || exit 2

# build TARGETS...: make in the copy; output in $LOGS/build.log.
build() {
    (cd "$TREE" && make -s -j2 "$@") >"$LOGS/build.log" 2>&1
}

# targets_for TESTS: what make must build before they run.
targets_for() {
    local t out=""
    for t in ${1//,/ }; do
        case $t in
        unit:*) out="$out build/tests/${t#unit:}" ;;
        int:*)  out="$out integration-prereqs" ;;
        esac
    done
    echo "$out"
}

# run_test TEST LOG: run it in the copy; LOG.bad gets what went wrong, one
# line each: its FAIL lines, a non-zero exit, a plan it fell short of.
# Returns 0 when it ran at least one check that passed (or, for a unit
# test, when it exited 0), else 1.
run_test() {
    local t=$1 log=$2 status
    : >"$log.bad"
    case $t in
    unit:*)
        (cd "$TREE" && timeout 600 "build/tests/${t#unit:}") >"$log" 2>&1
        status=$?
        [ "$status" = 0 ] && return 0
        { grep '^\[  FAILED  \] \|^\[  ERROR   \] ' "$log"; echo "EXIT: status $status"; } >"$log.bad"
        return 1 ;;
    int:*)
        (cd "$TREE" && timeout 900 bash "tests/integration/${t#int:}") >"$log" 2>&1
        status=$?
        local p f s planned
        p=$(grep -c '^PASS: ' "$log") f=$(grep -c '^FAIL: ' "$log") s=$(grep -c '^SKIP: ' "$log")
        planned=$(sed -n 's/^plan: \([0-9][0-9]*\)$/\1/p' "$log" | head -1)
        {   # scratch paths differ from run to run: not a difference
            grep '^FAIL: ' "$log" | sed -E 's#/vmm-test\.[A-Za-z0-9]+#/vmm-test.X#g'
            [ "$status" = 0 ] || echo "EXIT: status $status"
            if [ -z "$planned" ]; then echo "PLAN: none declared"
            elif [ $((p + f + s)) -lt "$planned" ]; then echo "PLAN: $((p + f + s)) of $planned checks"; fi
        } >"$log.bad"
        [ "$p" -gt 0 ] ;;
    *)
        echo "PLAN: unknown test kind '$t' (unit:NAME or int:SCRIPT.sh)" >"$log.bad"
        return 1 ;;
    esac
}

# ---- the baseline: every named test on the unchanged copy ----------------------
# A unit test must pass. An integration script must pass at least one check;
# its failures here (the trap engine where it cannot run, say) are noted,
# and only a failure it did not have counts against a mutant.
declare -A usable
needed=""
for i in "${selected[@]}"; do needed="$needed ${tests[$i]//,/ }"; done
needed=$(echo "$needed" | tr ' ' '\n' | sort -u | tr '\n' ' ')
echo "mutants: ${#selected[@]} mutants; baseline of their tests:$needed"
if ! build $(targets_for "${needed// /,}"); then
    echo "mutants: the unchanged tree does not build:" >&2
    tail -5 "$LOGS/build.log" >&2
    exit 2
fi
for t in $needed; do
    base=$LOGS/baseline-${t#*:}.log
    if run_test "$t" "$base" && { [ "${t%%:*}" = int ] || [ ! -s "$base.bad" ]; }; then
        usable[$t]=yes
        [ -s "$base.bad" ] && echo "  baseline: $t: $(wc -l <"$base.bad") checks fail unchanged; only new failures count"
    else
        usable[$t]=no
        why=$(head -1 "$base.bad")
        echo "  baseline: $t judges nothing here: ${why:-no check passed (all skipped)}"
    fi
done

# ---- the mutants ----------------------------------------------------------------
caught=0 survived=0 notrun=0 broken=0
survivors="" broken_ids=""
for i in "${selected[@]}"; do
    id=${ids[$i]} file=${files[$i]} tlist=${tests[$i]} expr=${seds[$i]}
    judges=""
    for t in ${tlist//,/ }; do
        [ "${usable[$t]}" = yes ] && judges="$judges $t"
    done
    if [ -z "$judges" ]; then
        echo "NOT RUN  $id: none of $tlist passes here unchanged"
        notrun=$((notrun + 1))
        continue
    fi
    if [ ! -f "$TREE/$file" ]; then
        echo "BROKEN   $id: no file $file (moved? update the list)"
        broken=$((broken + 1)) broken_ids="$broken_ids $id"
        continue
    fi
    cp -p "$TREE/$file" "$SCRATCH/original"
    sed -i -e "$expr" "$TREE/$file"
    verdict=""
    if cmp -s "$TREE/$file" "$SCRATCH/original"; then
        verdict="BROKEN   $id: the sed changes nothing in $file (update the list)"
    elif ! build $(targets_for "$judges"); then
        cp "$LOGS/build.log" "$LOGS/$id.build.log"
        verdict="BROKEN   $id: does not build (build/mutants/logs/$id.build.log)"
    else
        for t in $judges; do
            log=$LOGS/$id.${t#*:}.log
            run_test "$t" "$log"
            new=$(grep -vxF -f "$LOGS/baseline-${t#*:}.log.bad" "$log.bad" | head -1)
            if [ -n "$new" ]; then
                verdict="CAUGHT   $id by $t: ${new:0:110}"
                break
            fi
        done
        [ -n "$verdict" ] || verdict="SURVIVED $id: $judges still pass with the bug in $file"
    fi
    cp "$SCRATCH/original" "$TREE/$file"
    touch "$TREE/$file"             # newer than the mutant's objects: rebuilt next time
    echo "$verdict"
    case $verdict in
    CAUGHT*)   caught=$((caught + 1)) ;;
    SURVIVED*) survived=$((survived + 1)) survivors="$survivors $id" ;;
    BROKEN*)   broken=$((broken + 1)) broken_ids="$broken_ids $id" ;;
    esac
done

echo "$caught caught, $survived survived, $notrun not run here, $broken broken in $((SECONDS - start)) s"
[ -n "$survivors" ] && echo "survived:$survivors"
[ -n "$broken_ids" ] && echo "broken:$broken_ids"
[ "$survived" = 0 ] && [ "$broken" = 0 ]
