#!/usr/bin/env bash
# Figures of an experiment from its results CSV (camreg experiment run / merge):
#   make_figures.sh DIR [SUCCESS_MM]
# reads DIR/results.csv and writes beside it:
#   mtre_scatter.png      final vs initial mTRE per trial, one colour per method (log y)
#   success_rate.png      success rate vs initial mTRE bin per method (capture range:
#                         the curve stays >= 95% up to it)
#   time_per_method.png   wall time per trial, box plot per method
#   error_split.png       final depth error (along the true optical axis) against the
#                         in-plane error per trial, one colour per method (log-log)
#   montage.png           with DIR/images (camreg experiment run --images N): photos and
#                         overlays of the registered renders' edges, up to 6 trials
# SUCCESS_MM (default 2) draws the success threshold. Needs gnuplot (Debian gnuplot-nox).
set -euo pipefail
dir="${1:?usage: make_figures.sh DIR [SUCCESS_MM]}"
thr="${2:-2}"
csv="$dir/results.csv"
[ -f "$csv" ] || { echo "make_figures.sh: $csv not found (run 'camreg experiment merge' for shards)" >&2; exit 1; }
command -v gnuplot >/dev/null || { echo "make_figures.sh: gnuplot not installed (apt-get install gnuplot-nox)" >&2; exit 1; }
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Per method: data rows (init, final, time, success, depth, in-plane) and success per bin.
# Rows sorted by trial, so methods come in config order (trial % n_methods).
{ grep -m 1 -v '^#' "$csv"; grep -v '^#' "$csv" | tail -n +2 | sort -t, -k1,1n; } | awk -F, -v out="$work" '
  NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
  $0 != "" {
    m = $(col["method"]); if (!(m in seen)) { seen[m] = ++nm; name[nm] = m }
    k = seen[m]
    print $(col["init_mtre_mm"]), $(col["final_mtre_mm"]), $(col["time_s"]), $(col["success"]), $(col["depth_err_mm"]), $(col["inplane_err_mm"]) > (out "/m" k ".dat")
    b = $(col["bin_hi_mm"]); key = k SUBSEP b
    if (!(key in n)) { lo[key] = $(col["bin_lo_mm"]); bins[k] = bins[k] " " b }
    n[key]++; s[key] += $(col["success"])
  }
  END {
    for (k = 1; k <= nm; k++) {
      print name[k] > (out "/names")
      nb = split(bins[k], bl, " ")
      for (i = 1; i <= nb; i++) { key = k SUBSEP bl[i]; print (lo[key] + bl[i]) / 2, 100 * s[key] / n[key], n[key] | ("sort -g > " out "/b" k ".dat") }
    }
  }'
[ -s "$work/names" ] || { echo "make_figures.sh: $csv has no rows" >&2; exit 1; }

# gnuplot's box plot fails on fewer than 3 points: small runs get points instead.
few=0
for f in "$work"/m*.dat; do [ "$(wc -l < "$f")" -lt 3 ] && few=1; done
gnuplot -e "work='$work'; outdir='$dir'; thr=$thr; few=$few" "$here/experiment.gnuplot"
for f in mtre_scatter success_rate time_per_method error_split; do echo "$dir/$f.png"; done

# Montage: one row per trial, photo left, overlay right (first 6 trials with images).
mapfile -t overlays < <(ls "$dir"/images/trial_*_overlay.png 2>/dev/null | head -n 6)
if [ ${#overlays[@]} -gt 0 ]; then
  rows=${#overlays[@]}
  {
    echo "set terminal pngcairo size 800,$((rows * 300)) noenhanced; set output '$dir/montage.png.part'"
    echo "set multiplot layout $rows,2 title 'synthetic photos (left) and registered renders: edges in red (right)'"
    echo "unset key; unset tics; unset border; set size ratio -1; set yrange [*:*] reverse"
    for o in "${overlays[@]}"; do
      p="${o%_overlay.png}_photo.png"
      t="$(basename "${o%_overlay.png}")"
      echo "set title '$t'; plot '$p' binary filetype=png with rgbimage"
      echo "set title '$t registered'; plot '$o' binary filetype=png with rgbimage"
    done
    echo "unset multiplot"
  } > "$work/montage.gp"
  gnuplot "$work/montage.gp" && mv "$dir/montage.png.part" "$dir/montage.png" && echo "$dir/montage.png"
fi
