# monitor.sh - the monitor console (chapter 7): scripted sessions on the
# interp and trap engines (breakpoints, registers, page walks, the VMCS,
# exits, stepping, bad input), moving a running guest between engines,
# and Ctrl-A c on a real terminal (tmux). gdb-stub.sh tests the gdb stub.
source "$(dirname "$0")/lib.sh"
# 45 scripted checks, then 6 in a terminal (one SKIP without tmux).
plan $((45 + $(command -v tmux >/dev/null && echo 6 || echo 1)))

# session ENGINE CMDLINE COMMANDS...: a --monitor run with the commands
# on stdin, one per line; transcript in $WORK/out.
session() {
    local engine=$1 cmdline=$2
    shift 2
    printf '%s\n' "$@" >"$WORK/in"
    run_vmm "$engine" "$cmdline" "$WORK/in" --monitor
}

# expect_line NAME PATTERN: like expect_output, with the transcript on failure.
expect_line() {
    if grep -q -- "$2" "$WORK/out"; then pass "$1"
    else fail "$1" "no line matches '$2' in: $(tr '\n' '|' <"$WORK/out" | tail -c 600)"; fi
}

hex() { printf '0x%08x' "$1"; }
sym() { printf '0x%s' "$(nm "$KERNEL" | awk -v s="$1" '$3 == s { print $1 }')"; }

# check_session ENGINE SYMBOL: stop at a kernel function and look around.
check_session() {
    local engine=$1 name=$2 addr
    addr=$(sym "$name")
    local next=$(hex $((addr + 1))) at=$(hex "$addr") gpa=$(hex $((addr - 0xC0000000)))
    session "$engine" "run=compute n=1000" "exits" "break $name" cont regs 'pt $eip' \
        "vmcs GUEST_RIP" exits step regs rgs "x/4x 0x12zz" "x/2x 0xfffff000" \
        "x/5000x \$esp" "xp/4x 0x7ffffff0" "break exit nosuch" "vmcs NOSUCH" "delete 9" delete cont
    local label="monitor on $engine"
    expect_line "$label: break at a symbol" "^breakpoint 1 at $at <$name>$"
    expect_line "$label: the breakpoint is reached" "^breakpoint 1 reached$"
    expect_line "$label: regs shows EIP at the breakpoint" "^eip $at <$name>$"
    expect_line "$label: pt gives the direct map's GPA" "^  -> GPA $gpa, "
    expect_line "$label: pt shows the engine's side" "^engine $engine: "
    expect_line "$label: vmcs GUEST_RIP is EIP" "GUEST_RIP *681e  ${at#0x}$"
    expect_line "$label: step advances one instruction" "^=> $next <$name+1>:"
    expect_line "$label: regs after step" "^eip $next <$name+1>$"
    local counts
    counts=$(sed -n "s/^exits on $engine: \([0-9]*\),.*/\1/p" "$WORK/out" | tr '\n' ' ')
    set -- $counts
    if [ $# -ge 2 ] && [ "$2" -gt "$1" ]; then pass "$label: exit counts grow ($counts)"
    else fail "$label: exit counts grow" "counts: '$counts'"; fi
    expect_line "$label: unknown command gets a suggestion" "unknown command 'rgs'; did you mean 'regs'?"
    expect_line "$label: malformed address" "malformed number '0x12zz'"
    expect_line "$label: unmapped address" "cannot access 0xfffff000: the guest's page tables do not map it"
    expect_line "$label: range too large" "range too large"
    expect_line "$label: beyond RAM" "is not guest RAM"
    expect_line "$label: unknown exit reason" "usage: break exit REASON"
    expect_line "$label: unknown VMCS field" "no VMCS field or group 'NOSUCH'"
    expect_line "$label: unknown breakpoint" "no breakpoint '9'"
    expect_result "$label: the guest finishes after cont" "$($ORACLE compute 1000)" 0
}

check_session interp exec
trap_why=$(trap_unsupported)
if [ -n "$trap_why" ]; then
    skip "monitor on the trap engine, engine switching" "$trap_why"
else
    # On the trap engine breakpoints single-step the guest with TF (one host
    # #DB per instruction): kmain comes after a handful of instructions.
    check_session trap kmain

    # Move a running guest interp -> trap -> interp, stopping on an exit.
    want=$($ORACLE compute 200000)
    session interp "run=compute n=200000" "step 3000000" "engine trap" "step 10" \
        "break exit 30" cont "engine interp" cont
    expect_line "engine switch: to trap" "^moved the guest from the interp engine to the trap engine"
    expect_line "engine switch: stopped on an I/O exit on trap" "^stopped after exit 30 (I/O instruction)"
    expect_line "engine switch: back to interp" "^moved the guest from the trap engine to the interp engine"
    expect_result "engine switch: interp -> trap -> interp gives the same result" "$want" 0
    session trap "run=forkwait n=50" "break exit 12" cont "engine interp" "break exit 12" cont \
        "engine trap" cont
    expect_result "engine switch: forkwait trap -> interp -> trap" "$($ORACLE forkwait 50)" 0
fi

# End of input quits with status 0; quit too; a guest that powered off
# leaves its own status.
session interp "run=compute n=10" regs
if [ "$status" = 0 ] && ! grep -q '^result:' "$WORK/out"; then pass "end of input quits, status 0"
else fail "end of input quits, status 0" "status $status"; fi
session interp "" "help step" quit
expect_line "help CMD" "^usage: step \[N\]"
if [ "$status" = 0 ]; then pass "quit: status 0"; else fail "quit: status 0" "status $status"; fi
session interp "run=nosuch" cont exits
if [ "$status" = 100 ]; then pass "the guest's status after it ended in the monitor (a panic)"
else fail "the guest's status after it ended in the monitor (a panic)" "status $status, expected 100"; fi

# ---- a real terminal: Ctrl-A c, a command, Ctrl-A c back, Ctrl-A x ----
if ! command -v tmux >/dev/null; then
    skip "monitor in a terminal" "tmux is not installed"
    exit 0
fi
SOCK="vmm-test-$$"
tm() { tmux -L "$SOCK" "$@"; }
screen_has() {      # screen_has PATTERN: wait up to 15 s for it on the pane
    for _ in $(seq 150); do
        tm capture-pane -p -S -200 | grep -q -- "$1" && return 0
        sleep 0.1
    done
    return 1
}
cp "$DISK" "$WORK/disk.img"
tm new-session -d -x 150 -y 50 "bash --norc --noprofile"
tm send-keys "$VMM run --engine interp --disk $WORK/disk.img $KERNEL" Enter
if ! screen_has "toy kernel: up"; then
    fail "terminal: the guest boots" "$(tm capture-pane -p | tail -5 | tr '\n' '|')"
else
    tm send-keys C-a c
    if screen_has "^(vmm)"; then pass "terminal: Ctrl-A c opens the monitor"
    else fail "terminal: Ctrl-A c opens the monitor" "$(tm capture-pane -p | tail -5 | tr '\n' '|')"; fi
    tm send-keys "sregs" Enter
    if screen_has "^cr0  0x8"; then pass "terminal: a command in the monitor"
    else fail "terminal: a command in the monitor" "$(tm capture-pane -p | tail -5 | tr '\n' '|')"; fi
    tm send-keys C-a c
    if screen_has "back to the guest"; then pass "terminal: Ctrl-A c goes back to the guest"
    else fail "terminal: Ctrl-A c goes back to the guest" "$(tm capture-pane -p | tail -5 | tr '\n' '|')"; fi
    tm send-keys "hello a=1" Enter
    if screen_has "hello from pid [0-9]*: a=1"; then pass "terminal: the guest's shell has the keyboard again"
    else fail "terminal: the guest's shell has the keyboard again" "$(tm capture-pane -p | tail -5 | tr '\n' '|')"; fi
    tm send-keys C-a x
    if screen_has "vmm: quit"; then pass "terminal: Ctrl-A x quits"
    else fail "terminal: Ctrl-A x quits" "$(tm capture-pane -p | tail -5 | tr '\n' '|')"; fi
    tm send-keys "stty -a | tr ' ' '\n' | grep -x -e icanon -e -icanon | sed 's/^/mode: /'" Enter
    if screen_has "^mode: icanon"; then pass "terminal: settings restored (icanon)"
    else fail "terminal: settings restored (icanon)" "$(tm capture-pane -p | tail -5 | tr '\n' '|')"; fi
fi
tm kill-server 2>/dev/null || true
