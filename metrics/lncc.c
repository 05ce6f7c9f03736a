// Local normalized cross-correlation: the mean, over valid pixels, of the Pearson
// correlation of F and M in the (2r+1)^2 window around the pixel, using only the valid
// pixels of the window. A window where either image is flat (variance below
// (1e-6 range)^2 per pixel) contributes 0. In [-1, 1], 1 at M = F wherever F is not
// flat. Larger is better.
#include "metrics/internal.h"

#include <stdlib.h>

enum { NPLANE = 6 }; // n, f, m, ff, mm, fm

typedef struct lncc_state {
  double *hsum; // NPLANE * w * h horizontal window sums, plane-interleaved per pixel
} lncc_state;

static int lncc_create(cr_metric *m) {
  lncc_state *s = calloc(1, sizeof *s);
  if (!s) return cr_error(CR_ENOMEM, "metric lncc: out of memory");
  m->state = s;
  s->hsum = malloc((size_t)NPLANE * m->width * m->height * sizeof(double));
  if (!s->hsum) return cr_error(CR_ENOMEM, "metric lncc: out of memory");
  return CR_OK;
}

static void lncc_destroy(cr_metric *m) {
  lncc_state *s = m->state;
  if (s) free(s->hsum);
  free(s);
}

// Horizontal sliding-window sums of one row (running sums: same order at any thread count).
static void row_window_sums(const cr_metric *m, const cr_image *moving, int y, double *out) {
  int w = m->width, r = m->opt.lncc_radius_px;
  const float *mv = cr_image_row(moving, y);
  const float *f = m->fixed + (size_t)y * w;
  const unsigned char *c = m->cur + (size_t)y * w;
  double acc[NPLANE] = {0};
  for (int x = -r; x < w; x++) {
    int xin = x + r, xout = x - r - 1;
    if (xin < w && c[xin]) {
      double a = f[xin], b = mv[xin];
      acc[0] += 1, acc[1] += a, acc[2] += b, acc[3] += a * a, acc[4] += b * b, acc[5] += a * b;
    }
    if (xout >= 0 && c[xout]) {
      double a = f[xout], b = mv[xout];
      acc[0] -= 1, acc[1] -= a, acc[2] -= b, acc[3] -= a * a, acc[4] -= b * b, acc[5] -= a * b;
    }
    if (x >= 0)
      for (int k = 0; k < NPLANE; k++) out[(size_t)x * NPLANE + k] = acc[k];
  }
}

static int lncc_eval(cr_metric *m, const cr_image *moving, double *value) {
  long n = mx_current_valid(m, moving);
  if (!n) return cr_error(CR_EEMPTY, "metric lncc: no valid pixel");
  lncc_state *s = m->state;
  int w = m->width, h = m->height, r = m->opt.lncc_radius_px;
  float lo, hi;
  mx_moving_range(m, moving, &lo, &hi);
  double rf = 1e-6 * ((double)m->fixed_max - m->fixed_min), rm = 1e-6 * ((double)hi - lo);
  double tf = rf * rf, tm = rm * rm;
#pragma omp parallel for schedule(static) if (m->par)
  for (int y = 0; y < h; y++) row_window_sums(m, moving, y, s->hsum + (size_t)y * w * NPLANE);
#pragma omp parallel for schedule(static) if (m->par)
  for (int y = 0; y < h; y++) {
    const unsigned char *c = m->cur + (size_t)y * w;
    int y0 = y - r < 0 ? 0 : y - r, y1 = y + r >= h ? h - 1 : y + r;
    double acc = 0;
    for (int x = 0; x < w; x++) {
      if (!c[x]) continue;
      double q[NPLANE] = {0};
      for (int yy = y0; yy <= y1; yy++) {
        const double *p = s->hsum + ((size_t)yy * w + x) * NPLANE;
        for (int k = 0; k < NPLANE; k++) q[k] += p[k];
      }
      double vf = q[3] - q[1] * q[1] / q[0], vm = q[4] - q[2] * q[2] / q[0];
      if (vf > tf * q[0] && vm > tm * q[0]) {
        double cc = (q[5] - q[1] * q[2] / q[0]) / sqrt(vf * vm);
        acc += cc > 1 ? 1 : cc < -1 ? -1 : cc;
      }
    }
    m->row_sums[(size_t)y * CR_METRIC_ROW_SUMS] = acc;
  }
  double acc;
  mx_reduce_rows(m, 1, &acc);
  *value = acc / (double)n;
  return CR_OK;
}

const cr_metric_type mx_lncc_type = {"lncc",    "local (windowed) normalized cross-correlation",
                                     1,         lncc_create,
                                     lncc_eval, lncc_destroy};
