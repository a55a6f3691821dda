# monitor.sh - the monitor console (chapter 7): scripted sessions on the
# interp and trap engines (breakpoints, registers, page walks, the VMCS,
# exits, stepping, bad input), moving a running guest between engines,
# and Ctrl-A c on a real terminal (tmux). gdb-stub.sh tests the gdb stub.
source "$(dirname "$0")/lib.sh"

# The trap engine needs a host that runs 32-bit code natively; where it
# cannot (trap_unsupported says why), the trap checks here are skipped.
TRAP_WHY=$(trap_unsupported)
if [ -n "$TRAP_WHY" ]; then TRAP_OK=; else TRAP_OK=1; fi
# 67 checks; 25 on the trap engine (2 SKIPs where it cannot run); 8 in a
# terminal (1 SKIP without tmux).
plan $((67 + $([ -n "$TRAP_OK" ] && echo 25 || echo 2) + $(command -v tmux >/dev/null && echo 8 || echo 1)))

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

trap_or_skip() {    # trap_or_skip NAME: true if the trap checks can run
    [ -n "$TRAP_OK" ] && return 0
    skip "$1" "$TRAP_WHY"
    return 1
}

# On the trap engine only the pages that hold a breakpoint are single-
# stepped (chapter 7): kmain comes after a handful of instructions.
trap_or_skip "monitor on trap" && check_session trap kmain

# Bugs a debugger user meets (chapter 7): breakpoint numbers stay, x takes
# its format as a word, long lines are not cut, Enter repeats, and bad
# input gets one clear line.
long="pt 0x1000$(printf ' + 1%.0s' $(seq 40))"
session interp "run=compute n=10" "break exec" "break kmain" "break kprintf" "delete 1" break \
    "delete 1" cont "x /2x \$esp" "" step "" "$long" "x/99999999999999999999x 0" \
    "break exit I/O" "break exit c" "vmcs GUEST_RIP junk" "regs junk" "engine trap" exits
expect_line "bugs: delete keeps the other numbers" "^2: 0x[0-9a-f]* <kmain>$"
expect_line "bugs: a deleted number is gone" "^no breakpoint '1'"
expect_line "bugs: the next breakpoint gets a new number" "^breakpoint 3 at "
expect_line "bugs: the breakpoint reports its own number" "^breakpoint 2 reached$"
expect_line "bugs: x /2x (format as a word)" "^0xc[0-9a-f]*:  0x[0-9a-f]\{8\}  0x[0-9a-f]\{8\}$"
expect_line "bugs: Enter after x goes on after it" "^\[repeats: x/2x 0x"
expect_line "bugs: Enter after step steps again" "^\[repeats: step\]$"
expect_line "bugs: Enter repeats step (kmain+3)" "^=> 0x[0-9a-f]* <kmain+3>:"
expect_line "bugs: an 82-word line is whole" "GVA 0x00001028\|walk of 0x00001028"
expect_line "bugs: a huge x count says so" "a count of 99999999999999999999; at most 4096 bytes"
expect_line "bugs: break exit I/O names both" "ambiguous exit reason 'I/O'.*\"I/O instruction\" (30)"
expect_line "bugs: break exit c names the candidates" "ambiguous exit reason 'c'.*\"CPUID\" (10)"
expect_line "bugs: vmcs with an extra word" "one at a time ('junk' is one too many)"
expect_line "bugs: regs with an extra word" "^regs takes no arguments"
if [ -n "$TRAP_OK" ]; then
    expect_line "bugs: exits after an engine switch says whose counts" "^exits on interp, then trap: "
fi

# pt walks with the guest's privilege: at CPL 3 a kernel page is a user
# read's fault (error code 0x5), not a supervisor read's.
ubreak=0x$(nm "$BUILD/guest-os/user/compute" | awk '$3 == "main" { print $1 }')
session interp "run=compute n=10" "break $ubreak" cont "pt \$eip" "pt 0xc0100000" \
    "x/4x 0xfffffff0" quit
expect_line "pt: a user page at CPL 3" "as a user (CPL 3) read"
expect_line "pt: a kernel page from CPL 3 faults with 0x5" "error code 0x5"
session interp "" "x/4x 0xfffffff0" quit
expect_line "x with paging off blames RAM, not page tables" "paging is off (GVA = GPA) and it is not guest RAM"

# `step` masks interrupts and holds the clock (QEMU's gdbstub default):
# 3 million steps (30 ms of virtual time, three 100 Hz ticks) take no
# interrupt; with `set step-irqs on` they do.
session interp "run=compute n=10000000" "break exec" cont delete "exits reset" "step 3000000" \
    exits "set step-irqs on" "exits reset" "step 3000000" exits quit
n_ext=$(grep -c '^ *1  external interrupt' "$WORK/out")
if [ "$n_ext" = 1 ] && grep -A3 '^(vmm) step 3000000' "$WORK/out" | head -4 | grep -q '^exits on interp: 1,'
then pass "step: interrupts masked by default, let in by set step-irqs on"
else fail "step: interrupts masked by default, let in by set step-irqs on" "$(tr '\n' '|' <"$WORK/out" | tail -c 700)"; fi

# VMCS fields that mean what the SDM says, on the interpreter too. The
# first CR exit is start_phys's `mov %eax,%cr3` (0f 22 d8: ModRM d8 is
# reg 3 = CR3, rm 0 = EAX): qualification (table 27-3) CR 3 in bits 3:0,
# type 0 (mov to CR) in 5:4, GPR 0 in 11:8 = 0x3; length 3. The first I/O
# exit is uart_init's `out %al,(%dx)` to 0x3f9 (ee): (table 27-5) size-1
# 0, direction out, not string, not rep, DX form, port 0x3f9 in 31:16 =
# 0x3f90000; length 1. The controls say which exits the engine takes.
session interp "run=compute n=10" "break exit 28" cont "x/1i \$eip-3" "vmcs VM_EXIT_INSTRUCTION_LEN" \
    "break exit 30" cont "vmcs VM_EXIT_INSTRUCTION_LEN" "vmcs CPU_BASED_VM_EXEC_CONTROL" \
    "vmcs PIN_BASED_VM_EXEC_CONTROL" quit
expect_line "vmcs: the CR exit is mov to CR3 from EAX" "^0x[0-9a-f]* <start_phys+[0-9]*>:  0f 22 d8 .*mov %eax,%cr3"
expect_line "vmcs: CR-access qualification 0x3 (SDM table 27-3)" "^stopped after exit 28 (control-register access), qualification 0x3$"
expect_line "vmcs: CR exit instruction length 3" "VM_EXIT_INSTRUCTION_LEN *440c  00000003$"
expect_line "vmcs: I/O qualification 0x3f90000 (SDM table 27-5)" "^stopped after exit 30 (I/O instruction), qualification 0x3f90000$"
expect_line "vmcs: I/O exit instruction length 1" "VM_EXIT_INSTRUCTION_LEN *440c  00000001$"
expect_line "vmcs: interp's controls: hlt, invlpg, CR3-load, unconditional I/O exiting" "CPU_BASED_VM_EXEC_CONTROL *4002  01008280$"
expect_line "vmcs: interp's pin-based controls: external-interrupt exiting" "PIN_BASED_VM_EXEC_CONTROL *4000  00000001$"

# Watchpoints (interp: the executor's memory path): the timer handler
# writes `ticks`; the stop says which watchpoint, old and new value. A
# read watchpoint sees the read. Engines that cannot watch refuse.
session interp "run=compute n=100000" "watch ticks" "watch ticks r 4" "delete 2" cont cont \
    "watch ticks r" cont "watch ticks rw 9" break "engine trap" break quit
expect_line "watch: set" "^watchpoint 1: write of 4 bytes at 0xc[0-9a-f]* <ticks>$"
expect_line "watch: the write stops the guest" "^watchpoint 1: write of 0xc[0-9a-f]* <ticks> by the instruction before (a write at 0xc"
expect_line "watch: old and new value" "^  old 0x00000001  new 0x00000002$"
expect_line "watch: a read watchpoint" "^watchpoint 3: read of 0xc[0-9a-f]* <ticks> by the instruction before (a read at"
expect_line "watch: a bad LEN" "^watch: LEN must be 1 to 8 bytes, not '9'$"
expect_line "watch: listed with the breakpoints" "^1: watch write of 4 bytes at 0xc[0-9a-f]* <ticks>$"
if [ -n "$TRAP_OK" ]; then
    expect_line "watch: dropped when the engine cannot watch" "^deleted 2 watchpoints: the trap engine cannot watch memory$"
fi

# info mem: every mapped range of the current CR3 with its rights. In a
# user program: its code read-only for the user, its stack read-write for
# the user, the kernel's direct map for the kernel only.
session interp "run=compute n=10" "info mem" "break $ubreak" cont "info mem" "info tlb" \
    "info registers" quit
expect_line "info mem: paging off" "^paging is off: every address is its own GPA"
expect_line "info mem: user code, read-only" "^0x00400000-0x00401000  *4 KiB  ur-$"
expect_line "info mem: user stack, read-write" "^0x6fff[0-9a-f]*-0x70000000 .*  urw$"
expect_line "info mem: the kernel's map, supervisor only" "^0xc0000000-0x[0-9a-f]* .*  -rw$"
expect_line "info tlb: one line per page" "^0x00400000: 0x[0-9a-f]* 4K --AU-$"
expect_line "info registers: CRs too" "^cr3  0x"

# symbols add: a user program's symbols beside the kernel's; a breakpoint
# by name in it; FILE:name when both have the name (exec).
session interp "run=compute n=10" "symbols add $BUILD/guest-os/user/compute" symbols \
    "break main" "break compute:exec" "break exec" "delete 3" cont regs "symbols add /nonexistent" quit
expect_line "symbols add: read" "^read [0-9]* symbols from .*compute as 'compute'"
expect_line "symbols: listed" "^compute: [0-9]* symbols$"
expect_line "symbols: a breakpoint by name in a user program" "^breakpoint 1 at 0x0040[0-9a-f]* <compute:main>$"
expect_line "symbols: FILE:name picks the program's exec" "^breakpoint 2 at 0x0040[0-9a-f]* <compute:exec>$"
expect_line "symbols: a plain name is the kernel's" "^breakpoint 3 at 0xc[0-9a-f]* <exec>$"
expect_line "symbols: the user breakpoint is reached" "^eip 0x0040[0-9a-f]* <compute:main>$"
expect_line "symbols: a missing file" "^/nonexistent: "

# A line longer than any buffer is one command, not two.
printf 'x/1x %02000d\nquit\n' 0 >"$WORK/in"
run_vmm interp "" "$WORK/in" --monitor
if [ "$(grep -c '^(vmm) ' "$WORK/out")" = 2 ]; then pass "bugs: a 2000-character line is one command"
else fail "bugs: a 2000-character line is one command" "$(grep -c '^(vmm) ' "$WORK/out") prompts"; fi

# Move a running guest interp -> trap -> interp, stopping on an exit.
if trap_or_skip "engine switch"; then
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
    tm send-keys "regs junk" C-c
    tm send-keys "stats" Enter
    if screen_has "^engine interp; instructions" && ! tm capture-pane -p | grep -q "regs takes no"
    then pass "terminal: Ctrl-C at the prompt drops the line, the VMM lives"
    else fail "terminal: Ctrl-C at the prompt drops the line, the VMM lives" "$(tm capture-pane -p | tail -5 | tr '\n' '|')"; fi
    tm send-keys C-d
    if screen_has "Quit the VMM? (y or n)"; then pass "terminal: Ctrl-D asks before quitting"
    else fail "terminal: Ctrl-D asks before quitting" "$(tm capture-pane -p | tail -5 | tr '\n' '|')"; fi
    tm send-keys n Enter
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
tm kill-server 2>/dev/null
