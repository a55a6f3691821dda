# lib.sh - shared helpers of the integration tests (sourced, not run).
#
# Each check prints one line, "PASS: name", "FAIL: name: why" or
# "SKIP: name: why", which tests/run-tests counts. Before its first check a
# script declares how many it makes on this host with `plan N`: the runner
# fails a script that reports fewer (a check that silently went missing),
# that declares none, or that exits with a non-zero status.

BUILD=${BUILD:-build}
KERNEL=$BUILD/guest-os/kernel.elf
DISK=$BUILD/guest-os/disk.img
ORACLE=$BUILD/tests/workload-oracle
TIMEOUT_SCALE=${TIMEOUT_SCALE:-1}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vmm-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

plan() { echo "plan: $1"; }
pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1: $2"; }
skip() { echo "SKIP: $1: $2"; }

# run_qemu CMDLINE [STDIN_FILE]: boot the kernel on the reference PC with a
# fresh copy of the disk; output in $WORK/out, QEMU's exit status in $status.
run_qemu() {
    cp "$DISK" "$WORK/disk.img"
    timeout $((60 * TIMEOUT_SCALE)) qemu-system-i386 -M pc -m 64 -display none \
        -serial stdio -no-reboot -kernel "$KERNEL" -append "$1" \
        -device isa-debug-exit,iobase=0xf4,iosize=4 \
        -drive file="$WORK/disk.img",if=none,id=d0,format=raw \
        -device virtio-blk-pci,drive=d0,disable-modern=on \
        <"${2:-/dev/null}" 2>"$WORK/err" | tr -d '\r' >"$WORK/out"
    status=${PIPESTATUS[0]}
}

# QEMU's isa-debug-exit turns the guest's code C into exit status 2C+1.
qemu_status() { echo $(($1 * 2 + 1)); }

# result_line: the guest's "result:" line from the last run.
result_line() { grep '^result: ' "$WORK/out" | head -1; }

# expect_result NAME EXPECTED_LINE EXPECTED_STATUS
expect_result() {
    local got
    got=$(result_line)
    if [ "$got" != "$2" ]; then
        fail "$1" "expected '$2', got '${got:-nothing}' (output: $(tail -3 "$WORK/out" | tr '\n' '|'))"
    elif [ "$status" != "$3" ]; then
        fail "$1" "exit status $status, expected $3"
    else
        pass "$1"
    fi
}

# expect_output NAME PATTERN: the last run printed a line matching PATTERN.
expect_output() {
    if grep -q -- "$2" "$WORK/out"; then pass "$1"; else fail "$1" "no line matches '$2'"; fi
}

VMM=$BUILD/vmm

# trap_unsupported: nothing where the trap engine runs on this host, else the
# VMM's reason why not (a host kernel without a 32-bit user code segment
# cannot run 32-bit code natively; the trap checks are then skipped).
trap_unsupported() {
    "$VMM" run --engine trap --disk none "$BUILD/tests/guests/hello.elf" </dev/null \
        >/dev/null 2>"$WORK/trap-check"
    [ $? = 125 ] && sed -n 's/^vmm: trap engine: //p' "$WORK/trap-check" | head -1
}

# run_vmm ENGINE CMDLINE [STDIN_FILE] [EXTRA_ARGS...]: boot the bundled guest
# on our VMM with a fresh copy of the disk; output in $WORK/out (stdout) and
# $WORK/err (stderr), the VMM's exit status in $status.
run_vmm() {
    local engine=$1 cmdline=$2 input=${3:-/dev/null}
    shift 3 2>/dev/null || shift $#
    cp "$DISK" "$WORK/disk.img"
    timeout $((300 * TIMEOUT_SCALE)) "$VMM" run --engine "$engine" --disk "$WORK/disk.img" \
        --cmdline "$cmdline" "$@" "$KERNEL" <"$input" 2>"$WORK/err" | tr -d '\r' >"$WORK/out"
    status=${PIPESTATUS[0]}
}

# check_workloads LABEL ENGINE [VMM_ARGS...]: every workload on ENGINE, each
# result line checked against the oracle, then selftest's whole output
# against QEMU's.
check_workloads() {
    local label=$1 engine=$2
    shift 2
    local args=("$@")
    for spec in "compute 20000" "syscall 3000" "forkwait 50" "memtouch 300" \
                "ctxsw 300" "pgtable 100" "io 40"; do
        set -- $spec
        run_vmm "$engine" "run=$1 n=$2" /dev/null "${args[@]}"
        expect_result "$label: $1 n=$2" "$($ORACLE "$1" "$2")" 0
    done
    # QEMU_SELFTEST: a file with QEMU's selftest output, where there is no
    # QEMU to ask (in the nested machine of scripts/nested-kvm).
    if [ -n "${QEMU_SELFTEST:-}" ]; then
        cp "$QEMU_SELFTEST" "$WORK/qemu-selftest"
    elif [ ! -s "$WORK/qemu-selftest" ]; then
        run_qemu "run=selftest n=1"
        cp "$WORK/out" "$WORK/qemu-selftest"
    fi
    run_vmm "$engine" "run=selftest n=1" /dev/null "${args[@]}"
    if [ "$status" = 0 ] && cmp -s "$WORK/out" "$WORK/qemu-selftest"; then
        pass "$label: selftest prints exactly what it prints on QEMU"
    else
        fail "$label: selftest prints exactly what it prints on QEMU" \
             "status $status; diff: $(diff "$WORK/qemu-selftest" "$WORK/out" | head -5 | tr '\n' '|')"
    fi
}

# check_shell LABEL ENGINE [VMM_ARGS...]: drive the shell through serial input.
check_shell() {
    local engine=$2 label=$1
    shift 2
    printf 'help\nls\nhello a=1 b=2\nnosuch\ncompute n=1000\npoweroff 3\n' >"$WORK/in"
    run_vmm "$engine" "" "$WORK/in" "$@"
    local engine=$label
    expect_output "$engine shell: help" "^  poweroff \[CODE\]"
    expect_output "$engine shell: ls lists the workloads" "^forkwait$"
    expect_output "$engine shell: runs a program with arguments" "^hello from pid [0-9]*: a=1 b=2$"
    expect_output "$engine shell: unknown program" "^sh: nosuch: no such program"
    expect_output "$engine shell: runs a workload" "^$($ORACLE compute 1000)$"
    if [ "$status" = 3 ]; then pass "$engine shell: poweroff 3 ends the run with status 3"
    else fail "$engine shell: poweroff 3 ends the run with status 3" "status $status"; fi
}
