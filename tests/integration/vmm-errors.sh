# vmm-errors.sh - bad input and misbehaving guests get one clear message and
# a documented exit status, never a crash or a hang (chapter 2).
source "$(dirname "$0")/lib.sh"
GUESTS=$BUILD/tests/guests

# expect_vmm NAME STATUS PATTERN -- VMM ARGS...
expect_vmm() {
    local name=$1 want=$2 pattern=$3
    shift 4
    timeout $((60 * TIMEOUT_SCALE)) "$VMM" "$@" </dev/null >"$WORK/out" 2>"$WORK/err"
    local got=$?
    if [ "$got" != "$want" ]; then
        fail "$name" "exit status $got, expected $want ($(head -2 "$WORK/err" | tr '\n' '|'))"
    elif ! grep -q -- "$pattern" "$WORK/err" "$WORK/out"; then
        fail "$name" "no message matching '$pattern' (got: $(head -3 "$WORK/err" | tr '\n' '|'))"
    else
        pass "$name"
    fi
}

# 45 checks, 8 on the trap engine (3 where it cannot run), and one more
# where this host has no /dev/kvm.
plan $((45 + $([ -n "$(trap_unsupported)" ] && echo 3 || echo 8) + $([ -e /dev/kvm ] && echo 0 || echo 1)))

head -c 100 "$KERNEL" >"$WORK/truncated.elf"
head -c 4096 /dev/urandom >"$WORK/random.bin"
: >"$WORK/empty.elf"

expect_vmm "no command" 120 "no command" --
expect_vmm "unknown option" 120 "unknown option '--turbo'" -- run --turbo
expect_vmm "bad --mem" 120 "--mem: 'x'" -- run --mem x
expect_vmm "help" 0 "usage: vmm run" -- --help
# Loader errors name the file, then say what is wrong with it: the patterns
# match the whole line after the path, so a message that lost its reason fails.
expect_vmm "missing guest file" 121 "^vmm: $WORK/nonexistent.elf: cannot open: No such file" \
    -- run "$WORK/nonexistent.elf"
expect_vmm "empty guest file" 121 "^vmm: $WORK/empty.elf: empty file$" -- run "$WORK/empty.elf"
expect_vmm "truncated kernel" 121 \
    "^vmm: $WORK/truncated.elf: truncated program header table (.* file has 100 bytes)$" \
    -- run "$WORK/truncated.elf"
expect_vmm "random bytes as a kernel" 121 "not an ELF" -- run "$WORK/random.bin"
expect_vmm "a 64-bit program as a kernel" 121 "32-bit" -- run "$VMM"
expect_vmm "the guest kernel refuses too little RAM (panic, 100)" 100 "need at least 8 MiB" -- run --mem 4 --disk none "$KERNEL"
expect_vmm "missing disk image" 122 "cannot open the disk image" -- run --disk "$WORK/none.img" "$KERNEL"

# A strict command line: every value an option cannot mean is refused with one
# line naming the option and the value (status 120), never guessed at.
for bad in "--mem|0x40" "--mem|1e3" "--mem| 64" "--mem|64.5" "--mem|1" "--mem|4096" \
           "--timeout|nan" "--timeout|inf" "--timeout|-1" "--timeout|0" "--timeout|1e3" \
           "--timeout|0x10" "--timeout| 5" "--gdb|0" "--gdb|65536" "--gdb|12.0" "--gdb|0x50"; do
    opt=${bad%%|*} value=${bad#*|}
    expect_vmm "$opt '$value' is refused" 120 "$opt: '$value' is not" -- run "$opt" "$value" "$GUESTS/hello.elf"
done
long=$(head -c 5000 /dev/zero | tr '\0' a)
expect_vmm "--cmdline too long for the boot information: status 120" 120 \
    "--cmdline: 'aaaa.*longer than 4096 bytes" -- run --cmdline "$long" "$GUESTS/hello.elf"
expect_vmm "--cmdline of 4096 bytes still boots" 42 "hello guest" \
    -- run --cmdline "$(head -c 4096 /dev/zero | tr '\0' b)" "$GUESTS/hello.elf"
port=$((20000 + RANDOM % 20000))
expect_vmm "--timeout bounds the wait for gdb (--gdb)" 124 "^vmm: timeout: stopped the guest after 1 s" \
    -- run --gdb "$port" --timeout 1 "$GUESTS/hello.elf"
mkfifo "$WORK/disk.fifo"
expect_vmm "--disk a FIFO: refused" 122 "disk.fifo: --disk needs a regular file.*not a FIFO" \
    -- run --disk "$WORK/disk.fifo" "$KERNEL"
expect_vmm "--disk a FIFO,readonly: refused, no wait for a writer" 122 "not a FIFO" \
    -- run --disk "$WORK/disk.fifo,readonly" "$KERNEL"
expect_vmm "--disk /dev/zero: refused" 122 "/dev/zero: --disk needs a regular file.*character device" \
    -- run --disk /dev/zero "$KERNEL"
expect_vmm "--disk /dev/null: refused" 122 "/dev/null: --disk needs a regular file" \
    -- run --disk /dev/null,readonly "$KERNEL"
# --engine kvm: where /dev/kvm is missing or unusable, status 125 and a clear
# message; both are made here in a private mount namespace where we can
# (tests/integration/kvm.sh checks what this host's KVM can do).
if unshare -m true 2>/dev/null; then
    for check in "absent|mount -t tmpfs none /dev" "unusable|mount -t tmpfs none /dev && : >/dev/kvm"; do
        name="kvm: /dev/kvm ${check%%|*}: status 125" how=${check#*|}
        unshare -m sh -c "$how && exec \"\$@\"" sh "$VMM" run --engine kvm "$GUESTS/hello.elf" \
            </dev/null >"$WORK/out" 2>"$WORK/err"
        got=$?
        if [ "$got" = 125 ] && grep -q "KVM is not available on this host" "$WORK/err"; then
            pass "$name"
        else
            fail "$name" "status $got ($(head -2 "$WORK/err" | tr '\n' '|'))"
        fi
    done
else
    skip "kvm: /dev/kvm absent: status 125" "cannot make a private mount namespace here"
    skip "kvm: /dev/kvm unusable: status 125" "cannot make a private mount namespace here"
fi
if [ ! -e /dev/kvm ]; then
    expect_vmm "kvm: no /dev/kvm on this host: status 125" 125 "KVM is not available" \
        -- run --engine kvm "$GUESTS/hello.elf"
fi
expect_vmm "--monitor with no commands: end of input quits (status 0)" 0 "guest is paused" -- run --monitor --disk none "$KERNEL"
expect_vmm "a guest's exit code is the VMM's status" 42 "hello guest" -- run "$GUESTS/hello.elf"
expect_vmm "triple fault stops the run" 123 "triple fault" -- run "$GUESTS/triple-fault.elf"
expect_vmm "unassigned port reported" 123 "unassigned port 0x0099" -- run "$GUESTS/triple-fault.elf"
if [ "$(grep -c 'unassigned port 0x0099' "$WORK/err")" = 1 ]; then
    pass "unassigned port reported once"
else
    fail "unassigned port reported once" "$(grep -c 'unassigned port' "$WORK/err") reports"
fi
expect_vmm "cli; hlt stops the run" 123 "halted with interrupts disabled" -- run "$GUESTS/dead-halt.elf"
expect_vmm "--timeout ends an endless guest" 124 "timeout" -- run --timeout 0.5 "$GUESTS/spin.elf"

# The same misbehaving guests on the trap engine, and the guests that try to
# reach the host kernel from native guest code.
expect_vmm "interp: a wild jump ends in a triple fault" 123 "triple fault" -- run --engine interp "$GUESTS/wild-jump.elf"
trap_why=$(trap_unsupported)
if [ -n "$trap_why" ]; then
    skip "trap: misbehaving guests and host system calls" "$trap_why"
    expect_vmm "trap: a host that cannot run 32-bit code natively is told so, status 125" 125 \
        "no 32-bit user code segment" -- run --engine trap "$GUESTS/hello.elf"
    expect_vmm "auto: falls back to interp where trap cannot run" 42 "hello guest" \
        -- run --engine auto "$GUESTS/hello.elf"
else
    expect_vmm "trap: a guest's exit code is the VMM's status" 42 "hello guest" -- run --engine trap "$GUESTS/hello.elf"
    expect_vmm "trap: triple fault stops the run" 123 "triple fault" -- run --engine trap "$GUESTS/triple-fault.elf"
    expect_vmm "trap: cli; hlt stops the run" 123 "halted with interrupts disabled" -- run --engine trap "$GUESTS/dead-halt.elf"
    expect_vmm "trap: --timeout ends an endless guest" 124 "timeout" -- run --engine trap --timeout 0.5 "$GUESTS/spin.elf"
    expect_vmm "trap: a wild jump ends in a triple fault" 123 "triple fault" -- run --engine trap "$GUESTS/wild-jump.elf"
    for g in int80 sysenter syscall64; do
        expect_vmm "trap: $g never reaches the host kernel" 123 "refused by the seccomp filter" \
            -- run --engine trap "$GUESTS/$g.elf"
        if grep -q "HOST KERNEL RAN\|still running" "$WORK/out"; then
            fail "trap: $g: the guest went on" "$(cat "$WORK/out")"
        fi
    done
fi
