#!/bin/bash
# check-report.sh CHECK REPORT - the lab 6 grader's checks of a report
# (labs/lab6-measurement/): they say whether it is complete, not whether
# it is right; a person reads it for that.
#   numbers   a results table: a row per operation, every cell a number
#             with its unit (or n/a where an engine was not timed)
#   engines   the table has a column for every engine that build/bench/
#             results.json (make bench or bench-quick) timed on this host
#             ($RESULTS names another: labs.sh proves the reference report
#             against tests/labs/lab6-results.json, the run it was written from)
#   sections  sections 1-5 each answered in at least 60 words, no placeholder
#   model     section 4 gives walk references for native, shadow and nested
#   anchors   section 5 names the published work it compares with
set -u
CHECK=${1:?usage: check-report.sh CHECK REPORT}
REPORT=${2:?usage: check-report.sh CHECK REPORT}
[ -r "$REPORT" ] || { echo "no report at $REPORT"; exit 1; }

section() {     # the text of section $1
    awk -v n="$1" '/^## / { on = ($2 == n".") } on' "$REPORT"
}

case "$CHECK" in
numbers)
    # Each operation's row: every cell after the name is a number with its
    # unit, or says the engine was not timed (n/a, -).
    rows=0
    for op in syscall pgfault ptemod cr3 forkwait ctxsw; do
        row=$(grep -m1 -E "^\| *$op *\|" "$REPORT") || { echo "no table row for $op"; exit 1; }
        bad=$(echo "$row" | awk -F'|' '{ for (i = 3; i < NF; i++) { c = $i; gsub(/^ +| +$/, "", c)
                  if (c !~ /^[0-9.]+ (ns|us|µs|ms|s)$/ && c != "n/a" && c != "-") print c } }')
        [ -z "$bad" ] || { echo "$op: cell '$(echo "$bad" | head -1)' is not a number with a unit"; exit 1; }
        rows=$((rows + 1))
    done
    echo "table rows with numbers and units: $rows"
    ;;
engines)
    RESULTS=${RESULTS:-build/bench/results.json}
    [ -r "$RESULTS" ] || { echo "no $RESULTS: run make bench-quick (or make bench) first"; exit 1; }
    timed=$(grep '"status": "ok"' "$RESULTS" | sed -n 's/^{"engine": "\([^"]*\)".*/\1/p' | sort -u)
    [ -n "$timed" ] || { echo "$RESULTS times no engine"; exit 1; }
    for e in $timed; do
        case "$e" in                    # the engine's name in the report's table
        native) continue ;;             # the baseline, not a column
        trap-vtlb) col=vtlb ;;
        trap-traced) col=traced ;;
        qemu-tcg) col=QEMU ;;
        *) col=$e ;;
        esac
        grep -qi "^|.*$col" "$REPORT" || { echo "results.json timed $e; the table has no column for it"; exit 1; }
    done
    echo "the table covers every timed engine: $(echo $timed)"
    ;;
sections)
    if grep -v '^<!--' "$REPORT" | grep -q '_your answer'; then echo "a placeholder is left"; exit 1; fi
    for n in 1 2 3 4 5; do
        words=$(section "$n" | wc -w)
        echo "section $n: $words words"
        [ "$words" -ge 60 ] || exit 1
    done
    ;;
model)
    s=$(section 4)
    for w in native shadow nested; do
        echo "$s" | grep -qi "$w" || { echo "section 4 does not mention $w"; exit 1; }
    done
    echo "$s" | grep -qE '[0-9]+ */ *[0-9]+ */ *[0-9]+' || { echo "section 4 gives no native/shadow/nested counts"; exit 1; }
    ;;
anchors)
    s=$(section 5)
    echo "$s" | grep -qi "adams" && echo "$s" | grep -qiE "ept|rvi" ||
        { echo "section 5 does not compare with Adams and Agesen and the EPT/RVI results"; exit 1; }
    ;;
*)
    echo "check-report: unknown check $CHECK"; exit 2 ;;
esac
