#!/bin/bash
# mp-devices.sh - the MP-era devices against a guest that misuses them
# (chapter 6, "What an MP kernel expects of a PC"; chapter 9, "Misbehaving
# guests"): junk in every APIC register, an interrupt routed to no CPU, IDE
# commands for sectors that are not there. The guest sees the errors the
# hardware would give, the same as on QEMU, and the VMM warns and runs on.
# Then the --disk ...,if=ide command line with bad input.
. tests/integration/lib.sh
GUEST=$BUILD/tests/guests/mp-junk.elf

head -c $((64 * 512)) /dev/zero >"$WORK/small.img"
cp "$WORK/small.img" "$WORK/small-qemu.img"
timeout $((60 * TIMEOUT_SCALE)) qemu-system-i386 -M pc -m 64 -display none -serial stdio \
    -no-reboot -kernel "$GUEST" -device isa-debug-exit,iobase=0xf4,iosize=4 \
    -drive file="$WORK/small-qemu.img",index=0,media=disk,format=raw </dev/null 2>/dev/null |
    tr -d '\r' >"$WORK/qemu.out"
qemu_status=${PIPESTATUS[0]}

# Two engines, two checks each; five command lines.
plan 9
trap_why=$(trap_unsupported)
for engine in interp trap; do
    if [ $engine = trap ] && [ -n "$trap_why" ]; then
        skip "trap: a guest that misuses the APICs and IDE gets the hardware's answers" "$trap_why"
        skip "trap: junk APIC writes and an interrupt routed nowhere are warned about" "$trap_why"
        continue
    fi
    (timeout $((60 * TIMEOUT_SCALE)) "$VMM" run --engine $engine \
        --disk "$WORK/small.img,if=ide,index=0" "$GUEST" </dev/null \
        >"$WORK/$engine.out" 2>"$WORK/$engine.err"; exit $?) 2>/dev/null
    status=$?
    name="$engine: a guest that misuses the APICs and IDE gets the hardware's answers"
    if [ $status -ne 0 ]; then
        fail "$name" "status $status: $(tail -2 "$WORK/$engine.out" | tr '\n' '|')"
    elif [ "$qemu_status" = "$(qemu_status 0)" ] && ! diff -q "$WORK/qemu.out" "$WORK/$engine.out" >/dev/null; then
        fail "$name" "differs from QEMU: $(diff "$WORK/qemu.out" "$WORK/$engine.out" | head -4 | tr '\n' '|')"
    else
        pass "$name$([ "$qemu_status" = "$(qemu_status 0)" ] && echo ', as on QEMU')"
    fi
    if grep -q "local APIC: write to a register that does not exist" "$WORK/$engine.err" &&
       grep -q "routed to a CPU that does not exist" "$WORK/$engine.err" &&
       [ "$(grep -c 'local APIC' "$WORK/$engine.err")" -le 8 ]; then
        pass "$engine: junk APIC writes and an interrupt routed nowhere are warned about, a few times"
    else
        fail "$engine: junk APIC writes and an interrupt routed nowhere are warned about" \
            "stderr: $(head -3 "$WORK/$engine.err" | tr '\n' '|')"
    fi
done

# The command line: each mistake gets one clear line and the VMM's status.
# expect_vmm NAME STATUS PATTERN ARGS...
expect_vmm() {
    local name=$1 want=$2 pattern=$3
    shift 3
    timeout 30 "$VMM" run --engine interp "$@" "$GUEST" </dev/null >"$WORK/out" 2>"$WORK/err"
    local got=$?
    if [ $got -ne "$want" ]; then
        fail "$name" "status $got, expected $want ($(head -2 "$WORK/err" | tr '\n' '|'))"
    elif ! grep -q -- "$pattern" "$WORK/err"; then
        fail "$name" "no line matches '$pattern' ($(head -2 "$WORK/err" | tr '\n' '|'))"
    else
        pass "$name"
    fi
}
expect_vmm "--disk: an IDE index past 3 is refused" 120 "not an IDE index 0-3" \
    --disk "$WORK/small.img,if=ide,index=4"
expect_vmm "--disk: two disks on one IDE drive are refused" 120 "already given" \
    --disk "$WORK/small.img,if=ide,index=0" --disk "$WORK/small.img,if=ide,index=0"
expect_vmm "--disk: an IDE image that is not there" 122 "cannot open the disk image" \
    --disk "$WORK/nosuch.img,if=ide,index=0"
printf 'short' >"$WORK/tiny.img"
expect_vmm "--disk: an IDE image of less than one sector" 122 "smaller than one sector" \
    --disk "$WORK/tiny.img,if=ide,index=1"
cp "$WORK/small.img" "$WORK/ro.img"
(timeout 30 "$VMM" run --engine interp --disk "$WORK/ro.img,if=ide,index=0,readonly" "$GUEST" \
    </dev/null >"$WORK/out" 2>"$WORK/err"; exit $?) 2>/dev/null
if [ $? -eq 0 ] && grep -q "read sector 0 afterwards" "$WORK/out"; then
    pass "--disk FILE,if=ide,index=0,readonly: a read-only IDE disk reads"
else
    fail "--disk FILE,if=ide,index=0,readonly: a read-only IDE disk reads" "$(tail -2 "$WORK/out" "$WORK/err" | tr '\n' '|')"
fi
