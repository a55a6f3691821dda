# escape-suite.sh - Popek and Goldberg's resource control, tried the way a
# hostile guest would (chapter 3, "The guest in its own process"; SECURITY.md).
# tests/guests/escape.S tries one way out of the trap engine per command
# line number: a far jump, call, iret or lret to the host's 64-bit code
# segment followed by raw system calls, calls through registers and the TLS
# pointer, the vsyscall page, a jump above 4 GiB, clearing what it finds,
# int $0x80, sysenter, syscall. Each attempt must end with status 123 (124
# where --timeout fires first) within seconds, with one line from the VMM,
# no file created and nothing on the VMM's stdout.
source "$(dirname "$0")/lib.sh"
GUEST=$PWD/$BUILD/tests/guests/escape.elf
VMM_ABS=$PWD/$VMM
why=$(trap_unsupported)
if [ -n "$why" ]; then
    plan 1
    skip "trap engine: escape suite" "$why"
    exit 0
fi
plan 30                                 # 15 escapes in 2 shadow modes

names=(none "far jump to 0x33, syscall" "far call to 0x33, syscall" "iret to 0x33, syscall"
       "lret to 0x33, syscall" "call through r15" "call through r13" "call through r12"
       "call through r11" "call through the TLS pointer" "the vsyscall page"
       "a jump above 4 GiB" "clearing what it finds, then spinning" "int \$0x80" "sysenter"
       "syscall in 32-bit mode")

for n in $(seq 1 15); do
    for shadow in traced vtlb; do
        name="trap ($shadow): escape $n, ${names[$n]}: stopped, status 123"
        dir=$WORK/run-$n-$shadow
        mkdir -p "$dir"
        start=$(date +%s%N)
        (cd "$dir" && timeout $((20 * TIMEOUT_SCALE)) "$VMM_ABS" run --engine trap --shadow $shadow \
            --disk none --timeout 5 --cmdline "n=$n" "$GUEST" </dev/null >out 2>err)
        status=$?
        ms=$(( ($(date +%s%N) - start) / 1000000 ))
        if [ -e "$dir/escape-marker" ]; then
            fail "$name" "the guest created a file on the host"
        elif [ -s "$dir/out" ]; then
            fail "$name" "the guest wrote on the VMM's stdout: $(head -c 80 "$dir/out" | tr '\n' '|')"
        elif [ "$status" != 123 ] && ! { [ "$n" = 12 ] && [ "$status" = 124 ]; }; then
            fail "$name" "status $status ($(head -2 "$dir/err" | tr '\n' '|'))"
        elif [ "$ms" -gt $((10000 * TIMEOUT_SCALE)) ]; then
            fail "$name" "took $ms ms"
        elif [ "$status" = 123 ] && [ "$(grep -c '^vmm: ' "$dir/err")" != 1 ]; then
            fail "$name" "expected one line saying what the guest did, got: $(tr '\n' '|' <"$dir/err")"
        else
            pass "$name ($(grep -m1 '^vmm: ' "$dir/err" | cut -c1-90))"
        fi
    done
done
