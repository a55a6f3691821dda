# fuzz-smoke.sh - a short run of every libFuzzer target over its committed
# corpus (chapter 9, "Reliability"). The corpus holds the seeds and every
# input that once crashed a target, so each past bug is replayed here; then
# a few thousand mutations (a fixed seed, so the run is the same each time).
# `make fuzz` is the long run. Needs clang with libFuzzer (scripts/install-deps
# installs it); without it the checks are skipped, with the reason.
source "$(dirname "$0")/lib.sh"
plan 5      # one per target
TARGETS="x86 loader virtio-blk gdb-packet monitor-parse"
RUNS=${FUZZ_SMOKE_RUNS:-2000}

if ! command -v clang >/dev/null 2>&1; then
    for t in $TARGETS; do skip "fuzz $t" "clang is not installed (scripts/install-deps installs it)"; done
    exit 0
fi
# Build here, not as a prerequisite of `make test`: a machine without clang
# still runs every other test. MAKEFLAGS is cleared: this is not a sub-make.
if ! MAKEFLAGS= make --no-print-directory -s -j2 fuzz-build >"$WORK/build.log" 2>&1; then
    if grep -q "fuzzer" "$WORK/build.log" && grep -qi "cannot find\|not found\|no such file" "$WORK/build.log"; then
        for t in $TARGETS; do skip "fuzz $t" "libFuzzer is missing (package libclang-rt-14-dev)"; done
    else
        fail "fuzz targets build" "$(grep -m3 -i 'error' "$WORK/build.log" | tr '\n' '|')"
    fi
    exit 0
fi

for t in $TARGETS; do
    corpus=tests/fuzz/corpus/$t
    mkdir -p "$WORK/new-$t"
    # New inputs go to a scratch directory: the committed corpus stays as it is.
    "$BUILD/fuzz/fuzz-$t" -runs="$RUNS" -seed=1 -timeout=10 -close_fd_mask=2 \
        -artifact_prefix="$WORK/$t-" "$WORK/new-$t" "$corpus" >"$WORK/$t.log" 2>&1
    status=$?
    files=$(ls "$corpus" | wc -l)
    if [ "$status" = 0 ] && grep -q "^Done $RUNS runs" "$WORK/$t.log"; then
        pass "fuzz $t: $files corpus inputs replayed, $RUNS runs, no crash"
    else
        fail "fuzz $t" "status $status: $(grep -m2 -E 'ERROR|SUMMARY|runtime error|deadly' "$WORK/$t.log" | tr '\n' '|')"
    fi
done
