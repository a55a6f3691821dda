# gdb-stub.sh - the gdb stub (chapter 7): Debian's gdb against `vmm run
# --gdb PORT` on the interp and trap engines, asserting on gdb's own
# output; and bad packets, which get '-' or an error reply, never a crash.
source "$(dirname "$0")/lib.sh"

if ! command -v gdb >/dev/null; then
    plan 1
    skip "gdb stub" "gdb is not installed"
    exit 0
fi

# start_vmm ENGINE CMDLINE: the VMM in the background, waiting for gdb on
# a free port ($PORT); its output in $WORK/out and $WORK/err.
start_vmm() {
    cp "$DISK" "$WORK/disk.img"
    PORT=$(( 20000 + (RANDOM % 20000) ))
    timeout $((120 * TIMEOUT_SCALE)) "$VMM" run --engine "$1" --disk "$WORK/disk.img" \
        --cmdline "$2" --gdb "$PORT" "$KERNEL" </dev/null >"$WORK/out" 2>"$WORK/err" &
    VMM_PID=$!
    for _ in $(seq 100); do
        grep -q "waiting for gdb" "$WORK/err" && return 0
        sleep 0.05
    done
    return 1
}

# finish NAME: wait for the VMM; its status in $status.
finish() {
    wait "$VMM_PID"
    status=$?
    tr -d '\r' <"$WORK/out" >"$WORK/out.txt" && mv "$WORK/out.txt" "$WORK/out"
}

expect_gdb() {      # expect_gdb NAME PATTERN: gdb's output has a line matching it
    if grep -q -- "$2" "$WORK/gdb"; then pass "$1"
    else fail "$1" "no line matches '$2' in gdb's output: $(tail -8 "$WORK/gdb" | tr '\n' '|')"; fi
}

# check_gdb ENGINE SYMBOL: break, continue, registers, memory, stepi, detach.
check_gdb() {
    local engine=$1 name=$2 label="gdb on $1"
    local addr=0x$(nm "$KERNEL" | awk -v s="$name" '$3 == s { print $1 }')
    if ! start_vmm "$engine" "run=compute n=1000"; then
        fail "$label: the stub listens" "$(cat "$WORK/err")"
        return
    fi
    timeout $((60 * TIMEOUT_SCALE)) gdb -batch -nx -ex 'set architecture i386' \
        -ex "target remote :$PORT" -ex "break $name" -ex continue -ex 'info registers eip' \
        -ex 'x/4x $esp' -ex stepi -ex 'info registers eip' -ex 'p/x $cs' -ex 'p/x $cr0' \
        -ex 'p/x $cr3' -ex 'info all-registers' -ex 'info float' -ex 'monitor regs' \
        -ex 'monitor cont' -ex 'set $cs = 0x10' -ex 'set $eax = 0x1234' -ex 'p/x $eax' \
        -ex detach "$KERNEL" >"$WORK/gdb" 2>&1
    finish
    expect_gdb "$label: breakpoint set from the symbol" "^Breakpoint 1 at $addr"
    expect_gdb "$label: stops at the breakpoint" "^Breakpoint 1, .*$name"
    expect_gdb "$label: info registers eip" "^eip  *$addr  *$addr <$name>"
    expect_gdb "$label: x/4x \$esp reads the stack" "^0x[0-9a-f]*.*:	0x[0-9a-f]*	0x"
    expect_gdb "$label: stepi moves one instruction" "^eip  *0x[0-9a-f]*  *0x[0-9a-f]* <$name+1>"
    expect_gdb "$label: segment registers" "^\$1 = 0x8"
    expect_gdb "$label: p/x \$cr0 (target.xml): PG and PE set" "^\$2 = 0x800[0-9a-f]*[13]$"
    expect_gdb "$label: p/x \$cr3" "^\$3 = 0x[0-9a-f]*000$"
    expect_gdb "$label: info all-registers: no FPU, said so" "^st0  *<unavailable>"
    expect_gdb "$label: info all-registers: the control registers" "^cr3  *0x[0-9a-f]*000 "
    expect_gdb "$label: info float works" "^Control Word: *<unavailable>"
    expect_gdb "$label: monitor regs (qRcmd)" "^eip 0x[0-9a-f]* <$name+1>$"
    expect_gdb "$label: monitor cont is gdb's job" "^monitor cont: gdb runs the guest here"
    expect_gdb "$label: set \$cs is refused, not ignored" "Could not write register \"cs\""
    expect_gdb "$label: set \$eax is written" "^\$4 = 0x1234$"
    expect_gdb "$label: detach" "Inferior 1 (Remote target) detached"
    expect_result "$label: the guest runs on after detach" "$($ORACLE compute 1000)" 0
}

# The trap engine needs a host that runs 32-bit code natively
# (trap_unsupported says why not); skip its checks there.
trap_why=$(trap_unsupported)
# 36 checks, and 17 more on the trap engine (one SKIP where it cannot run).
plan $((36 + $([ -n "$trap_why" ] && echo 1 || echo 17)))

check_gdb interp exec
if [ -z "$trap_why" ]; then check_gdb trap kmain
else skip "gdb on trap" "$trap_why"; fi

# Hardware watchpoints (Z2, Z3) on interp: gdb shows old and new value.
if start_vmm interp "run=compute n=100000"; then
    timeout 60 gdb -batch -nx -ex "target remote :$PORT" -ex 'watch ticks' -ex continue \
        -ex continue -ex 'delete 1' -ex 'rwatch ticks' -ex continue -ex kill \
        "$KERNEL" >"$WORK/gdb" 2>&1
    finish
    expect_gdb "gdb watch (Z2): a hardware watchpoint" "^Hardware watchpoint 1: ticks"
    expect_gdb "gdb watch (Z2): old and new value" "^Old value = 1$"
    expect_gdb "gdb watch (Z2): the new value" "^New value = 2$"
    expect_gdb "gdb rwatch (Z3): stops on the read" "^Value = [0-9]"
else
    fail "gdb watch: the stub listens" "$(cat "$WORK/err")"
fi

# A breakpoint in a user program (gdb's add-symbol-file), reached.
if start_vmm interp "run=compute n=1000"; then
    timeout 60 gdb -batch -nx -ex "target remote :$PORT" \
        -ex "add-symbol-file $BUILD/guest-os/user/compute" -ex 'break main' -ex continue \
        -ex 'p/x $eip' -ex 'monitor regs' -ex detach "$KERNEL" >"$WORK/gdb" 2>&1
    finish
    expect_gdb "gdb: a user-program breakpoint is reached" "^Breakpoint 1, .*main ()"
    expect_gdb "gdb: at CPL 3 (monitor regs)" "cpl 3$"
    expect_result "gdb: the program runs on after detach" "$($ORACLE compute 1000)" 0
else
    fail "gdb user breakpoint: the stub listens" "$(cat "$WORK/err")"
fi

# Reattach: after a detach the port stays open; a second gdb stops the
# running guest and can kill it.
if start_vmm interp "run=compute n=300000000"; then
    timeout 30 gdb -batch -nx -ex "target remote :$PORT" -ex detach "$KERNEL" >"$WORK/gdb" 2>&1
    timeout 30 gdb -batch -nx -ex "target remote :$PORT" -ex 'p/x $eflags' -ex 'monitor engine' \
        -ex kill "$KERNEL" >"$WORK/gdb2" 2>&1
    finish
    if grep -q "^\$1 = 0x" "$WORK/gdb2" && grep -q "^engine interp" "$WORK/gdb2" &&
       [ "$(grep -c 'gdb connected' "$WORK/err")" = 2 ]; then
        pass "reattach: a second gdb after detach stops the guest"
    else
        fail "reattach: a second gdb after detach stops the guest" \
             "$(tr '\n' '|' <"$WORK/gdb2") / $(tr '\n' '|' <"$WORK/err")"
    fi
    if [ "$status" = 0 ]; then pass "reattach: kill from the second gdb ends the run, status 0"
    else fail "reattach: kill from the second gdb ends the run, status 0" "status $status"; fi
else
    fail "reattach: the stub listens" "$(cat "$WORK/err")"
fi

# Raw packets: a bad checksum gets '-', malformed commands "E01", an
# unknown one the empty reply; 'k' ends the run. The VMM must survive all.
# packet PAYLOAD: $PAYLOAD#checksum
packet() {
    local p=$1 sum=0 i
    for ((i = 0; i < ${#p}; i++)); do
        sum=$(( (sum + $(printf '%d' "'${p:i:1}")) % 256 ))
    done
    printf '$%s#%02x' "$p" "$sum"
}
if start_vmm interp "run=compute n=10"; then
    exec 3<>"/dev/tcp/127.0.0.1/$PORT"
    { printf '$g#00'; packet 'mzz,4'; packet 'm0,99999999'; packet 'Z0,1'; packet 'vNosuch';
      printf 'noise\x03'; packet 'qSupported'; packet 'm10000c,4'; packet 'k'; } >&3
    timeout 5 cat <&3 >"$WORK/replies"
    exec 3>&-
    finish
    replies=$(cat "$WORK/replies")
    case "$replies" in
    -+\$E01#a6+\$E01#a6+\$E01#a6+\$#00+\$PacketSize=1000\;qXfer:features:read+#*+\$*)
        pass "raw packets: '-' for a bad checksum, E01 for malformed, empty for unknown" ;;
    *)  fail "raw packets" "replies: '$replies'" ;;
    esac
    if [ "$status" = 0 ]; then pass "raw packets: k ends the run, status 0"
    else fail "raw packets: k ends the run, status 0" "status $status: $(cat "$WORK/err")"; fi
else
    fail "raw packets: the stub listens" "$(cat "$WORK/err")"
fi

# A busy port is "not available" (125), not a memory or disk problem (122).
if start_vmm interp "run=compute n=300000000"; then
    "$VMM" run --gdb "$PORT" "$KERNEL" </dev/null >/dev/null 2>"$WORK/err2"
    rc=$?
    kill "$VMM_PID" 2>/dev/null
    wait "$VMM_PID" 2>/dev/null
    if [ $rc = 125 ] && grep -q "cannot listen on 127.0.0.1:$PORT" "$WORK/err2"; then
        pass "--gdb: a busy port is status 125"
    else fail "--gdb: a busy port is status 125" "status $rc: $(cat "$WORK/err2")"; fi
fi

# The port is checked before the guest starts.
"$VMM" run --gdb 99999 "$KERNEL" </dev/null >/dev/null 2>"$WORK/err"
if [ $? = 120 ] && grep -q "not a TCP port" "$WORK/err"; then pass "--gdb: a bad port is refused"
else fail "--gdb: a bad port is refused" "$(cat "$WORK/err")"; fi

# ---- a real terminal (tmux): keys while waiting for gdb, and the monitor
# while gdb is attached ----
if ! command -v tmux >/dev/null; then
    skip "gdb stub in a terminal" "tmux is not installed"
    exit 0
fi
SOCK="vmm-gdb-test-$$"
tm() { tmux -L "$SOCK" "$@"; }
screen_has() {      # screen_has PATTERN: wait up to 15 s for it on the pane
    for _ in $(seq 150); do
        tm capture-pane -p -S -200 | grep -q -- "$1" && return 0
        sleep 0.1
    done
    return 1
}
screen() { tm capture-pane -p | grep -v '^$' | tail -6 | tr '\n' '|'; }
cp "$DISK" "$WORK/disk.img"
PORT=$(( 20000 + (RANDOM % 20000) ))
tm new-session -d -x 150 -y 50 "bash --norc --noprofile"
n=0
for key in C-c C-d; do
    n=$((n + 1))
    tm send-keys "$VMM run --engine interp --disk $WORK/disk.img --gdb $PORT $KERNEL; echo status$n=\$?" Enter
    if screen_has "waiting for gdb on 127.0.0.1:$PORT"; then
        if [ $n = 1 ]; then     # raw mode: a message needs its carriage return
            if tm capture-pane -p -S -200 | grep -q "^vmm: waiting for gdb"; then
                pass "terminal: messages start at the left margin (carriage return)"
            else fail "terminal: messages start at the left margin (carriage return)" "$(screen)"; fi
        fi
        tm send-keys "$key"
        if screen_has "^status$n=126"; then pass "terminal: $key while waiting for gdb quits (126)"
        else fail "terminal: $key while waiting for gdb quits (126)" "$(screen)"; fi
    else
        fail "terminal: the stub waits" "$(screen)"
    fi
    tm send-keys "clear" Enter
    sleep 0.3
    tm clear-history
done

# Ctrl-A c while gdb is attached: the monitor; cont gives the guest back
# to gdb; quit ends the run (status 0, as quit does), and gdb hears of it.
tm send-keys "$VMM run --engine interp --disk $WORK/disk.img --cmdline 'run=compute n=300000000' --gdb $PORT $KERNEL; echo status3=\$?" Enter
if screen_has "waiting for gdb on 127.0.0.1:$PORT"; then
    timeout 60 gdb -batch -nx -ex "target remote :$PORT" -ex continue -ex 'p/x $eip' \
        "$KERNEL" >"$WORK/gdb" 2>&1 &
    GDB_PID=$!
    screen_has "gdb connected"
    sleep 1
    tm send-keys C-a c
    if screen_has "the monitor, while gdb waits"; then pass "terminal: Ctrl-A c under gdb opens the monitor"
    else fail "terminal: Ctrl-A c under gdb opens the monitor" "$(screen)"; fi
    tm send-keys "regs" Enter
    if screen_has "^eflags 0x"; then pass "terminal: a monitor command while gdb is attached"
    else fail "terminal: a monitor command while gdb is attached" "$(screen)"; fi
    tm send-keys "cont" Enter
    screen_has "back to the guest, under gdb"
    sleep 0.5
    tm send-keys C-a c
    sleep 1
    tm send-keys "quit" Enter
    wait "$GDB_PID"
    if screen_has "^status3=0" && grep -q "killed\|Killed\|exited" "$WORK/gdb"; then
        pass "terminal: quit from the monitor under gdb ends both"
    else fail "terminal: quit from the monitor under gdb ends both" "$(screen) / $(tr '\n' '|' <"$WORK/gdb")"; fi
else
    fail "terminal: the stub waits (monitor under gdb)" "$(screen)"
fi
tm kill-server 2>/dev/null
