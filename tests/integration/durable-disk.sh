# durable-disk.sh - disk writes the guest has flushed survive kill -9 of the
# VMM; one VMM per writable image (flock); --disk FILE,readonly (chapter 9,
# "Durable disks").
#
# guest-os/user/flushtest.c writes sectors 100..107 ('W'..'D' by sector
# number), asks for a virtio-blk FLUSH (the VMM answers it with fdatasync),
# prints "flushtest: flushed ..." and waits. We SIGKILL the VMM the moment
# that line appears and look at the image. (SIGKILL cannot show that the
# bytes left the host's page cache, only that nothing the guest was told is
# done was still inside the VMM; a power cut would be the full test. That
# FLUSH reaches fdatasync is checked by tests/unit/test_virtio_blk.c.)
source "$(dirname "$0")/lib.sh"
plan $(( $(trap_unsupported | grep -c .) ? 8 : 9 ))     # the trap group is one SKIP where trap cannot run

# start_bg NAME COMMAND...: run COMMAND in the background, its output in
# $WORK/NAME.out (emptied first, here, so that no one reads an older run's);
# its pid in $bg_pid.
start_bg() {
    local out=$WORK/$1.out
    shift
    : >"$out"
    "$@" </dev/null >>"$out" 2>&1 &
    bg_pid=$!
}

# wait_for_line FILE PATTERN: up to 60 s (scaled) for a line in FILE.
wait_for_line() {
    local i
    for ((i = 0; i < 600 * TIMEOUT_SCALE; i++)); do
        tr -d '\r' <"$1" | grep -q -- "$2" && return 0
        sleep 0.1
    done
    return 1
}

# expect_pattern NAME IMAGE: sectors 100..107 of IMAGE hold flushtest's letters.
expect_pattern() {
    local s bad=""
    for s in $(seq 100 107); do
        local letter
        letter=$(printf "\\$(printf '%03o' $((65 + s % 26)))")
        if [ "$(dd if="$2" bs=512 skip="$s" count=1 2>/dev/null | tr -d "$letter" | wc -c)" != 0 ]; then
            bad="$bad $s"
        fi
    done
    if [ -z "$bad" ]; then pass "$1"; else fail "$1" "sectors not as written:$bad"; fi
}

# flush_then_kill NAME IMAGE COMMAND...: boot flushtest, SIGKILL at the line.
flush_then_kill() {
    local name=$1 image=$2
    shift 2
    cp "$DISK" "$image"
    start_bg "$name" "$@"
    if wait_for_line "$WORK/$name.out" "^flushtest: flushed"; then
        kill -9 "$bg_pid"
        wait "$bg_pid" 2>/dev/null
        expect_pattern "$name: flushed writes survive kill -9" "$image"
    else
        kill -9 "$bg_pid" 2>/dev/null
        wait "$bg_pid" 2>/dev/null
        fail "$name: flushed writes survive kill -9" "no 'flushed' line: $(tail -3 "$WORK/$name.out" | tr '\n' '|')"
    fi
}

ENGINES="interp trap"
trap_why=$(trap_unsupported)
if [ -n "$trap_why" ]; then
    skip "trap: durable disk" "$trap_why"
    ENGINES=interp
fi

CMD="run=flushtest sector=100 n=8"
for engine in $ENGINES; do
    flush_then_kill "$engine" "$WORK/$engine.img" \
        "$VMM" run --engine "$engine" --disk "$WORK/$engine.img" --cmdline "$CMD" "$KERNEL"
done
# The same guest on QEMU: the driver's FLUSH is standard virtio.
flush_then_kill "qemu" "$WORK/qemu.img" \
    qemu-system-i386 -M pc -m 64 -display none -serial stdio -no-reboot -kernel "$KERNEL" \
    -append "$CMD" -device isa-debug-exit,iobase=0xf4,iosize=4 \
    -drive file="$WORK/qemu.img",if=none,id=d0,format=raw \
    -device virtio-blk-pci,drive=d0,disable-modern=on

# One writer per image: a second VMM gets status 122 and a clear message,
# for writing and for reading alike; after kill -9 the lock is gone.
cp "$DISK" "$WORK/locked.img"
start_bg lock "$VMM" run --engine interp --disk "$WORK/locked.img" \
    --cmdline "$CMD" "$KERNEL"
wait_for_line "$WORK/lock.out" "^flushtest: flushed"
for how in "" ",readonly"; do
    timeout 30 "$VMM" run --engine interp --disk "$WORK/locked.img$how" --cmdline "run=io n=4" \
        "$KERNEL" </dev/null >"$WORK/out" 2>"$WORK/err"
    status=$?
    if [ "$status" = 122 ] && grep -q "^vmm: .*in use by another VMM" "$WORK/err"; then
        pass "a second VMM on a locked image${how:+ ($how)} stops with 122"
    else
        fail "a second VMM on a locked image${how:+ ($how)} stops with 122" "status $status: $(head -2 "$WORK/err")"
    fi
done
kill -9 "$bg_pid"
wait "$bg_pid" 2>/dev/null
timeout 60 "$VMM" run --engine interp --disk "$WORK/locked.img" --cmdline "run=io n=4" \
    "$KERNEL" </dev/null >"$WORK/out" 2>"$WORK/err"
status=$?
if [ "$status" = 0 ]; then pass "the lock dies with a killed VMM"
else fail "the lock dies with a killed VMM" "status $status: $(head -2 "$WORK/err")"; fi

# --disk FILE,readonly: the guest's writes fail cleanly and the image stays
# as it was; several read-only users may share it.
for engine in $ENGINES; do
    cp "$DISK" "$WORK/ro.img"
    chmod a-w "$WORK/ro.img"            # O_RDONLY really: a write would fail anyway
    timeout 60 "$VMM" run --engine "$engine" --disk "$WORK/ro.img,readonly" \
        --cmdline "run=io n=4" "$KERNEL" </dev/null 2>"$WORK/err" | tr -d '\r' >"$WORK/out"
    status=${PIPESTATUS[0]}
    if [ "$status" = 1 ] && grep -q "^io: write of sector 0 failed" "$WORK/out" &&
       cmp -s "$DISK" "$WORK/ro.img"; then
        pass "$engine: a readonly disk refuses writes, the guest says so, the image is unchanged"
    else
        fail "$engine: a readonly disk refuses writes" "status $status: $(tail -2 "$WORK/out" | tr '\n' '|')"
    fi
    chmod u+w "$WORK/ro.img"
done
cp "$DISK" "$WORK/shared.img"
start_bg shared "$VMM" run --engine interp --disk "$WORK/shared.img,readonly" \
    --cmdline "run=compute n=1000000000" "$KERNEL"     # minutes: killed below
wait_for_line "$WORK/shared.out" "^toy kernel: up"
timeout 60 "$VMM" run --engine interp --disk "$WORK/shared.img,readonly" --cmdline "run=hello" \
    "$KERNEL" </dev/null >"$WORK/out" 2>"$WORK/err"
status=$?
kill -9 "$bg_pid" 2>/dev/null
wait "$bg_pid" 2>/dev/null
if [ "$status" = 0 ] && ! grep -q result "$WORK/shared.out"; then
    pass "two readonly VMMs share one image"
else fail "two readonly VMMs share one image" "status $status: $(head -2 "$WORK/err")"; fi
