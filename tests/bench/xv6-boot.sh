#!/bin/bash
# xv6-boot.sh - `make bench-xv6` (and part of `make bench`): MIT's xv6 from
# power-on to its shell prompt on each engine beside QEMU's TCG (chapter 6,
# "What an MP kernel expects of a PC"); with USERTESTS=1 also the time of
# xv6's usertests. Times are wall-clock seconds to the first "$ " (and from
# typing "usertests" to its next prompt), best of REPEAT runs; an engine that
# cannot run xv6 on this host is listed with the reason. Needs the images
# in ../shared/xv6 or build/xv6 (scripts/get-xv6). Writes $OUT/xv6.md.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

XV6=
for d in ../shared/xv6 "$BUILD/xv6"; do
    if [ -f "$d/kernel" ] && [ -f "$d/fs.img" ]; then XV6=$d; break; fi
done
if [ -z "$XV6" ]; then
    echo "bench-xv6: no xv6 images in ../shared/xv6 or $BUILD/xv6 (scripts/get-xv6); skipped"
    exit 0
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/xv6-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
LIMIT=${LIMIT:-600}                     # seconds to wait for a prompt

prompts() { grep -o '\$ ' "$1" 2>/dev/null | wc -l; }

# timed_session CMD...: run CMD (stdin a FIFO); print "BOOT USERTESTS"
# seconds, USERTESTS "-" unless USERTESTS=1; "-" for a prompt that never came.
timed_session() {
    cp "$XV6/fs.img" "$TMP/fs.img"
    rm -f "$TMP/in" "$TMP/out"
    mkfifo "$TMP/in"
    "$@" <"$TMP/in" >"$TMP/out" 2>/dev/null &
    local pid=$! t0 boot=- tests=- t1
    exec 3>"$TMP/in"
    t0=$(now)
    while [ "$(prompts "$TMP/out")" -lt 1 ] && kill -0 $pid 2>/dev/null &&
          [ "$(echo "$(now) - $t0 < $LIMIT" | bc -l)" = 1 ]; do sleep 0.05; done
    if [ "$(prompts "$TMP/out")" -ge 1 ]; then
        boot=$(echo "$(now) - $t0" | bc -l)
        if [ "${USERTESTS:-0}" = 1 ]; then
            echo usertests >&3
            t1=$(now)
            while [ "$(prompts "$TMP/out")" -lt 2 ] && kill -0 $pid 2>/dev/null &&
                  [ "$(echo "$(now) - $t1 < $LIMIT * 4" | bc -l)" = 1 ]; do sleep 0.2; done
            grep -q "ALL TESTS PASSED" "$TMP/out" && tests=$(echo "$(now) - $t1" | bc -l)
        fi
    fi
    exec 3>&-
    kill $pid 2>/dev/null
    wait $pid 2>/dev/null
    echo "$boot $tests"
}

# best_session CMD...: the best boot and usertests times of REPEAT sessions.
best_session() {
    local best_boot=- best_tests=- b t
    for _ in $(seq "$REPEAT"); do
        read -r b t < <(timed_session "$@")
        if [ "$b" != - ] && { [ "$best_boot" = - ] || [ "$(echo "$b < $best_boot" | bc -l)" = 1 ]; }; then best_boot=$b; fi
        if [ "$t" != - ] && { [ "$best_tests" = - ] || [ "$(echo "$t < $best_tests" | bc -l)" = 1 ]; }; then best_tests=$t; fi
    done
    echo "$best_boot $best_tests"
}

fmt() { [ "$1" = - ] && echo "-" || printf '%.2f' "$1"; }

{
    echo "| machine | boot to the shell (s) | usertests (s) |"
    echo "|---------|----------------------:|--------------:|"
    read -r b t < <(best_session qemu-system-i386 -M pc -m 512 -smp 1 -display none -serial stdio \
        -accel tcg -no-reboot -kernel "$XV6/kernel" -drive file="$TMP/fs.img",index=1,media=disk,format=raw)
    echo "| QEMU TCG | $(fmt "$b") | $(fmt "$t") |"
    # (The trap engine is left out: xv6 panics there by design, chapter 3.)
    for engine in interp kvm; do
        read -r b t < <(best_session "$VMM" run --engine $engine --mem 512 \
            --disk "$TMP/fs.img,if=ide,index=1" "$XV6/kernel")
        why=
        [ "$b" = - ] && why=" (no prompt: the engine cannot run xv6 to its shell on this host)"
        echo "| vmm $engine$why | $(fmt "$b") | $(fmt "$t") |"
    done
} | tee "$OUT/xv6.md"
