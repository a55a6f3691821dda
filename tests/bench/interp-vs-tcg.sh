#!/bin/bash
# interp-vs-tcg.sh - `make bench-interp`: the compute workload on our
# interpreter and on QEMU's TCG, side by side in one run (chapter 2).
#
# Boot and power-off cost cancel out: each engine runs compute with n and 2n,
# and the cost of n iterations is T(2n) - T(n). Our interpreter counts the
# guest instructions of its n iterations exactly. QEMU is far faster, so it
# runs QSCALE times more iterations to rise above its boot-time noise; its
# instruction count is the interpreter's exact count per iteration times its
# n (the same binary, the same loop: the per-iteration mean is stable). Host cycles per guest
# instruction use the host clock rate (perf when it can count cycles, else
# /proc/cpuinfo). Each time is the best of REPEAT runs.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
N=${N:-2000000}
QSCALE=${QSCALE:-20}
QN=$((N * QSCALE))

interp() { "$VMM" run --engine interp --disk none --cmdline "run=compute n=$1" "$KERNEL" "${@:2}"; }
qemu() {
    qemu-system-i386 -M pc -m 64 -display none -serial stdio -accel tcg -kernel "$KERNEL" \
        -append "run=compute n=$1" -device isa-debug-exit,iobase=0xf4,iosize=4
}

instructions() {
    interp "$1" --stats=json:"$OUT/interp-$1.json" >/dev/null 2>&1 </dev/null || true
    grep -o '"instructions": [0-9]*' "$OUT/interp-$1.json" | grep -o '[0-9]*$'
}

echo "bench-interp: compute; interp n=$N and $((2 * N)), QEMU n=$QN and $((2 * QN)); best of $REPEAT"
i1=$(instructions "$N")
i2=$(instructions $((2 * N)))
di=$((i2 - i1))
ti1=$(best_time interp "$N"); ti2=$(best_time interp $((2 * N)))
tq1=$(best_time qemu "$QN");  tq2=$(best_time qemu $((2 * QN)))
dq=$(echo "$di * $QSCALE" | bc)
hz=$(host_hz)

dti=$(echo "$ti2 - $ti1" | bc -l)
dtq=$(echo "$tq2 - $tq1" | bc -l)
mips_i=$(echo "$di / $dti / 1000000" | bc -l)
mips_q=$(echo "$dq / $dtq / 1000000" | bc -l)
cpi_i=$(echo "$dti * $hz / $di" | bc -l)
cpi_q=$(echo "$dtq * $hz / $dq" | bc -l)
ratio=$(echo "$mips_i / $mips_q" | bc -l)

{
    printf '| engine | iterations | guest instructions | seconds | MIPS | host cycles per guest instruction |\n'
    printf '|---|---|---|---|---|---|\n'
    printf '| interp (ours) | %d | %d | %.3f | %.1f | %.1f |\n' "$N" "$di" "$dti" "$mips_i" "$cpi_i"
    printf '| QEMU TCG | %d | %d | %.3f | %.1f | %.1f |\n' "$QN" "$dq" "$dtq" "$mips_q" "$cpi_q"
    printf '\nhost clock %.0f MHz; interp speed / QEMU TCG speed = %.3f\n' "$(echo "$hz / 1000000" | bc -l)" "$ratio"
    printf 'anchor: Bochs about 90 MIPS on a 3.4 GHz core (about 38 cycles per instruction)\n'
} | tee "$OUT/bench-interp.md"
