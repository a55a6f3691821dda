# plots.gp - the benchmark plots of chapter 08-shadow-vs-ept.md, from the
# data files report.sh writes. Usage: gnuplot -e "dir='build/bench'" plots.gp
# Each plot is drawn twice: PNG for the browser, SVG for print.
# Logarithmic axes where the engines differ by orders of magnitude.

set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set format y "%g"
set grid ytics
set xtics rotate by -35 nomirror
set datafile missing "NaN"

do for [fmt in "png svg"] {
    if (fmt eq "png") { set terminal pngcairo size 1100,520 font ",10" } else { set terminal svg size 1100,520 dynamic font ",10" }

    set output dir."/cost-per-op.".fmt
    set logscale y
    set autoscale y
    set key outside right top vertical
    set title "Cost of one operation by engine ((T(2n) - T(n)) / n)"
    set ylabel "nanoseconds per operation (log)"
    plot for [c=2:7] dir."/cost.dat" using c:xtic(1) title columnhead(c) noenhanced

    set output dir."/model-refs.".fmt
    set key below
    set title "Walk-cost model: page-walk memory references per operation"
    set ylabel "memory references per operation (log)"
    plot dir."/model.dat" using 2:xtic(1) title "native (2 per walk)", \
         "" using 3 title "shadow paging (walks the shadow)", \
         "" using 4 title "nested paging, every EPT walk in full (14 per walk)", \
         "" using 5 title "nested paging with a 64-entry EPT TLB"

    set output dir."/model-exits.".fmt
    unset logscale y                    # zero is the point here: show it
    set yrange [0:*]
    set title "Walk-cost model: VM exits per operation that the MMU design causes"
    set ylabel "exits per operation"
    plot dir."/model.dat" using 6:xtic(1) title "shadow paging (hidden faults, PT writes, CR3, INVLPG, #PF)", \
         "" using 7 title "nested paging (EPT violations)"
}
