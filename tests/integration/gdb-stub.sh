# gdb-stub.sh - the gdb stub (chapter 7): Debian's gdb against `vmm run
# --gdb PORT` on the interp and trap engines, asserting on gdb's own
# output; and bad packets, which get '-' or an error reply, never a crash.
source "$(dirname "$0")/lib.sh"

if ! command -v gdb >/dev/null; then
    plan 1
    skip "gdb stub" "gdb is not installed"
    exit 0
fi
plan 19

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
        -ex 'x/4x $esp' -ex stepi -ex 'info registers eip' -ex 'p/x $cs' -ex detach \
        "$KERNEL" >"$WORK/gdb" 2>&1
    finish
    expect_gdb "$label: breakpoint set from the symbol" "^Breakpoint 1 at $addr"
    expect_gdb "$label: stops at the breakpoint" "^Breakpoint 1, .*$name"
    expect_gdb "$label: info registers eip" "^eip  *$addr  *$addr <$name>"
    expect_gdb "$label: x/4x \$esp reads the stack" "^0x[0-9a-f]*.*:	0x[0-9a-f]*	0x"
    expect_gdb "$label: stepi moves one instruction" "^eip  *0x[0-9a-f]*  *0x[0-9a-f]* <$name+1>"
    expect_gdb "$label: segment registers" "^\$1 = 0x8"
    expect_gdb "$label: detach" "Inferior 1 (Remote target) detached"
    expect_result "$label: the guest runs on after detach" "$($ORACLE compute 1000)" 0
}

check_gdb interp exec
trap_why=$(trap_unsupported)
if [ -n "$trap_why" ]; then skip "gdb stub on the trap engine" "$trap_why"
else check_gdb trap kmain; fi

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
    -+\$E01#a6+\$E01#a6+\$E01#a6+\$#00+\$PacketSize=1000#*+\$*)
        pass "raw packets: '-' for a bad checksum, E01 for malformed, empty for unknown" ;;
    *)  fail "raw packets" "replies: '$replies'" ;;
    esac
    if [ "$status" = 0 ]; then pass "raw packets: k ends the run, status 0"
    else fail "raw packets: k ends the run, status 0" "status $status: $(cat "$WORK/err")"; fi
else
    fail "raw packets: the stub listens" "$(cat "$WORK/err")"
fi

# The port is checked before the guest starts.
"$VMM" run --gdb 99999 "$KERNEL" </dev/null >/dev/null 2>"$WORK/err"
if [ $? = 120 ] && grep -q "not a TCP port" "$WORK/err"; then pass "--gdb: a bad port is refused"
else fail "--gdb: a bad port is refused" "$(cat "$WORK/err")"; fi
