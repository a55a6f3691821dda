# lib.sh - shared helpers of the integration tests (sourced, not run).
#
# Each check prints one line, "PASS: name", "FAIL: name: why" or
# "SKIP: name: why", which tests/run-tests counts.

BUILD=${BUILD:-build}
KERNEL=$BUILD/guest-os/kernel.elf
DISK=$BUILD/guest-os/disk.img
ORACLE=$BUILD/tests/workload-oracle
TIMEOUT_SCALE=${TIMEOUT_SCALE:-1}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vmm-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

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
