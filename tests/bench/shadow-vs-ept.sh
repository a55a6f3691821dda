#!/bin/bash
# shadow-vs-ept.sh - `make bench` and `make bench-quick`: every engine on
# every workload, side by side in one run (chapter 08-shadow-vs-ept.md).
#
# For each engine x workload the guest runs with n and with 2n; the cost of
# one operation is (T(2n) - T(n)) / n, so boot and power-off cancel. Every
# time is the best of REPEAT runs. The engines differ a thousandfold, so n
# is first raised for each engine until T(2n) - T(n) is at least TARGET
# seconds (boot times vary by tens of milliseconds). Our VMM also writes --stats=json for
# each run, and the same difference of its counters gives exits per
# operation by reason, the shadow's counters (trap engine), and the
# walk-cost model's counts (interp engine, --mmu-model both).
#
# Engines: native (compute only: the same code built for the host), interp,
# trap with a vtlb shadow, trap with a traced shadow, kvm (only where KVM
# is hardware-assisted; otherwise marked so and never timed) and QEMU TCG
# (the integration tests' command line; it has no exit counters: n/a).
# Then kvm-nested-npt and kvm-nested-shadow: KVM in the nested machine of
# scripts/nested-kvm with kvm-amd npt=1 and npt=0, with KVM's own counters
# per operation (their times are TCG-emulated; see the end of this file).
#
# Output in $OUT (build/bench): results.json (one record per engine x
# workload), results.md (the tables), *.dat and *.png/*.svg (gnuplot).
# SIZE=full|quick|tiny picks the amounts of work; REPEAT the repetitions.
set -euo pipefail
HERE=$(dirname "$0")
source "$HERE/lib.sh"
SIZE=${SIZE:-full}
RUNS=$OUT/runs
rm -rf "$RUNS"
mkdir -p "$RUNS"
# Measure copies: a rebuild during the run must not change what is measured.
cp "$VMM" "$KERNEL" "$RUNS/"
cp "$BUILD/guest-os/disk.img" "$RUNS/disk-image"
cp "$BUILD/bench/native-compute" "$RUNS/" 2>/dev/null || true
VMM=$RUNS/vmm KERNEL=$RUNS/kernel.elf DISK=$RUNS/disk-image NATIVE=$RUNS/native-compute

# name | guest command line | first n | largest n | what one operation is
# (memtouch holds 2n pages at once: 64 MiB of guest RAM bounds it.)
WORKLOADS=(
    "syscall|nano op=syscall|4000|100000000|system call round trip (getpid)"
    "pio|nano op=pio|10000|100000000|in from an unassigned port"
    "pgfault|nano op=pgfault|1000|100000000|page fault handled by the guest kernel"
    "divzero|nano op=divzero|10000|100000000|divide error, taken and resumed"
    "ptemod|nano op=ptemod|10000|100000000|PTE write, invlpg, use"
    "callret|nano op=callret|1000000|1000000000|call and return"
    "cr3|nano op=cr3|10000|100000000|CR3 load (same directory)"
    "clisti|nano op=clisti|10000|100000000|cli; sti in the kernel"
    "compute|compute|200000|1000000000|compute iteration (user ALU work)"
    "forkwait|forkwait|40|1000000|fork, child exits, wait"
    "memtouch|memtouch|1000|6000|first touch of a heap page"
    "ctxsw|ctxsw|1000|10000000|yield to the other process and back"
    "pgtable|pgtable|200|10000000|sbrk +4 pages, touch, sbrk -4"
    "io|io|100|1000000|virtio-blk sector written and read back"
)
# BENCH_ENGINES: a subset (the nested machine runs only kvm).
read -r -a ENGINES <<<"${BENCH_ENGINES:-native interp trap-vtlb trap-traced kvm qemu-tcg}"
case $SIZE in
    full)  TARGET=${TARGET:-0.3}  STEPS=5 ;;
    quick) TARGET=${TARGET:-0.04} STEPS=3 ;;
    counts) TARGET=0    STEPS=1 ;;    # the first n only: for the counters (nested KVM)
    tiny)  TARGET=0     STEPS=1 ;;    # the test's size: structure, not numbers
    *) echo "SIZE must be full, quick, counts or tiny" >&2; exit 2 ;;
esac

amount() {      # amount FIRST_N: where calibration starts for this SIZE
    case $SIZE in
        tiny) echo $(($1 / 400 > 1 ? $1 / 400 : 2)) ;;
        *)    echo "$1" ;;
    esac
}

# run_once ENGINE CMDLINE JSON: one boot of the guest; fails unless it
# printed its result line.
run_once() {
    local engine=$1 cmdline=$2 json=$3 out=$RUNS/out
    cp "$DISK" "$RUNS/disk.img"
    case $engine in
        native)  "$NATIVE" "${cmdline##*n=}" >"$out" ;;
        interp)  "$VMM" run --engine interp --mmu-model both --disk "$RUNS/disk.img" \
                     --cmdline "$cmdline" --stats=json:"$json" --timeout 300 "$KERNEL" >"$out" ;;
        trap-*)  "$VMM" run --engine trap --shadow "${engine#trap-}" --disk "$RUNS/disk.img" \
                     --cmdline "$cmdline" --stats=json:"$json" --timeout 300 "$KERNEL" >"$out" ;;
        kvm)     "$VMM" run --engine kvm --disk "$RUNS/disk.img" \
                     --cmdline "$cmdline" --stats=json:"$json" --timeout 300 "$KERNEL" >"$out" ;;
        qemu-tcg) timeout 300 qemu-system-i386 -M pc -m 64 -display none \
                     -serial stdio -no-reboot -kernel "$KERNEL" -append "$cmdline" \
                     -device isa-debug-exit,iobase=0xf4,iosize=4 \
                     -drive file="$RUNS/disk.img",if=none,id=d0,format=raw \
                     -device virtio-blk-pci,drive=d0,disable-modern=on >"$out" ;;
    esac 2>/dev/null </dev/null || true
    grep -q '^result: ' "$out"
}

# timed ENGINE CMDLINE JSON: the best wall time of REPEAT runs, or "fail".
timed() {
    local best="" t0 t1 t
    for _ in $(seq "$REPEAT"); do
        t0=$(now)
        run_once "$@" || { echo fail; return; }
        t1=$(now)
        t=$(echo "$t1 - $t0" | bc -l)
        if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
    done
    echo "$best"
}

smaller() { if [ "$(echo "$1 < $2" | bc -l)" = 1 ]; then echo "$1"; else echo "$2"; fi; }

# measure ENGINE CMD N MAX JSON1 JSON2: time n and 2n, raising n (at most
# 64 times per step) until T(2n) - T(n) reaches TARGET seconds or n reaches
# MAX; then more runs at that n, REPEAT in all. Sets N, T1 and T2 (the
# best times, or "fail"); the stats of the last runs are in JSON1, JSON2.
# If the best times differ by less than a third of TARGET (one lucky
# calibration run), it starts once more from a larger n (RETRY set).
measure() {
    local engine=$1 cmd=$2 max=$4 j1=$5 j2=$6 retry=${7:-} d f a b
    N=$3
    for step in $(seq "$STEPS"); do
        T1=$(REPEAT=1 timed "$engine" "run=$cmd n=$N" "$j1")
        T2=$(REPEAT=1 timed "$engine" "run=$cmd n=$((2 * N))" "$j2")
        if [ "$T1" = fail ] || [ "$T2" = fail ]; then T1=fail; return; fi
        d=$(echo "$T2 - $T1" | bc -l)
        if [ "$(echo "$d >= $TARGET" | bc -l)" = 1 ] ||
           [ "$N" -ge "$max" ] || [ "$step" = "$STEPS" ]; then
            break
        fi
        # Aim a little past the target.
        f=$(echo "if ($d < $TARGET / 64) 64 else 1.5 * $TARGET / $d + 1" | bc -l)
        N=$(printf '%.0f' "$(echo "$N * $f" | bc -l)")
        [ "$N" -gt "$max" ] && N=$max
    done
    for _ in $(seq 2 "$REPEAT"); do
        a=$(REPEAT=1 timed "$engine" "run=$cmd n=$N" "$j1")
        b=$(REPEAT=1 timed "$engine" "run=$cmd n=$((2 * N))" "$j2")
        if [ "$a" = fail ] || [ "$b" = fail ]; then T1=fail; return; fi
        T1=$(smaller "$T1" "$a")
        T2=$(smaller "$T2" "$b")
    done
    d=$(echo "$T2 - $T1" | bc -l)
    if [ -z "$retry" ] && [ "$N" -lt "$max" ] &&
       [ "$(echo "$TARGET > 0 && $d < $TARGET / 3" | bc -l)" = 1 ]; then
        f=$(echo "if ($d < $TARGET / 64) 64 else 1.5 * $TARGET / $d + 1" | bc -l)
        N=$(printf '%.0f' "$(echo "$N * $f" | bc -l)")
        [ "$N" -gt "$max" ] && N=$max
        measure "$engine" "$cmd" "$N" "$max" "$j1" "$j2" retry
    fi
}

# kvm_state: "ok" where the kvm engine runs the guest with hardware
# assistance, else why not (then it is reported, never timed).
kvm_state() {
    if ! grep -qE 'vmx|svm' /proc/cpuinfo; then
        echo "not hardware-assisted here (no vmx/svm in /proc/cpuinfo)"
    elif ! run_once kvm "run=nano op=callret n=10" "$RUNS/probe.json"; then
        echo "the kvm engine does not run the guest here"
    else
        echo ok
    fi
}

# trap_state: ok, or why the trap engine cannot run on this host (a kernel
# without a 32-bit user code segment: the VMM says so and exits 125).
trap_state() {
    if "$VMM" run --engine trap --disk none --timeout 60 --cmdline "run=compute n=1" "$KERNEL" \
           </dev/null >/dev/null 2>"$RUNS/trap-check" ||
       ! grep -q "no 32-bit user code segment" "$RUNS/trap-check"; then
        echo ok
    else
        echo "the host cannot run 32-bit code natively (no 32-bit user code segment)"
    fi
}

# per_op FILE_N FILE_2N N: "KEY VALUE" lines, VALUE = (v(2n) - v(n)) / n.
per_op() {
    awk -v n="$3" 'FNR == NR { a[$1] = $2; next }
                   ($1 in a) { printf "%s %.6g\n", $1, ($2 - a[$1]) / n }' \
        <(awk -f "$HERE/flatten-stats.awk" "$1") <(awk -f "$HERE/flatten-stats.awk" "$2")
}

# json_object FILE PATTERN: the matching KEY VALUE lines as a JSON object.
json_object() {
    awk -v pat="$2" 'BEGIN { printf "{" } $1 ~ pat { k = $1; sub(pat, "", k)
        printf "%s\"%s\": %s", (n++ ? ", " : ""), k, $2 } END { printf "}" }' "$1"
}

value_of() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }

# native_state: ok, or why the host cannot run native-compute (it is the
# guest's compute loop built as a 32-bit program, for a like comparison;
# a kernel without IA-32 emulation cannot run it).
native_state() {
    if "$NATIVE" 1 >/dev/null 2>&1; then
        echo ok
    else
        echo "the host cannot run 32-bit programs (native-compute is built -m32)"
    fi
}

kvm=$(kvm_state)
trap=$(trap_state)
native=$(native_state)
echo "bench: SIZE=$SIZE, best of $REPEAT; cost = (T(2n) - T(n)) / n; kvm: $kvm; trap: $trap; native: $native"
RECORDS=$OUT/records.tmp
: >"$RECORDS"
TABLE=$OUT/table.tmp              # workload engine ns_per_op exits_per_op
: >"$TABLE"

for spec in "${WORKLOADS[@]}"; do
    IFS='|' read -r name cmd first max what <<<"$spec"
    for engine in "${ENGINES[@]}"; do
        n=$(amount "$first")
        status=ok note="" seconds=null ns=null exits=null counters=null
        if [ "$engine" = native ] && [ "$name" != compute ]; then
            status=n/a note="only compute is built for the host"
        elif [ "$engine" = native ] && [ "$native" != ok ]; then
            status=unavailable note=$native
        elif [ "$engine" = kvm ] && [ "$kvm" != ok ]; then
            status=unavailable note=$kvm
        elif [[ $engine == trap-* ]] && [ "$trap" != ok ]; then
            status=unavailable note=$trap
        else
            j1=$RUNS/$engine-$name-1.json j2=$RUNS/$engine-$name-2.json
            measure "$engine" "$cmd" "$n" "$max" "$j1" "$j2"
            n=$N t1=$T1 t2=$T2
            if [ "$t1" = fail ]; then
                status=failed note="no result line (see $RUNS/out)"
            else
                seconds=$(printf '%.6f' "$(echo "$t2 - $t1" | bc -l)")
                ns=$(printf '%.2f' "$(echo "($t2 - $t1) * 1000000000 / $n" | bc -l)")
                case $engine in
                    native|qemu-tcg)
                        note="no exit counters: it is not our VMM" ;;
                    *)
                        per_op "$j1" "$j2" "$n" >"$RUNS/$engine-$name.op"
                        exits=$(json_object "$RUNS/$engine-$name.op" '^exit\.')
                        total=$(value_of "$RUNS/$engine-$name.op" exits.exits)
                        exits="{\"total\": ${total:-0}, \"by_reason\": $exits}"
                        counters=$(json_object "$RUNS/$engine-$name.op" '^engine_stats\.') ;;
                esac
            fi
        fi
        [ -n "$note" ] || note=${BENCH_NOTE:-}
        printf '{"engine": "%s", "workload": "%s", "operation": "%s", "n": %s, "status": "%s", "note": "%s", "seconds": %s, "ns_per_op": %s, "exits_per_op": %s, "counters_per_op": %s}\n' \
            "$engine" "$name" "$what" "$n" "$status" "$note" "$seconds" "$ns" "$exits" \
            "$counters" >>"$RECORDS"
        printf '%s %s %s %s\n' "$name" "$engine" "$status" "$ns" >>"$TABLE"
        printf '  %-9s %-12s n=%-9s %s\n' "$name" "$engine" "$n" \
            "$([ "$status" = ok ] && echo "$ns ns/op" || echo "$status: $note")"
    done
done

# Inside the nested machine: the records are the result.
if [ -n "${BENCH_RECORDS_ONLY:-}" ]; then
    mv "$RECORDS" "$OUT/records.json"
    exit 0
fi

# KVM with NPT and with its own shadow MMU (kvm-amd npt=0), in one boot of
# the nested machine of scripts/nested-kvm (QEMU's TCG emulating AMD SVM):
# SIZE=counts, the first n of each workload, for KVM's counters per
# operation. Their times are TCG-emulated, and say so. Not at SIZE=tiny
# (the test's), nor with NESTED=0.
if [ "$SIZE" != tiny ] && [ "${NESTED:-1}" != 0 ]; then
    echo "bench: kvm with NPT and with KVM's shadow MMU, in the nested machine (scripts/nested-kvm)"
    if scripts/nested-kvm --timeout 3600 -- bash -c '
        for mode in npt shadow; do
            if [ $mode = shadow ]; then
                rmmod kvm_amd && insmod /lib/modules/kvm-amd.ko npt=0 || exit 1
            fi
            BENCH_ENGINES=kvm BENCH_OUT=/tmp/bench-$mode SIZE=counts REPEAT=1 BENCH_RECORDS_ONLY=1 \
                BENCH_NOTE="nested machine, kvm-amd npt=$([ $mode = npt ] && echo 1 || echo 0): times TCG-emulated" \
                tests/bench/shadow-vs-ept.sh >&2 || exit 1
            sed "s/^{\"engine\": \"kvm\"/{\"engine\": \"kvm-nested-$mode\"/" /tmp/bench-$mode/records.json
        done' >"$OUT/nested.tmp" 2>"$OUT/nested.log"; then
        grep '^{"engine": "kvm-nested-' "$OUT/nested.tmp" >>"$RECORDS"
        grep "^  " "$OUT/nested.tmp" | sed "s/^/  nested /"
    else
        echo "bench: no nested kvm columns: $(grep -m1 '^nested-kvm: ' "$OUT/nested.log" || tail -2 "$OUT/nested.log")"
    fi
    rm -f "$OUT/nested.tmp"
fi

{
    printf '{"size": "%s", "repeat": %s, "host": "%s", "kvm": "%s",\n "records": [\n' \
        "$SIZE" "$REPEAT" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores" "$kvm"
    sed '$!s/$/,/' "$RECORDS"
    printf ']}\n'
} >"$OUT/results.json"
rm -f "$RECORDS"

"$HERE/report.sh" "$OUT" "$kvm"
rm -f "$TABLE"
echo "bench: wrote $OUT/results.json, $OUT/results.md and the plots"
