# Figures of one experiment; called by make_figures.sh with work (per-method data
# files m<k>.dat: init final time success depth inplane; b<k>.dat: bin_centre success% n; names),
# outdir and thr (success threshold, mm).
names = system("cat " . work . "/names | tr '\\n' ' '")
n = words(names)
set terminal pngcairo size 900,640 font "sans,11"
set grid
set key top left

set output outdir . "/mtre_scatter.png"
set title "Final vs initial mTRE"
set xlabel "initial mTRE (mm)"
set ylabel "final mTRE (mm)"
set logscale y
plot for [k=1:n] work . "/m" . k . ".dat" using 1:($2 > 1e-4 ? $2 : 1e-4) with points pt 7 ps 0.6 title word(names, k), \
     thr with lines dt 2 lc rgb "black" title sprintf("success < %g mm", thr)
unset logscale y

set output outdir . "/error_split.png"
set title "Final error split: along the true optical axis vs in the image plane"
set xlabel "in-plane error (mm)"
set ylabel "depth error (mm)"
set logscale xy
plot for [k=1:n] work . "/m" . k . ".dat" using ($6 > 1e-3 ? $6 : 1e-3):($5 > 1e-3 ? $5 : 1e-3) with points pt 7 ps 0.6 title word(names, k), \
     x with lines dt 2 lc rgb "gray" title "depth = in-plane", \
     thr with lines dt 2 lc rgb "black" title sprintf("%g mm", thr)
unset logscale xy

set output outdir . "/success_rate.png"
set title "Success rate vs initial mTRE (capture range: >= 95 %)"
set xlabel "initial mTRE bin centre (mm)"
set ylabel "success rate (%)"
set yrange [0:105]
set key bottom left
plot for [k=1:n] work . "/b" . k . ".dat" using 1:2 with linespoints pt 7 lw 2 title word(names, k), \
     95 with lines dt 2 lc rgb "black" title "95 %"
set autoscale y

set output outdir . "/time_per_method.png"
set title "Time per trial"
set xlabel "method"
set ylabel "wall time per trial (s)"
set style data boxplot
set style boxplot nooutliers
if (exists("few") && few) { set style data points }
set style fill solid 0.3
set xtics (word(names, 1) 1)
do for [k=2:n] { set xtics add (word(names, k) k) }
set xrange [0.4:n + 0.6]
set yrange [0:*]
set key off
plot for [k=1:n] work . "/m" . k . ".dat" using (k):3 lc k
