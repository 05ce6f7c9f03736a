// The report's figures as inline SVG, drawn from the rows alone (no plotting tool, so a
// report needs nothing installed and looks the same everywhere): axes with 1-2-5 or
// decade ticks, one colour per method, data marks of class "mark".
#include "experiments/report_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const palette[] = {"#d62728", "#1f77b4", "#2ca02c", "#ff7f0e",
                                      "#9467bd", "#8c564b", "#e377c2", "#17becf"};

const char *cr_exp_report_colour(int k) {
  return palette[k % (int)(sizeof palette / sizeof *palette)];
}

// A plot area: data box [x0, x1] x [y0, y1] (logarithmic axes take log10 of the values)
// drawn into W x H pixels with margins.
typedef struct plot {
  FILE *f;
  double x0, x1, y0, y1;
  int logx, logy;
  int categorical; // x: no numeric ticks
} plot;

enum { W = 460, H = 320, ML = 62, MR = 16, MT = 30, MB = 46 };

static double tx(const plot *p, double x) {
  if (p->logx) x = log10(x);
  return ML + (x - p->x0) / (p->x1 - p->x0) * (W - ML - MR);
}

static double ty(const plot *p, double y) {
  if (p->logy) y = log10(y);
  return H - MB - (y - p->y0) / (p->y1 - p->y0) * (H - MT - MB);
}

// A 1-2-5 tick step giving about 5 ticks over span.
static double nice_step(double span) {
  double s = pow(10, floor(log10(span / 5))), m = span / 5 / s;
  return s * (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10);
}

static void ticks(const plot *p, int axis_x) {
  const double a = axis_x ? p->x0 : p->y0, b = axis_x ? p->x1 : p->y1;
  const int lg = axis_x ? p->logx : p->logy;
  const double step = lg ? 1 : nice_step(b - a);
  for (double v = ceil(a / step - 1e-9) * step; v <= b + 1e-9 * step; v += step) {
    double val = lg ? pow(10, v) : (fabs(v) < 1e-12 * step ? 0 : v);
    if (axis_x) {
      double x = tx(p, val);
      fprintf(p->f,
              "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#ddd'/>"
              "<text x='%.1f' y='%d' text-anchor='middle' font-size='11'>%g</text>\n",
              x, MT, x, H - MB, x, H - MB + 15, val);
    } else {
      double y = ty(p, val);
      fprintf(p->f,
              "<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='#ddd'/>"
              "<text x='%d' y='%.1f' text-anchor='end' font-size='11'>%g</text>\n",
              ML, y, W - MR, y, ML - 5, y + 4, val);
    }
  }
}

static void begin(plot *p, const char *id, const char *title, const char *xlabel,
                  const char *ylabel) {
  FILE *f = p->f;
  if (!(p->x1 > p->x0)) p->x1 = p->x0 + 1;
  if (!(p->y1 > p->y0)) p->y1 = p->y0 + 1;
  fprintf(f,
          "<figure class='fig' id='%s'><svg width='%d' "
          "height='%d' viewBox='0 0 %d %d' font-family='sans-serif'>\n"
          "<rect width='%d' height='%d' fill='white'/>\n"
          "<text x='%d' y='18' text-anchor='middle' font-size='13' font-weight='bold'>%s</text>\n",
          id, W, H, W, H, W, H, W / 2, title);
  if (!p->categorical) ticks(p, 1);
  ticks(p, 0);
  fprintf(f,
          "<rect x='%d' y='%d' width='%d' height='%d' fill='none' stroke='#444'/>\n"
          "<text x='%d' y='%d' text-anchor='middle' font-size='12'>%s</text>\n"
          "<text x='14' y='%d' text-anchor='middle' font-size='12' "
          "transform='rotate(-90 14 %d)'>%s</text>\n",
          ML, MT, W - ML - MR, H - MT - MB, (W + ML - MR) / 2, H - 10, xlabel, (H + MT - MB) / 2,
          (H + MT - MB) / 2, ylabel);
}

// The legend at the top left of the plot area, or at the bottom left (bottom = 1).
static void legend(const plot *p, const cr_exp_method_summary *m, int nm, int bottom) {
  const int y0 = bottom ? H - MB - 8 - 15 * nm : MT;
  fputs("<g class='legend'>", p->f);
  for (int k = 0; k < nm; k++)
    fprintf(p->f, "<circle cx='%d' cy='%d' r='4' fill='%s'/><text x='%d' y='%d' font-size='11'>",
            ML + 10, y0 + 12 + 15 * k, cr_exp_report_colour(k), ML + 18, y0 + 16 + 15 * k),
        cr_exp_html_escape(p->f, m[k].method), fputs("</text>\n", p->f);
  fputs("</g>\n", p->f);
}

static void end(const plot *p) {
  fprintf(p->f, "</svg></figure>\n");
}

static int method_of(const cr_exp_row *r, const cr_exp_method_summary *m, int nm) {
  for (int k = 0; k < nm; k++)
    if (!strcmp(r->method, m[k].method)) return k;
  return 0;
}

static double clampd(double v, double lo, double hi) {
  return v < lo ? lo : v > hi ? hi : v;
}

// Final vs initial mTRE (log y), success threshold dashed; failed trials as crosses at
// the top.
static void fig_scatter(FILE *f, const cr_exp_row *rows, long n, const cr_exp_method_summary *m,
                        int nm, double thr) {
  double xmax = 1, ymax = thr * 2, ymin = 0.01;
  for (long i = 0; i < n; i++) {
    if (isfinite(rows[i].init_mtre_mm)) xmax = fmax(xmax, rows[i].init_mtre_mm);
    if (!rows[i].status && isfinite(rows[i].final_mtre_mm))
      ymax = fmax(ymax, rows[i].final_mtre_mm);
  }
  plot p = {f, 0, xmax * 1.05, -2, ceil(log10(ymax * 1.5)), 0, 1, 0};
  begin(&p, "fig-scatter", "final vs initial mTRE", "initial mTRE (mm)", "final mTRE (mm, log)");
  fprintf(f,
          "<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='#555' stroke-dasharray='5,4'/>"
          "<text x='%d' y='%.1f' text-anchor='end' font-size='10'>success %g mm</text>\n",
          ML, ty(&p, thr), W - MR, ty(&p, thr), W - MR - 4, ty(&p, thr) - 4, thr);
  for (long i = 0; i < n; i++) {
    const cr_exp_row *r = &rows[i];
    const char *c = cr_exp_report_colour(method_of(r, m, nm));
    double x = tx(&p, clampd(r->init_mtre_mm, 0, xmax));
    if (r->status || !isfinite(r->final_mtre_mm)) {
      double y = MT + 6;
      fprintf(f, "<path class='mark' d='M%.1f %.1fl6 6m0 -6l-6 6' stroke='%s' stroke-width='2'/>\n",
              x - 3, y - 3, c);
    } else
      fprintf(f,
              "<circle class='mark' cx='%.1f' cy='%.1f' r='3.5' fill='%s' fill-opacity='0.75'>"
              "<title>trial %ld: %.3g -> %.3g mm</title></circle>\n",
              x, ty(&p, clampd(r->final_mtre_mm, ymin, ymax * 1.5)), c, r->trial, r->init_mtre_mm,
              r->final_mtre_mm);
  }
  legend(&p, m, nm, 0);
  end(&p);
}

// Success rate per initial-mTRE bin (at the bin centre), one line per method.
static void fig_success(FILE *f, const cr_exp_row *rows, long n, const cr_exp_method_summary *m,
                        int nm) {
  double xmax = 1;
  for (long i = 0; i < n; i++) xmax = fmax(xmax, rows[i].bin_hi_mm);
  plot p = {f, 0, xmax, 0, 100, 0, 0, 0};
  begin(&p, "fig-success", "success rate per start bin", "initial mTRE bin (mm)", "success (%)");
  fprintf(f, "<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='#555' stroke-dasharray='5,4'/>\n",
          ML, ty(&p, 95), W - MR, ty(&p, 95));
  // bins of each method: distinct upper edges, sorted
  double *hi = malloc((size_t)(n + 1) * sizeof *hi), *lo = malloc((size_t)(n + 1) * sizeof *lo);
  long *cnt = malloc((size_t)(n + 1) * sizeof *cnt), *ok = malloc((size_t)(n + 1) * sizeof *ok);
  for (int k = 0; hi && lo && cnt && ok && k < nm; k++) {
    int nb = 0;
    for (long i = 0; i < n; i++) {
      if (method_of(&rows[i], m, nm) != k) continue;
      int b = 0;
      while (b < nb && hi[b] != rows[i].bin_hi_mm) b++;
      if (b == nb)
        hi[nb] = rows[i].bin_hi_mm, lo[nb] = rows[i].bin_lo_mm, cnt[nb] = ok[nb] = 0, nb++;
      cnt[b]++, ok[b] += rows[i].success != 0;
    }
    for (int i = 1; i < nb; i++) // insertion sort by upper edge
      for (int j = i; j > 0 && hi[j - 1] > hi[j]; j--) {
        double t = hi[j];
        hi[j] = hi[j - 1], hi[j - 1] = t, t = lo[j], lo[j] = lo[j - 1], lo[j - 1] = t;
        long c = cnt[j];
        cnt[j] = cnt[j - 1], cnt[j - 1] = c, c = ok[j], ok[j] = ok[j - 1], ok[j - 1] = c;
      }
    const char *c = cr_exp_report_colour(k);
    fprintf(f, "<polyline class='mark' fill='none' stroke='%s' stroke-width='2' points='", c);
    for (int b = 0; b < nb; b++)
      fprintf(f, "%.1f,%.1f ", tx(&p, 0.5 * (lo[b] + hi[b])), ty(&p, 100.0 * ok[b] / cnt[b]));
    fprintf(f, "'/>\n");
    for (int b = 0; b < nb; b++)
      fprintf(f,
              "<circle class='mark' cx='%.1f' cy='%.1f' r='4' fill='%s'><title>%g-%g mm: %ld/%ld"
              "</title></circle>\n",
              tx(&p, 0.5 * (lo[b] + hi[b])), ty(&p, 100.0 * ok[b] / cnt[b]), c, lo[b], hi[b], ok[b],
              cnt[b]);
  }
  free(hi), free(lo), free(cnt), free(ok);
  legend(&p, m, nm, 1);
  end(&p);
}

// Depth error (along the true optical axis) vs in-plane error, log-log, with y = x.
static void fig_split(FILE *f, const cr_exp_row *rows, long n, const cr_exp_method_summary *m,
                      int nm) {
  double vmax = 1;
  for (long i = 0; i < n; i++)
    if (!rows[i].status) {
      if (isfinite(rows[i].depth_err_mm)) vmax = fmax(vmax, rows[i].depth_err_mm);
      if (isfinite(rows[i].inplane_err_mm)) vmax = fmax(vmax, rows[i].inplane_err_mm);
    }
  const double top = ceil(log10(vmax * 1.2)), vmin = 1e-3;
  plot p = {f, -3, top, -3, top, 1, 1, 0};
  begin(&p, "fig-split", "error split of the final pose", "in-plane error (mm, log)",
        "depth error (mm, log)");
  fprintf(f, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#999'/>\n", tx(&p, vmin),
          ty(&p, vmin), tx(&p, pow(10, top)), ty(&p, pow(10, top)));
  for (long i = 0; i < n; i++) {
    const cr_exp_row *r = &rows[i];
    if (r->status || !isfinite(r->depth_err_mm) || !isfinite(r->inplane_err_mm)) continue;
    fprintf(f,
            "<circle class='mark' cx='%.1f' cy='%.1f' r='3.5' fill='%s' fill-opacity='0.75'>"
            "<title>trial %ld: depth %.3g mm, in-plane %.3g mm</title></circle>\n",
            tx(&p, clampd(r->inplane_err_mm, vmin, vmax)),
            ty(&p, clampd(r->depth_err_mm, vmin, vmax)), cr_exp_report_colour(method_of(r, m, nm)),
            r->trial, r->depth_err_mm, r->inplane_err_mm);
  }
  legend(&p, m, nm, 0);
  end(&p);
}

// Wall time per trial: one column of points per method and its median as a bar.
static void fig_time(FILE *f, const cr_exp_row *rows, long n, const cr_exp_method_summary *m,
                     int nm) {
  double tmax = 0.1;
  for (long i = 0; i < n; i++)
    if (isfinite(rows[i].time_s)) tmax = fmax(tmax, rows[i].time_s);
  plot p = {f, -0.5, nm - 0.5, 0, tmax * 1.1, 0, 0, 1};
  begin(&p, "fig-time", "time per trial", "method", "time (s)");
  for (long i = 0; i < n; i++) {
    const cr_exp_row *r = &rows[i];
    int k = method_of(r, m, nm);
    // a deterministic jitter from the trial index spreads the column
    double j = ((double)((r->trial * 2654435761u) % 1000) / 1000.0 - 0.5) * 0.4;
    fprintf(f, "<circle class='mark' cx='%.1f' cy='%.1f' r='3' fill='%s' fill-opacity='0.6'/>\n",
            tx(&p, k + j), ty(&p, clampd(r->time_s, 0, tmax)), cr_exp_report_colour(k));
  }
  for (int k = 0; k < nm; k++)
    fprintf(f,
            "<line class='mark' x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='black' "
            "stroke-width='2'/><text x='%.1f' y='%d' text-anchor='middle' font-size='10'>",
            tx(&p, k - 0.3), ty(&p, m[k].median_s), tx(&p, k + 0.3), ty(&p, m[k].median_s),
            tx(&p, k), H - MB + 16),
        cr_exp_html_escape(f, m[k].method), fputs("</text>\n", f);
  end(&p);
}

void cr_exp_report_figures(FILE *f, const cr_exp_row *rows, long n_rows,
                           const cr_exp_method_summary *methods, int n_methods, double success_mm) {
  fig_scatter(f, rows, n_rows, methods, n_methods, success_mm);
  fig_success(f, rows, n_rows, methods, n_methods);
  fig_split(f, rows, n_rows, methods, n_methods);
  fig_time(f, rows, n_rows, methods, n_methods);
}
