#!/bin/bash
# selftest-on.sh ENGINE [VMM_ARGS...] - run the guest's selftest (every
# system call, the fault paths, and the disk unless --disk none) on ENGINE
# with a random number of rounds, and check that every check passed. Used by
# the lab grader (labs/*/tests.conf).
set -u
ENGINE=${1:?usage: selftest-on.sh ENGINE [VMM_ARGS...]}
shift
BUILD=${BUILD:-build}
n=$((RANDOM % 2 + 1))
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$BUILD/guest-os/disk.img" "$work/disk.img"
timeout "${SELFTEST_TIMEOUT:-120}" "$BUILD/vmm" run --engine "$ENGINE" --disk "$work/disk.img" \
    "$@" --cmdline "run=selftest n=$n" </dev/null >"$work/out" 2>&1
status=$?
tr -d '\r' <"$work/out"
tr -d '\r' <"$work/out" | grep -q "^result: selftest n=$n passed=[1-9][0-9]* failed=0$" &&
    [ "$status" = 0 ]
