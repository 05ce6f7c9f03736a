// Mutual information and normalized mutual information from a joint histogram.
//
// The fixed image is binned hard: bin = floor((F - lo) / (hi - lo) * bins), lo..hi its
// range inside the mask (precomputed). The moving intensity is mapped to a continuous
// bin coordinate p = (M - lo_m) / (hi_m - lo_m) * (bins - 1), lo_m..hi_m its range over
// the valid pixels of this evaluation, and spread over neighbouring bins by a cubic
// B-spline (Parzen, as Mattes et al. 2003; p rounded to 1/256 bin) or linearly
// (partial-volume split); weights falling outside the histogram fold into the edge bins. Weights
// are quantized to 2^-20 and summed as integers, so the histogram is identical for any thread
// count.
#include "metrics/internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define MI_ONE (1 << 20)

typedef struct mi_state {
  uint8_t *fbin;  // fixed bin per pixel
  int nthreads;   // per-thread histograms allocated
  int64_t *thist; // nthreads * bins * bins
  int64_t *hist;  // bins * bins (fixed rows, moving columns)
} mi_state;

static void init_bspline_lut(void);

static int max_threads(void) {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

static int mi_create(cr_metric *m) {
  int b = m->opt.bins;
  size_t n = (size_t)m->width * m->height;
  mi_state *s = calloc(1, sizeof *s);
  if (!s) return cr_error(CR_ENOMEM, "metric %s: out of memory", m->type->name);
  m->state = s;
#pragma omp critical(cr_metrics_mi_lut)
  init_bspline_lut();
  s->nthreads = max_threads() > 0 ? max_threads() : 1;
  s->fbin = calloc(n, 1);
  s->thist = calloc((size_t)s->nthreads * b * b, sizeof(int64_t));
  s->hist = calloc((size_t)b * b, sizeof(int64_t));
  if (!s->fbin || !s->thist || !s->hist)
    return cr_error(CR_ENOMEM, "metric %s: out of memory", m->type->name);
  double lo = m->fixed_min, range = (double)m->fixed_max - m->fixed_min;
  for (size_t i = 0; i < n; i++) {
    if (!m->valid[i]) continue;
    int k = range > 0 ? (int)((m->fixed[i] - lo) / range * b) : 0;
    s->fbin[i] = (uint8_t)(k < 0 ? 0 : k >= b ? b - 1 : k);
  }
  return CR_OK;
}

static void mi_destroy(cr_metric *m) {
  mi_state *s = m->state;
  if (!s) return;
  free(s->fbin), free(s->thist), free(s->hist);
  free(s);
}

// Cubic B-spline weights of the 4 bins i-1..i+2 for p = i + t, t = k / MI_SUB, quantized
// so that each row sums to MI_ONE.
#define MI_SUB 256
static int64_t bspline_lut[MI_SUB + 1][4];

static void init_bspline_lut(void) {
  if (bspline_lut[0][1]) return; // idempotent: the same values on every call
  for (int k = 0; k <= MI_SUB; k++) {
    double t = (double)k / MI_SUB, u = 1 - t;
    double w0 = u * u * u / 6, w1 = (3 * t * t * t - 6 * t * t + 4) / 6;
    double w2 = (-3 * t * t * t + 3 * t * t + 3 * t + 1) / 6;
    int64_t q0 = llround(w0 * MI_ONE), q1 = llround(w1 * MI_ONE), q2 = llround(w2 * MI_ONE);
    bspline_lut[k][0] = q0, bspline_lut[k][2] = q2, bspline_lut[k][3] = MI_ONE - q0 - q1 - q2;
    bspline_lut[k][1] = q1;
  }
}

// Adds the moving value at bin coordinate p (0..b-1, in 1/MI_SUB steps) to the histogram
// row h of its fixed bin; weights beyond the ends fold into the edge bins.
static inline void add_bspline(int64_t *h, int b, float p) {
  int q = (int)(p * MI_SUB + 0.5f), i = q / MI_SUB;
  const int64_t *wq = bspline_lut[q - i * MI_SUB];
  int k0 = i - 1 < 0 ? 0 : i - 1, k2 = i + 1 >= b ? b - 1 : i + 1;
  int k3 = i + 2 >= b ? b - 1 : i + 2;
  h[k0] += wq[0], h[i] += wq[1], h[k2] += wq[2], h[k3] += wq[3];
}

static inline void add_linear(int64_t *h, int b, float p) {
  int i = (int)floorf(p);
  if (i >= b - 1) {
    h[b - 1] += MI_ONE;
    return;
  }
  int64_t q1 = (int64_t)lrintf((p - (float)i) * MI_ONE);
  h[i] += MI_ONE - q1, h[i + 1] += q1;
}

// Joint histogram of the current valid pixels into s->hist.
static void joint_histogram(cr_metric *m, const cr_image *moving, float lo, float hi) {
  mi_state *s = m->state;
  int b = m->opt.bins, w = m->width, h = m->height, spline = m->opt.hist == CR_HIST_BSPLINE;
  size_t bb = (size_t)b * b;
  // in double: (M - lo) of extreme floats would overflow
  double scale = hi > lo ? (double)(b - 1) / ((double)hi - lo) : 0.0;
  int nt = max_threads() < s->nthreads ? max_threads() : s->nthreads;
  if (nt < 1 || !m->par) nt = 1;
  memset(s->thist, 0, (size_t)nt * bb * sizeof(int64_t));
#pragma omp parallel num_threads(nt) if (m->par)
  {
    int t = 0;
#ifdef _OPENMP
    t = omp_get_thread_num();
#endif
    int64_t *th = s->thist + (size_t)t * bb;
#pragma omp for schedule(static)
    for (int y = 0; y < h; y++) {
      const float *mv = cr_image_row(moving, y);
      const unsigned char *c = m->cur + (size_t)y * w;
      const uint8_t *fb = s->fbin + (size_t)y * w;
      for (int x = 0; x < w; x++) {
        if (!c[x]) continue;
        float p = (float)(((double)mv[x] - lo) * scale);
        p = p < 0 ? 0 : p > (float)(b - 1) ? (float)(b - 1) : p;
        if (spline)
          add_bspline(th + (size_t)fb[x] * b, b, p);
        else
          add_linear(th + (size_t)fb[x] * b, b, p);
      }
    }
  }
  memcpy(s->hist, s->thist, bb * sizeof(int64_t));
  for (int t = 1; t < nt; t++)
    for (size_t k = 0; k < bb; k++) s->hist[k] += s->thist[(size_t)t * bb + k];
}

// Entropies (nats) of the fixed, moving and joint distributions of s->hist.
static void entropies(const cr_metric *m, double *hf, double *hm, double *hfm) {
  const mi_state *s = m->state;
  int b = m->opt.bins;
  double total = 0, mf[256] = {0}, mm[256] = {0};
  for (int i = 0; i < b; i++)
    for (int j = 0; j < b; j++) {
      double v = (double)s->hist[(size_t)i * b + j];
      mf[i] += v, mm[j] += v, total += v;
    }
  double ef = 0, em = 0, ej = 0;
  for (int i = 0; i < b; i++) {
    if (mf[i] > 0) ef -= mf[i] / total * log(mf[i] / total);
    if (mm[i] > 0) em -= mm[i] / total * log(mm[i] / total);
    for (int j = 0; j < b; j++) {
      double v = (double)s->hist[(size_t)i * b + j];
      if (v > 0) ej -= v / total * log(v / total);
    }
  }
  *hf = ef, *hm = em, *hfm = ej;
}

static int mi_common(cr_metric *m, const cr_image *moving, double *hf, double *hm, double *hfm) {
  if (!mx_current_valid(m, moving))
    return cr_error(CR_EEMPTY, "metric %s: no valid pixel", m->type->name);
  float lo, hi;
  mx_moving_range(m, moving, &lo, &hi);
  joint_histogram(m, moving, lo, hi);
  entropies(m, hf, hm, hfm);
  return CR_OK;
}

// mi: H(F) + H(M) - H(F, M) in nats. Larger is better.
static int mi_eval(cr_metric *m, const cr_image *moving, double *value) {
  double hf, hm, hfm;
  int rc = mi_common(m, moving, &hf, &hm, &hfm);
  if (rc) return rc;
  *value = hf + hm - hfm;
  return CR_OK;
}

// nmi: (H(F) + H(M)) / H(F, M) (Studholme 1999), in [1, 2]; 1 when H(F, M) = 0.
static int nmi_eval(cr_metric *m, const cr_image *moving, double *value) {
  double hf, hm, hfm;
  int rc = mi_common(m, moving, &hf, &hm, &hfm);
  if (rc) return rc;
  *value = hfm > 0 ? (hf + hm) / hfm : 1.0;
  return CR_OK;
}

const cr_metric_type mx_mi_type = {
    "mi", "mutual information (nats), Parzen/PV histogram", 1, mi_create, mi_eval, mi_destroy};
const cr_metric_type mx_nmi_type = {
    "nmi", "normalized mutual information (H(F)+H(M))/H(F,M)", 1, mi_create, nmi_eval, mi_destroy};
