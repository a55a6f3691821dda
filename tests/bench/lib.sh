# lib.sh - shared helpers of the benchmark scripts (sourced).
#
# Costs are taken as (T(2n) - T(n)) / n, so that boot and power-off cancel:
# every time is the best of REPEAT runs of a whole command.
BUILD=${BUILD:-build}
REPEAT=${REPEAT:-3}
VMM=$BUILD/vmm
KERNEL=$BUILD/guest-os/kernel.elf
GUESTS=$BUILD/tests/guests
OUT=${BENCH_OUT:-$BUILD/bench}         # the bench-quick test writes elsewhere
mkdir -p "$OUT"

now() { date +%s.%N; }

# best_time CMD...: the smallest wall time of REPEAT runs, in seconds.
best_time() {
    local best=""
    for _ in $(seq "$REPEAT"); do
        local t0 t1 t
        t0=$(now)
        "$@" >/dev/null 2>&1 </dev/null || true
        t1=$(now)
        t=$(echo "$t1 - $t0" | bc -l)
        if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
    done
    echo "$best"
}

# per_op N CMD_WITH_N... : (T(2N) - T(N)) / N in microseconds; the command
# is given as a function name taking n as its first argument.
per_op_us() {
    local n=$1 fn=$2
    shift 2
    local t1 t2
    t1=$(best_time "$fn" "$n" "$@")
    t2=$(best_time "$fn" $((2 * n)) "$@")
    echo "($t2 - $t1) / $n * 1000000" | bc -l
}

# The host clock rate from /proc/cpuinfo (the nominal rate: turbo aside).
host_hz() {
    local mhz
    mhz=$(grep -m1 'cpu MHz' /proc/cpuinfo | awk -F: '{print $2}' | tr -d ' ')
    echo "${mhz:-0} * 1000000" | bc -l
}
