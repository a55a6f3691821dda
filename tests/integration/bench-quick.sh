# bench-quick.sh - the benchmark harness of chapter 8 at its smallest size:
# every engine on every workload once, tiny n. Checks structure only, never
# timings: results.json has one record per engine x workload, the numbers
# parse, kvm is marked unavailable where KVM is not hardware-assisted, the
# Markdown table and (with gnuplot) the plots exist.
source "$(dirname "$0")/lib.sh"
plan 8

BENCH=$WORK/bench
if ! SIZE=tiny REPEAT=1 BENCH_OUT=$BENCH timeout $((120 * TIMEOUT_SCALE)) \
        tests/bench/shadow-vs-ept.sh >"$WORK/bench.log" 2>&1; then
    fail "bench: the harness ran" "$(tail -3 "$WORK/bench.log" | tr '\n' '|')"
    exit 0
fi
pass "bench: the harness ran"

json=$BENCH/results.json
records=$(grep -c '^{"engine"' "$json")
if [ "$records" = $((14 * 6)) ]; then pass "bench: 84 records (14 workloads x 6 engines)"
else fail "bench: 84 records (14 workloads x 6 engines)" "found $records"; fi

missing=""
for w in syscall pio pgfault divzero ptemod callret cr3 clisti compute forkwait memtouch ctxsw pgtable io; do
    for e in native interp trap-vtlb trap-traced kvm qemu-tcg; do
        grep -q "^{\"engine\": \"$e\", \"workload\": \"$w\"" "$json" || missing="$missing $e/$w"
    done
done
if [ -z "$missing" ]; then pass "bench: every engine x workload has its record"
else fail "bench: every engine x workload has its record" "missing:$missing"; fi

# Every record that ran has a number of ns per operation; nothing failed.
bad=$(grep '^{"engine"' "$json" | awk '/"status": "ok"/ && !/"ns_per_op": -?[0-9][0-9.e+-]*,/' | head -1)
failed=$(grep -c '"status": "failed"' "$json" || true)
if [ -z "$bad" ] && [ "$failed" = 0 ]; then pass "bench: every run gave a number of ns per operation"
else fail "bench: every run gave a number of ns per operation" "$failed failed; ${bad:0:200}"; fi

# Our engines report exits and counters; QEMU cannot (n/a, null). Where the
# trap engine cannot run on this host its records say so instead.
if grep -q '"engine": "trap-traced", .*"status": "unavailable", "note": "the host cannot run 32-bit' "$json"; then
    skip "bench: trap engine counters" "the host cannot run 32-bit code natively"
    trap_ok=yes
elif grep '"engine": "trap-traced"' "$json" | grep -q '"exits_per_op": {"total": [0-9.e+-]*, "by_reason": {'; then
    trap_ok=yes
else
    trap_ok=no
fi
if [ "$trap_ok" = yes ] &&
   grep '"engine": "interp", "workload": "pgtable"' "$json" | grep -q '"mmu_model.nested.refs": [0-9]' &&
   grep '"engine": "qemu-tcg"' "$json" | grep -q '"exits_per_op": null'; then
    pass "bench: exits and model counters for our engines, none for QEMU"
else
    fail "bench: exits and model counters for our engines, none for QEMU" "see $json"
fi

if grep -qE 'vmx|svm' /proc/cpuinfo; then
    skip "bench: kvm marked unavailable" "this host has hardware virtualization"
elif [ "$(grep -c '"engine": "kvm", .*"status": "unavailable", "note": "not hardware-assisted here' "$json")" = 14 ]; then
    pass "bench: kvm marked not hardware-assisted here, never timed"
else
    fail "bench: kvm marked not hardware-assisted here, never timed" "see $json"
fi

if [ -s "$BENCH/results.md" ] && grep -q '^| operation | native | interp |' "$BENCH/results.md"; then
    pass "bench: results.md has the tables"
else
    fail "bench: results.md has the tables" "missing or empty"
fi
if ! command -v gnuplot >/dev/null; then
    skip "bench: plots" "gnuplot is not installed"
elif [ -s "$BENCH/cost-per-op.png" ] && [ -s "$BENCH/model-refs.svg" ] && [ -s "$BENCH/model-exits.png" ]; then
    pass "bench: plots in PNG and SVG"
else
    fail "bench: plots in PNG and SVG" "$(ls "$BENCH")"
fi
