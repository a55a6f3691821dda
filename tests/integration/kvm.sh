# kvm.sh - the KVM engine (chapter 05-kvm-and-ept.md), tested as far as this
# host's KVM allows. Small guests run everywhere /dev/kvm works; the full
# guest OS needs VT-x or AMD-V. Where KVM has no hardware assist the full
# guest must fail fast with a clear message, and kvm-hw.sh runs this script
# again in a nested machine that has it (scripts/nested-kvm).
source "$(dirname "$0")/lib.sh"
GUESTS=$BUILD/tests/guests

# run_kvm SECONDS ARGS...: our VMM on the kvm engine; stdout in $WORK/out,
# stderr in $WORK/err, exit status in $status, seconds taken in $took.
run_kvm() {
    local limit=$(($1 * TIMEOUT_SCALE)) start=$SECONDS
    shift
    timeout "$limit" "$VMM" run --engine kvm "$@" </dev/null >"$WORK/out" 2>"$WORK/err"
    status=$? took=$((SECONDS - start))
}

# check NAME STATUS PATTERN: the last run ended with STATUS and printed PATTERN.
check() {
    if [ "$status" != "$2" ]; then
        fail "$1" "exit status $status, expected $2 ($(grep -v '^  ' "$WORK/err" | head -3 | tr '\n' '|'))"
    elif ! grep -q -- "$3" "$WORK/out" "$WORK/err"; then
        fail "$1" "no line matches '$3' ($(head -3 "$WORK/err" | tr '\n' '|'))"
    else
        pass "$1"
    fi
}

if [ ! -e /dev/kvm ]; then
    plan 1
    skip "kvm: every check" "this host has no /dev/kvm"
    exit 0
fi
run_kvm 60 "$GUESTS/hello.elf"
if [ "$status" = 125 ]; then
    plan 1
    skip "kvm: every check" "/dev/kvm is not usable here: $(grep 'kvm:' "$WORK/err" | head -1)"
    exit 0
fi
# 15 checks on the small guests; then without hardware assist one more
# warning, 2 checks on the full guest and 3 SKIPs; with it 14 (workloads, shell).
if grep -q "^vmm: kvm: MMU: none" "$WORK/err"; then plan 21; else plan 29; fi

# What kind of KVM this is: the engine says so on its first line.
check "kvm: hello.elf prints its line and exits with 42 through /dev/kvm" 42 "^hello guest: protected mode"
check "kvm: the engine names the MMU KVM uses" 42 "^vmm: kvm: MMU: "
if grep -q "^vmm: kvm: MMU: none" "$WORK/err"; then
    assisted=no
    why=$(sed -n 's/^vmm: kvm: MMU: none (no hardware assist) (\(.*\))$/\1/p' "$WORK/err")
    check "kvm: no hardware assist: the engine warns that the full guest will not run" 42 \
        "the full guest OS will not"
else
    assisted=yes
fi

# KVM's own counters: required where /dev/kvm offers them (asked by
# kvm-caps, not by the engine), a SKIP with the reason where it does not.
run_kvm 60 --stats "$GUESTS/hello.elf"
check "kvm: --stats shows our exit table" 42 "I/O instruction"
stats_fd=$("$BUILD/tests/kvm-caps" binary-stats-fd 2>&1)
if [ "$stats_fd" = "binary-stats-fd yes" ]; then
    check "kvm: --stats shows KVM's own counters (KVM_GET_STATS_FD)" 42 \
        "KVM's counters for the vCPU (kvm-[0-9]*/vcpu-0"
    check "kvm: KVM counted the guest's exits" 42 "^  exits  *[1-9]"
elif [ "$stats_fd" = "binary-stats-fd no" ]; then
    check "kvm: --stats says this host's KVM has no counters to offer" 42 \
        "KVM's counters for the vCPU: not offered by this host"
    skip "kvm: KVM counted the guest's exits" "this host's KVM has no KVM_CAP_BINARY_STATS_FD"
else
    fail "kvm: ask /dev/kvm for KVM_CAP_BINARY_STATS_FD" "kvm-caps: $stats_fd"
    fail "kvm: KVM counted the guest's exits" "unknown whether KVM offers its counters"
fi

# String I/O: one KVM_EXIT_IO carries every repetition of a rep ins/outs.
run_kvm 30 "$GUESTS/string-io.elf"
check "kvm: rep outsb sends its whole string in one exit" 0 \
    "^string-io: rep outsb wrote this whole line in one instruction$"
check "kvm: std; rep outsb goes backwards" 0 \
    "^string-io: std; rep outsb printed this line from its last byte$"
check "kvm: rep outsl and rep insl do every repetition" 0 \
    "^string-io: rep outsl wrote 4 dwords, rep insl read 16 of 16$"

# Interrupts: PIC and PIT in user space, injected with KVM_INTERRUPT into a
# guest that waits in hlt. The guest never irets (see kvm-tick.S).
run_kvm 30 --stats "$GUESTS/kvm-tick.elf"
check "kvm: a PIT interrupt wakes a halted guest (KVM_EXIT_HLT, KVM_INTERRUPT)" 42 \
    "^tick guest: IRQ 0 arrived"
check "kvm: the halt is counted as exit 12" 42 "^    12  HLT"

# Misbehaving guests: a clear message and a VMM status, never a hang.
run_kvm 30 "$GUESTS/dead-halt.elf"
check "kvm: cli; hlt stops the run" 123 "halted with interrupts disabled"
run_kvm 30 --timeout 0.5 "$GUESTS/spin.elf"
check "kvm: --timeout ends an endless guest" 124 "timeout"
run_kvm 60 "$GUESTS/triple-fault.elf"
check "kvm: a guest that faults with no IDT stops with a message" 123 \
    "triple fault\|KVM_EXIT_INTERNAL_ERROR"

# --engine auto picks kvm only where KVM is hardware-assisted.
timeout $((60 * TIMEOUT_SCALE)) "$VMM" run --engine auto "$GUESTS/hello.elf" </dev/null \
    >"$WORK/out" 2>"$WORK/err"
status=$?
if [ $assisted = yes ]; then
    check "kvm: --engine auto picks kvm where KVM is hardware-assisted" 42 "^vmm: kvm: MMU: "
elif grep -q "vmm: kvm:" "$WORK/err"; then
    fail "kvm: --engine auto does not pick kvm without hardware assist" "it did"
else
    check "kvm: --engine auto does not pick kvm without hardware assist" 42 "^hello guest"
fi

if [ $assisted = no ]; then
    # The full guest must fail fast and say why. KVM's software back end
    # refuses 32-bit paging (#GP, then a triple fault: no IDT yet) and
    # cannot emulate a protected-mode iret (KVM_EXIT_INTERNAL_ERROR).
    cp "$DISK" "$WORK/disk.img"
    run_kvm 120 --disk "$WORK/disk.img" --cmdline "run=compute n=1000" "$KERNEL"
    check "kvm: without hardware assist the full guest stops with a VMM error status" 123 \
        "no hardware assist"
    if [ "$took" -le $((60 * TIMEOUT_SCALE)) ]; then
        pass "kvm: ... and within a bounded time (${took} s)"
    else
        fail "kvm: ... and within a bounded time" "took ${took} s"
    fi
    # The checks that need hardware assist run in a nested machine that has
    # it (kvm-hw.sh, scripts/nested-kvm): this script among them.
    echo "note: this host's KVM has no hardware assist ($why): the full guest OS on kvm is tested in a nested machine by kvm-hw.sh"
else
    check_workloads "kvm" kvm
    check_shell "kvm" kvm
    run_vmm kvm "run=popf n=2000000"
    expect_result "kvm: popf clears IF at CPL 0 (the guest runs at its own CPL 0)" \
        "result: popf n=2000000 if_before=1 if_after_popf=0 interrupts_while_masked=no" 0
fi
