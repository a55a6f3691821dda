#!/bin/bash
# run-fuzz.sh SECONDS TARGET... - run each libFuzzer target for SECONDS over
# its committed seeds (tests/fuzz/corpus/TARGET, read only) and what earlier
# runs found (build/fuzz/corpus/TARGET), then print one line per target:
# executions, corpus size, crashes. A crash input is saved as
# build/fuzz/crashes/TARGET-crash-*; replay it with build/fuzz/fuzz-TARGET FILE.
# (chapter 9, "Reliability")
secs=$1
shift
status=0
mkdir -p build/fuzz/crashes
for t in "$@"; do
    mkdir -p "build/fuzz/corpus/$t"
    log=build/fuzz/$t.log
    # -close_fd_mask=2: the device models' own warnings would flood stderr.
    "build/fuzz/fuzz-$t" -max_total_time="$secs" -print_final_stats=1 -timeout=10 -close_fd_mask=2 \
        -rss_limit_mb=2048 -artifact_prefix="build/fuzz/crashes/$t-" \
        "build/fuzz/corpus/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    crashes=$(grep -c '^==[0-9]*==ERROR\|^SUMMARY: \|deadly signal\|Test unit written' "$log")
    echo "fuzz-$t: ${runs:-?} executions in ${secs}s, corpus $(ls "build/fuzz/corpus/$t" | wc -l) new files, status $rc"
    if [ "$rc" -ne 0 ]; then
        status=1
        grep -m3 'ERROR\|SUMMARY\|Test unit written' "$log"
    fi
done
exit $status
