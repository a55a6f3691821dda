#!/bin/bash
# xv6.sh - an operating system nobody here wrote: MIT's xv6, unmodified, on
# our PC (chapter 6, "What an MP kernel expects of a PC"; chapter 3 for the
# trap engine's panic).
#
# interp: boot to the shell, type commands (file system writes, a pipe,
# fork) one prompt at a time, and compare the serial output with QEMU's for
# the same input. trap: xv6 runs de-privileged until it reads its own
# interrupt flag with pushfl, sees the host's IF=1, and panics. kvm:
# usertests, where KVM is hardware-assisted.
# The xv6 images come from ../shared/xv6 or build/xv6 (scripts/get-xv6);
# without them every check reports SKIP. Tests work on a copy of fs.img.

. tests/integration/lib.sh

XV6=
for d in ../shared/xv6 "$BUILD/xv6"; do
    if [ -f "$d/kernel" ] && [ -f "$d/fs.img" ]; then XV6=$d; break; fi
done
if [ -z "$XV6" ]; then
    plan 3
    for t in "interp: xv6 shell matches QEMU" "trap: xv6 panics on its own pushfl" "kvm: xv6 usertests"; do
        skip "$t" "no xv6 images in ../shared/xv6 or $BUILD/xv6 (scripts/get-xv6 builds them)"
    done
    exit 0
fi

# The shell against QEMU, its writes on the disk image, the monitor on xv6;
# the trap engine's panic; usertests on kvm.
plan 5

# What we type, one line per prompt: files written and read back, a
# three-stage pipe, directories, fork (forktest), an error.
COMMANDS=(
    "ls"
    "echo hello xv6 > f"
    "cat f"
    "cat README | grep xv6 | wc"
    "mkdir d"
    "echo in d > d/g"
    "ls d"
    "cat d/g f"
    "forktest"
    "rm f"
    "cat f"
)
PROMPT_WAIT=$((120 * TIMEOUT_SCALE))

# prompts FILE: how many shell prompts FILE holds.
prompts() { grep -o '\$ ' "$1" 2>/dev/null | wc -l; }

# drive OUT CMD...: run CMD with stdin from a FIFO and stdout in OUT; type
# each of COMMANDS after the next prompt; stop CMD after the last prompt.
# Returns 1 (with the reason in $why) if a prompt did not come.
drive() {
    local out=$1; shift
    local fifo=$WORK/in.fifo
    rm -f "$fifo"
    mkfifo "$fifo"
    "$@" <"$fifo" >"$out" 2>"$out.err" &
    local pid=$!
    exec 3>"$fifo"
    local want=1 cmd waited
    why=
    for cmd in "${COMMANDS[@]}" "<end>"; do
        waited=0
        while [ "$(prompts "$out")" -lt $want ]; do
            if ! kill -0 $pid 2>/dev/null; then why="it stopped before prompt $want"; break 2; fi
            if [ $waited -ge $((PROMPT_WAIT * 5)) ]; then
                why="no prompt $want after ${PROMPT_WAIT} s"; break 2
            fi
            sleep 0.2
            waited=$((waited + 1))
        done
        [ "$cmd" = "<end>" ] && break
        printf '%s\n' "$cmd" >&3
        want=$((want + 1))
    done
    exec 3>&-
    kill $pid 2>/dev/null
    wait $pid 2>/dev/null
    tr -d '\r' <"$out" >"$out.clean"
    mv "$out.clean" "$out"
    [ -z "$why" ]
}

cp "$XV6/fs.img" "$WORK/fs-qemu.img"
cp "$XV6/fs.img" "$WORK/fs-vmm.img"

if ! command -v qemu-system-i386 >/dev/null; then
    skip "interp: xv6 shell matches QEMU" "qemu-system-i386 is not installed"
elif ! drive "$WORK/qemu.out" qemu-system-i386 -M pc -m 512 -smp 1 -display none \
        -serial stdio -no-reboot -kernel "$XV6/kernel" \
        -drive file="$WORK/fs-qemu.img",index=1,media=disk,format=raw; then
    fail "interp: xv6 shell matches QEMU" "QEMU: $why"
elif ! drive "$WORK/vmm.out" "$VMM" run --engine interp --mem 512 \
        --timeout $((600 * TIMEOUT_SCALE)) \
        --disk "$WORK/fs-vmm.img,if=ide,index=1" "$XV6/kernel"; then
    fail "interp: xv6 shell matches QEMU" "vmm: $why (stderr: $(tail -2 "$WORK/vmm.out.err" | tr '\n' '|'))"
elif ! diff -q "$WORK/qemu.out" "$WORK/vmm.out" >/dev/null; then
    fail "interp: xv6 shell matches QEMU" "$(diff "$WORK/qemu.out" "$WORK/vmm.out" | head -8 | tr '\n' '|')"
elif ! grep -q '^fork test OK$' "$WORK/vmm.out" || ! grep -q '^hello xv6$' "$WORK/vmm.out"; then
    fail "interp: xv6 shell matches QEMU" "both ran, but the commands did not work"
else
    pass "interp: xv6 shell matches QEMU ($(wc -l <"$WORK/vmm.out") lines, ${#COMMANDS[@]} commands)"
fi

# The guest's writes reached the image: the directory made above is in it.
if [ -s "$WORK/vmm.out" ] && grep -q '^in d$' "$WORK/vmm.out"; then
    if grep -q "in d" "$WORK/fs-vmm.img"; then
        pass "interp: xv6's writes reach the IDE disk image"
    else
        fail "interp: xv6's writes reach the IDE disk image" "the file's text is not in the image"
    fi
fi

# The monitor on a kernel nobody here wrote: its symbols, a breakpoint on
# one of its functions, the page walk of its higher-half addresses, exits by
# reason (chapter 7).
cp "$XV6/fs.img" "$WORK/fs-mon.img"
printf 'break mycpu\ncont\nregs\npt 0x80103000\nexits\nquit\n' |
    timeout $((120 * TIMEOUT_SCALE)) "$VMM" run --engine interp --mem 512 --monitor \
        --disk "$WORK/fs-mon.img,if=ide,index=1" "$XV6/kernel" >"$WORK/mon.out" 2>&1
if grep -q "^breakpoint 1 at 0x[0-9a-f]* <mycpu>" "$WORK/mon.out" &&
   grep -q "^eip 0x[0-9a-f]* <mycpu>" "$WORK/mon.out" &&
   grep -q "^  -> GPA 0x00103000" "$WORK/mon.out" && grep -q "control-register access" "$WORK/mon.out"; then
    pass "interp: the monitor breaks on xv6's mycpu, names it, walks its page tables"
else
    fail "interp: the monitor on xv6" "$(grep -v '^ ' "$WORK/mon.out" | head -6 | tr '\n' '|')"
fi

# trap: natively de-privileged, xv6's readeflags() (pushfl) sees the host's
# IF=1 although the guest's cli was emulated, and the kernel panics (chapter
# 3). The first such check runs before xv6 sets up its UART, so the panic
# is printed only on the text screen: the monitor stops the guest where
# panic() has printed its message (getcallerpcs) and reads the screen's
# memory at 0xB8000, every other byte a character.
GUESTS=$BUILD/tests/guests
# (A subshell, so that the shell's own report of a crash stays out of the log.)
(timeout $((60 * TIMEOUT_SCALE)) "$VMM" run --engine trap "$GUESTS/hello.elf" </dev/null \
    >"$WORK/hello.out" 2>"$WORK/hello.err"; exit $?) 2>/dev/null
status=$?
if [ $status -ne 42 ]; then
    skip "trap: xv6 panics on its own pushfl" "the trap engine does not run even hello.elf on this host (status $status)"
else
    cp "$XV6/fs.img" "$WORK/fs-trap.img"
    printf 'break getcallerpcs\ncont\nxp/480c 0xb8000\nquit\n' |
        (timeout $((300 * TIMEOUT_SCALE)) "$VMM" run --engine trap --mem 512 --monitor \
            --disk "$WORK/fs-trap.img,if=ide,index=1" "$XV6/kernel" \
            >"$WORK/trap.out" 2>"$WORK/trap.err"; exit $?) 2>/dev/null
    status=$?
    screen=$(grep -o "'[^']*'" "$WORK/trap.out" | grep -v '^.\\x' | tr -d "'\n")
    if echo "$screen" | grep -q "panic: \(mycpu called with interrupts enabled\|popcli - interruptible\)"; then
        pass "trap: xv6 panics on its own pushfl: '$(echo "$screen" | grep -o 'panic: [a-z -]*' | head -1)'"
    else
        fail "trap: xv6 panics on its own pushfl" "status $status, screen: '${screen:0:80}', $(tail -2 "$WORK/trap.err" | tr '\n' '|')"
    fi
fi

# kvm: usertests, where KVM is hardware-assisted (on a host without it, the
# nested machine of chapter 5 provides it).
if [ ! -e /dev/kvm ]; then
    skip "kvm: xv6 usertests" "this host has no /dev/kvm"
else
    timeout $((60 * TIMEOUT_SCALE)) "$VMM" run --engine kvm "$GUESTS/hello.elf" </dev/null \
        >"$WORK/hello.out" 2>"$WORK/hello.err"
    status=$?
    if [ $status -ne 42 ] || grep -q "^vmm: kvm: MMU: none" "$WORK/hello.err"; then
        skip "kvm: xv6 usertests" "KVM here has no hardware assist (or does not run hello.elf: status $status)"
    else
        COMMANDS=("usertests")
        PROMPT_WAIT=$((600 * TIMEOUT_SCALE))
        cp "$XV6/fs.img" "$WORK/fs-kvm.img"
        if ! drive "$WORK/kvm.out" "$VMM" run --engine kvm --mem 512 \
                --disk "$WORK/fs-kvm.img,if=ide,index=1" "$XV6/kernel"; then
            fail "kvm: xv6 usertests" "$why (stderr: $(tail -2 "$WORK/kvm.out.err" | tr '\n' '|'))"
        elif grep -q "^ALL TESTS PASSED" "$WORK/kvm.out"; then
            pass "kvm: xv6 usertests: ALL TESTS PASSED"
        else
            fail "kvm: xv6 usertests" "$(grep -i 'fail\|panic' "$WORK/kvm.out" | head -3 | tr '\n' '|')"
        fi
    fi
fi
