#!/bin/bash
# report.sh OUT KVM_STATE - turn OUT/results.json (written by
# shadow-vs-ept.sh) into OUT/results.md, the data files for gnuplot, and
# the plots OUT/*.png and OUT/*.svg (chapter 08-shadow-vs-ept.md).
# Each record of results.json is one line, so awk reads it field by field.
set -euo pipefail
HERE=$(dirname "$0")
OUT=$1
KVM=$2
JSON=$OUT/results.json

# One line per record: workload engine status ns exits and the counters
# the tables need (- where absent), in a fixed order.
FIELDS="mmu_model.walks mmu_model.native_refs mmu_model.shadow.refs mmu_model.nested.refs
mmu_model.nested.refs_ept_tlb mmu_model.shadow.exits mmu_model.nested.exits
mmu_model.shadow.hidden_faults mmu_model.shadow.pt_writes mmu_model.shadow.cr3_loads
mmu_model.shadow.invlpgs mmu_model.shadow.guest_faults shadow.hidden_faults shadow.pt_writes
shadow.cr3_switches"
ROWS=$OUT/rows.tmp
grep '^{"engine"' "$JSON" | awk -v fields="$FIELDS" '
    function str(k) {
        if (!match($0, "\"" k "\": \"[^\"]*\"")) return "-"
        return substr($0, RSTART + length(k) + 5, RLENGTH - length(k) - 6)
    }
    function num(k) {
        if (!match($0, "\"" k "\": -?[0-9][-+0-9.e]*")) return "-"
        return substr($0, RSTART + length(k) + 4, RLENGTH - length(k) - 4)
    }
    BEGIN { nf = split(fields, f) }
    { line = str("workload") " " str("engine") " " str("status") " " num("ns_per_op") " " num("total")
      for (i = 1; i <= nf; i++) line = line " " num(f[i])
      # the two commonest exit reasons, for the exits table
      rest = $0; top = ""
      if (match(rest, "\"by_reason\": \\{[^}]*\\}")) {
          r = substr(rest, RSTART + 14, RLENGTH - 15); m = split(r, kv, ", ")
          for (i = 1; i <= m; i++) { split(kv[i], p, "\": "); gsub(/"/, "", p[1])
              if (p[2] + 0 >= 0.05) top = top (top == "" ? "" : ",") p[1] "=" p[2] }
      }
      print line, (top == "" ? "-" : top) }' >"$ROWS"

awk -v kvm="$KVM" -v json="$JSON" '
    function t(ns) {                    # a time, in the unit that suits it
        if (ns == "-") return "-"
        if (ns < 0) return "< noise"
        if (ns < 1000) return sprintf("%.1f ns", ns)
        if (ns < 1e6) return sprintf("%.2f us", ns / 1000)
        return sprintf("%.2f ms", ns / 1e6)
    }
    function c(v) { return v == "-" ? "-" : (v < 0.005 && v > -0.005 ? "0" : sprintf("%.3g", v)) }
    function short(r) {
        gsub(/exception_or_NMI/, "exc", r); gsub(/control_register_access/, "CR", r)
        gsub(/I_O_instruction/, "I/O", r); gsub(/external_interrupt/, "irq", r)
        return r
    }
    function cell(w, e,    s) {
        s = status[w, e]
        if (s == "ok") return t(ns[w, e])
        if (s == "unavailable") return "not hardware-assisted here"
        return s
    }
    function exitcell(w, e,    s, top, parts, p, i, out) {
        s = status[w, e]
        if (e == "qemu-tcg" || e == "native") return "n/a"
        if (s != "ok") return s == "unavailable" ? "-" : s
        top = reasons[w, e]; gsub(/=/, " ", top)
        split(top, parts, ",")
        out = ""
        for (i in parts) { split(parts[i], p, " "); if (p[2] != "") out = out (out == "" ? "" : ", ") c(p[2]) " " p[1] }
        return c(tot[w, e]) (out == "" ? "" : " (" short(out) ")")
    }
    {   w = $1; e = $2
        if (!(w in seen)) { seen[w] = 1; order[++nw] = w }
        status[w, e] = $3; ns[w, e] = $4; tot[w, e] = $5
        for (i = 6; i <= 20; i++) v[w, e, i] = $i
        reasons[w, e] = $21
    }
    END {
        nE = split("native interp trap-vtlb trap-traced kvm qemu-tcg", E, " ")
        printf "Cost of one operation, (T(2n) - T(n)) / n, best of the runs; "
        printf "kvm: %s. Raw data: `%s`.\n\n", kvm, json
        print "| operation | native | interp | trap (vtlb) | trap (traced) | kvm | QEMU TCG |"
        print "|---|---|---|---|---|---|---|"
        for (k = 1; k <= nw; k++) {
            w = order[k]; line = "| " w
            for (i = 1; i <= nE; i++) line = line " | " cell(w, E[i])
            print line " |"
        }
        print "\nExits per operation by reason (exc = exception or #PF, CR = control register, "
        print "I/O, irq = timer interrupt); QEMU and native have no exit counters.\n"
        print "| operation | interp (VMM entry points) | trap (vtlb) | trap (traced) | kvm |"
        print "|---|---|---|---|---|"
        for (k = 1; k <= nw; k++) {
            w = order[k]
            printf "| %s | %s | %s | %s | %s |\n", w, exitcell(w, "interp"),
                exitcell(w, "trap-vtlb"), exitcell(w, "trap-traced"), exitcell(w, "kvm")
        }
        print "\nThe shadow page tables of the trap engine, per operation:\n"
        print "| operation | hidden faults (vtlb) | hidden faults (traced) | PT writes emulated (traced) | CR3 switches |"
        print "|---|---|---|---|---|"
        for (k = 1; k <= nw; k++) {
            w = order[k]
            printf "| %s | %s | %s | %s | %s |\n", w, c(v[w, "trap-vtlb", 18]),
                c(v[w, "trap-traced", 18]), c(v[w, "trap-traced", 19]), c(v[w, "trap-traced", 20])
        }
        print "\nThe walk-cost model on the interp engine'"'"'s instruction stream, per operation:"
        print "page-walk memory references per design, and the exits each design would take.\n"
        print "| operation | TLB misses | refs native | refs shadow | refs nested (EPT) | nested + EPT TLB | shadow exits | of which hidden / PT write / CR3 / INVLPG / #PF | nested exits (EPT violations) |"
        print "|---|---|---|---|---|---|---|---|---|"
        for (k = 1; k <= nw; k++) {
            w = order[k]; e = "interp"
            printf "| %s | %s | %s | %s | %s | %s | %s | %s / %s / %s / %s / %s | %s |\n", w,
                c(v[w,e,6]), c(v[w,e,7]), c(v[w,e,8]), c(v[w,e,9]), c(v[w,e,10]), c(v[w,e,11]),
                c(v[w,e,13]), c(v[w,e,14]), c(v[w,e,15]), c(v[w,e,16]), c(v[w,e,17]), c(v[w,e,12])
        }
    }' "$ROWS" >"$OUT/results.md.tmp"
# Where the tables come from, above them (lib.sh in a subshell: it sets OUT).
{ (source "$HERE/lib.sh" && provenance "${BENCH_TARGET:-bench}"); echo; cat "$OUT/results.md.tmp"; } \
    >"$OUT/results.md"
rm -f "$OUT/results.md.tmp"

# KVM in the nested machine (shadow-vs-ept.sh, scripts/nested-kvm): NPT
# beside KVM's own shadow MMU, with KVM's counters per operation.
if grep -q '^{"engine": "kvm-nested-' "$JSON"; then
    grep '^{"engine": "kvm-nested-' "$JSON" | awk '
        function str(k) {
            if (!match($0, "\"" k "\": \"[^\"]*\"")) return "-"
            return substr($0, RSTART + length(k) + 5, RLENGTH - length(k) - 6)
        }
        function num(k) {
            if (!match($0, "\"" k "\": -?[0-9][-+0-9.e]*")) return "-"
            return substr($0, RSTART + length(k) + 4, RLENGTH - length(k) - 4)
        }
        function t(ns) {
            if (ns == "-") return "-"
            if (ns < 0) return "< noise"
            if (ns < 1000) return sprintf("%.1f ns", ns)
            if (ns < 1e6) return sprintf("%.2f us", ns / 1000)
            return sprintf("%.2f ms", ns / 1e6)
        }
        function c(v) { return v == "-" ? "-" : (v < 0.005 && v > -0.005 ? "0" : sprintf("%.3g", v)) }
        function pair(k, w) { return c(val[w, "npt", k]) " / " c(val[w, "shadow", k]) }
        BEGIN { nk = split("vcpu.exits total vcpu.pf_fixed vcpu.pf_emulate vm.mmu_pte_write " \
                           "vm.mmu_shadow_zapped vm.mmu_cache_miss vcpu.tlb_flush vcpu.invlpg", K, " ") }
        {   w = str("workload"); e = str("engine"); sub(/^kvm-nested-/, "", e)
            if (!(w in seen)) { seen[w] = 1; order[++nw] = w }
            ns[w, e] = (str("status") == "ok") ? num("ns_per_op") : "-"
            for (i = 1; i <= nk; i++) val[w, e, K[i]] = num(K[i]) }
        END {
            print "\nKVM in the nested machine (`scripts/nested-kvm`: QEMU TCG emulating AMD SVM, so"
            print "NPT, not EPT), with nested paging (kvm-amd npt=1) and with KVM'"'"'s own shadow MMU"
            print "(npt=0), on the same workloads. Cells are NPT / shadow, per operation. The times"
            print "are TCG-emulated, not a real machine'"'"'s: compare the counts, which are KVM'"'"'s own"
            print "(exits: all of KVM'"'"'s; to us: those that reached our VMM).\n"
            print "| operation | time NPT | time shadow | exits | to us | pf_fixed | pf_emulate | mmu_pte_write | mmu_shadow_zapped | mmu_cache_miss | tlb_flush | invlpg |"
            print "|---|---|---|---|---|---|---|---|---|---|---|---|"
            for (k = 1; k <= nw; k++) { w = order[k]
                line = "| " w " | " t(ns[w, "npt"]) " | " t(ns[w, "shadow"])
                for (i = 1; i <= nk; i++) line = line " | " pair(K[i], w)
                print line " |" }
        }' >>"$OUT/results.md"
fi

# Data for gnuplot: NaN where there is no number (gnuplot leaves a gap).
awk 'function d(x) { return (x == "-" || x <= 0) ? "NaN" : x }
     { w = $1; e = $2; if (!(w in seen)) { seen[w] = 1; order[++nw] = w }
       ns[w, e] = ($3 == "ok") ? d($4) : "NaN"
       for (i = 6; i <= 10; i++) v[w, e, i] = d($i)
       for (i = 11; i <= 12; i++) v[w, e, i] = ($i == "-") ? "NaN" : $i }     # exits: 0 is data
     END {
       print "operation native interp trap-vtlb trap-traced kvm qemu-tcg" > cost
       n = split("native interp trap-vtlb trap-traced kvm qemu-tcg", E, " ")
       for (k = 1; k <= nw; k++) { w = order[k]; line = w
           for (i = 1; i <= n; i++) line = line " " ns[w, E[i]]
           print line > cost }
       print "# operation refs-native refs-shadow refs-nested refs-nested-tlb exits-shadow exits-nested (per operation)" > model
       for (k = 1; k <= nw; k++) { w = order[k]
           print w, v[w,"interp",7], v[w,"interp",8], v[w,"interp",9], v[w,"interp",10],
                 v[w,"interp",11], v[w,"interp",12] > model }
     }' cost="$OUT/cost.dat" model="$OUT/model.dat" "$ROWS"
rm -f "$ROWS"

if command -v gnuplot >/dev/null; then
    gnuplot -e "dir='$OUT'" "$HERE/plots.gp" 2>"$OUT/gnuplot.log" ||
        echo "report: gnuplot failed (see $OUT/gnuplot.log)" >&2
else
    echo "report: gnuplot is missing (scripts/install-deps installs it): no plots" >&2
fi
