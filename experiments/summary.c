// The summary table of a results CSV: one line per method.
#include "experiments/evaluate.h"
#include "experiments/results.h"

#include "core/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

// Quantile q of n sorted values, linear interpolation between order statistics.
static double quantile(const double *v, long n, double q) {
  if (n <= 0) return NAN;
  double pos = q * (double)(n - 1);
  long i = (long)floor(pos);
  if (i >= n - 1) return v[n - 1];
  return v[i] + (pos - (double)i) * (v[i + 1] - v[i]);
}

// Capture range of the rows of one method (indices idx[0..n)).
static double method_capture(const cr_exp_row *rows, const long *idx, long n, double *hi,
                             double *rate, int *count) {
  int nb = 0;
  for (long k = 0; k < n; k++) {
    double h = rows[idx[k]].bin_hi_mm;
    int b = 0;
    while (b < nb && hi[b] != h) b++;
    if (b == nb) hi[nb] = h, rate[nb] = 0, count[nb++] = 0;
  }
  // Sort bins by upper edge (insertion sort: few bins).
  for (int i = 1; i < nb; i++)
    for (int j = i; j > 0 && hi[j - 1] > hi[j]; j--) {
      double t = hi[j];
      hi[j] = hi[j - 1], hi[j - 1] = t;
    }
  for (long k = 0; k < n; k++) {
    const cr_exp_row *r = &rows[idx[k]];
    int b = 0;
    while (hi[b] != r->bin_hi_mm) b++;
    count[b]++;
    rate[b] += r->success != 0;
  }
  for (int b = 0; b < nb; b++) rate[b] /= count[b];
  return cr_exp_capture_range(hi, rate, count, nb, 0.95);
}

int cr_exp_summarize(const cr_exp_row *rows, long n_rows, cr_exp_method_summary **out,
                     int *n_methods) {
  *out = NULL, *n_methods = 0;
  long *idx = malloc((size_t)(n_rows + 1) * sizeof *idx);
  double *mtre = malloc((size_t)(n_rows + 1) * sizeof *mtre),
         *tm = malloc((size_t)(n_rows + 1) * sizeof *tm),
         *dep = malloc((size_t)(n_rows + 1) * sizeof *dep),
         *inp = malloc((size_t)(n_rows + 1) * sizeof *inp),
         *inpx = malloc((size_t)(n_rows + 1) * sizeof *inpx);
  double *hi = malloc((size_t)(n_rows + 1) * sizeof *hi),
         *rate = malloc((size_t)(n_rows + 1) * sizeof *rate);
  int *count = malloc((size_t)(n_rows + 1) * sizeof *count);
  unsigned char *used = calloc((size_t)n_rows + 1, 1);
  cr_exp_method_summary *sum = calloc((size_t)n_rows + 1, sizeof *sum);
  int rc = 0, nm = 0;
  if (!idx || !mtre || !tm || !dep || !inp || !inpx || !hi || !rate || !count || !used || !sum)
    rc = cr_error(CR_ENOMEM, "out of memory");
  while (!rc) {
    // The unused row with the smallest trial index starts the next method.
    long first = -1;
    for (long i = 0; i < n_rows; i++)
      if (!used[i] && (first < 0 || rows[i].trial < rows[first].trial)) first = i;
    if (first < 0) break;
    long n = 0, n_fail = 0, n_ok = 0;
    double evals = 0;
    for (long i = 0; i < n_rows; i++) {
      if (used[i] || strcmp(rows[i].method, rows[first].method)) continue;
      used[i] = 1;
      idx[n] = i;
      const int bad = rows[i].status != 0;
      mtre[n] = bad ? INFINITY : rows[i].final_mtre_mm;
      // the error split of the final pose (a failed trial counts as infinitely wrong)
      dep[n] = bad || isnan(rows[i].depth_err_mm) ? INFINITY : rows[i].depth_err_mm;
      inp[n] = bad || isnan(rows[i].inplane_err_mm) ? INFINITY : rows[i].inplane_err_mm;
      inpx[n] = bad || isnan(rows[i].inplane_err_px) ? INFINITY : rows[i].inplane_err_px;
      tm[n++] = rows[i].time_s;
      n_fail += bad;
      n_ok += rows[i].success != 0;
      evals += (double)rows[i].evals;
    }
    qsort(mtre, (size_t)n, sizeof *mtre, cmp_double);
    qsort(tm, (size_t)n, sizeof *tm, cmp_double);
    qsort(dep, (size_t)n, sizeof *dep, cmp_double);
    qsort(inp, (size_t)n, sizeof *inp, cmp_double);
    qsort(inpx, (size_t)n, sizeof *inpx, cmp_double);
    cr_exp_method_summary *m = &sum[nm++];
    snprintf(m->method, sizeof m->method, "%s", rows[first].method);
    m->trials = n, m->failed = n_fail, m->successes = n_ok;
    m->success_pct = 100.0 * (double)n_ok / (double)n;
    m->median_mm = quantile(mtre, n, 0.5), m->p90_mm = quantile(mtre, n, 0.9);
    m->capture_mm = method_capture(rows, idx, n, hi, rate, count);
    m->median_s = quantile(tm, n, 0.5), m->mean_evals = evals / (double)n;
    m->median_depth_mm = quantile(dep, n, 0.5), m->median_inplane_mm = quantile(inp, n, 0.5);
    m->median_inplane_px = quantile(inpx, n, 0.5);
  }
  free(idx), free(mtre), free(tm), free(dep), free(inp), free(inpx), free(hi), free(rate),
      free(count), free(used);
  if (rc)
    free(sum);
  else
    *out = sum, *n_methods = nm;
  return rc;
}

int cr_exp_summary_print(FILE *out, const cr_exp_row *rows, long n_rows) {
  cr_exp_method_summary *sum;
  int nm;
  if (cr_exp_summarize(rows, n_rows, &sum, &nm)) return cr_last_status();
  fprintf(out, "%-20s %7s %6s %8s %11s %11s %10s %9s %8s %9s %10s\n", "method", "trials", "failed",
          "success", "median_mm", "p90_mm", "capture_mm", "median_s", "evals", "depth_mm",
          "inplane_mm");
  for (int k = 0; k < nm; k++) {
    const cr_exp_method_summary *m = &sum[k];
    fprintf(out, "%-20s %7ld %6ld %7.1f%% %11.3f %11.3f %10.1f %9.3f %8.0f %9.3f %10.3f\n",
            m->method, m->trials, m->failed, m->success_pct, m->median_mm, m->p90_mm, m->capture_mm,
            m->median_s, m->mean_evals, m->median_depth_mm, m->median_inplane_mm);
  }
  free(sum);
  return 0;
}
