#!/bin/bash
# trap-costs.sh - `make bench-trap`: what trap-and-emulate costs, measured
# side by side in one run (chapters 3-4):
#   - compute on the trap engine against the same code run natively;
#   - one trap round trip (cli at guest CPL 0: #GP, signal, emulate, back);
#   - one hidden fault (first touch of a page, paging off: the shadow fills it);
#   - one guest system call (int $0x40 and iret, with ring compression);
#   - one pgtable round (sbrk +4 pages, touch, sbrk -4: PTE writes), in both
#     shadow modes;
#   - one exit round trip through the guest's own process, with the test
#     guests of test_trap_stub (64-bit code: any x86-64 host runs them), and
#     for comparison a signal round trip inside one process;
#   - the host's own costs under them (tests/bench/host-costs.c): a page
#     mapped, first touched and hidden again, and one signal round trip.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
NATIVE=$OUT/native-compute

native()   { "$NATIVE" "$1"; }
trap_w()   { "$VMM" run --engine trap --shadow "${2:-traced}" --disk none --cmdline "run=$3 n=$1" "$KERNEL"; }
compute()  { trap_w "$1" traced compute; }
clis()     { "$VMM" run --engine trap --disk none --cmdline "n=$1" "$GUESTS/cli-loop.elf"; }
touches()  { "$VMM" run --engine trap --mem 512 --disk none --cmdline "n=$1" "$GUESTS/touch-pages.elf"; }
syscalls() { trap_w "$1" "$2" syscall; }
pgtables() { trap_w "$1" "$2" pgtable; }

hop=$(TRAP_STUB_BENCH=${HOPS:-20000} "$BUILD/tests/test_trap_stub" 2>&1 |
      sed -n 's/.*exit round trip through the guest.s process: \([0-9.]*\) us.*/\1/p')
signal_rt=$("$OUT/signal-round-trip" ${HOPS:-20000})
printf '| exit round trip through the guest process (stub hop) | %s us |\n' "$hop"
printf '| signal round trip inside one process (the old exit) | %s us |\n' "$signal_rt"
if ! "$VMM" run --engine trap --disk none "$GUESTS/hello.elf" >/dev/null 2>"$OUT/trap-check" </dev/null &&
   grep -q "no 32-bit user code segment" "$OUT/trap-check"; then
    echo "bench-trap: the trap engine cannot run on this host: $(head -1 "$OUT/trap-check")"
    exit 0
fi

N=${N:-40000000}
echo "bench-trap: best of $REPEAT; each cost is (T(2n) - T(n)) / n"
t_native=$(per_op_us "$N" native)
t_trap=$(per_op_us "$N" compute)
ratio=$(echo "$t_native / $t_trap" | bc -l)
t_cli=$(per_op_us 200000 clis)
t_touch=$(per_op_us 30000 touches)
t_sys_traced=$(per_op_us 5000 syscalls traced)
t_sys_vtlb=$(per_op_us 5000 syscalls vtlb)
t_pg_traced=$(per_op_us 1000 pgtables traced)
t_pg_vtlb=$(per_op_us 1000 pgtables vtlb)
{
    provenance bench-trap
    echo
    printf '| what | cost |\n|---|---|\n'
    printf '| compute, one iteration, native (32-bit host program) | %.4f us |\n' "$t_native"
    printf '| compute, one iteration, trap engine | %.4f us |\n' "$t_trap"
    printf '| trap engine speed / native speed on compute | %.3f |\n' "$ratio"
    printf '| trap round trip (cli at guest CPL 0) | %.2f us |\n' "$t_cli"
    printf '| hidden fault (first touch, paging off) | %.2f us |\n' "$t_touch"
    printf '| guest system call (getpid), traced shadow | %.2f us |\n' "$t_sys_traced"
    printf '| guest system call (getpid), vtlb shadow | %.2f us |\n' "$t_sys_vtlb"
    printf '| pgtable round (4 maps, 4 unmaps, 2 sbrk calls), traced | %.2f us |\n' "$t_pg_traced"
    printf '| pgtable round, vtlb | %.2f us |\n' "$t_pg_vtlb"
} | tee "$OUT/bench-trap.md"
# The host's side of a hidden fault and of an exit (chapter 3): host-costs.c
# makes the same calls as vmm/trap-host.c and trap-signals.c, in a loop.
echo
"$BUILD/bench/host-costs" "${HOST_ROUNDS:-200}" | tee -a "$OUT/bench-trap.md"
