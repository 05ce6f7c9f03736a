// Pattern intensity (Penney et al., IEEE TMI 1998; Weese et al. 1997). With the
// difference image D = F - s M (s = cov(F, M) / var(M), the least-squares gain; Penney
// searches s, the fit is its closed form):
//   pi = (1 / #pairs) sum over pairs of valid pixels p, q with 0 < |p - q| <= r of
//        sigma^2 / (sigma^2 + (D(p) - D(q))^2)
// in (0, 1], 1 at M = F (D constant). r = pi_radius_px (3), sigma = pi_sigma, or 4% of
// the fixed range in the mask (Penney's 10 grey levels of ~255). Larger is better.
#include "metrics/internal.h"

#include <stdlib.h>

typedef struct pi_state {
  float *diff;      // workspace: D on current valid pixels, 0 elsewhere
  float *w;         // workspace: 1 on current valid pixels, 0 elsewhere
  float *acc, *cnt; // workspace: per-pixel sums over the neighbour offsets
  int noff;         // neighbour offsets (half the disc: each pair once)
  int off[128][2];
  float sigma2;
} pi_state;

static int pi_create(cr_metric *m) {
  pi_state *s = calloc(1, sizeof *s);
  if (!s) return cr_error(CR_ENOMEM, "metric pi: out of memory");
  m->state = s;
  size_t n = (size_t)m->width * m->height;
  s->diff = calloc(n, sizeof(float));
  s->w = calloc(n, sizeof(float));
  s->acc = calloc(n, sizeof(float));
  s->cnt = calloc(n, sizeof(float));
  if (!s->diff || !s->w || !s->acc || !s->cnt)
    return cr_error(CR_ENOMEM, "metric pi: out of memory");
  int r = m->opt.pi_radius_px;
  for (int dy = 0; dy <= r; dy++)
    for (int dx = -r; dx <= r; dx++)
      if ((dy > 0 || dx > 0) && dx * dx + dy * dy <= r * r) {
        s->off[s->noff][0] = dx, s->off[s->noff][1] = dy;
        s->noff++;
      }
  double sigma =
      m->opt.pi_sigma > 0 ? m->opt.pi_sigma : 0.04 * ((double)m->fixed_max - m->fixed_min);
  if (!(sigma > 0)) sigma = 1;
  s->sigma2 = (float)(sigma * sigma);
  return CR_OK;
}

static void pi_destroy(cr_metric *m) {
  pi_state *s = m->state;
  if (s) free(s->diff), free(s->w), free(s->acc), free(s->cnt);
  free(s);
}

// The least-squares gain of M onto F over the current valid pixels, and D and w.
static void difference_image(cr_metric *m, const cr_image *moving) {
  pi_state *s = m->state;
  int w = m->width, h = m->height;
#pragma omp parallel for schedule(static) if (m->par)
  for (int y = 0; y < h; y++) {
    const float *mv = cr_image_row(moving, y);
    const float *f = m->fixed + (size_t)y * w;
    const unsigned char *c = m->cur + (size_t)y * w;
    double q[5] = {0};
    for (int x = 0; x < w; x++)
      if (c[x])
        q[0] += 1, q[1] += f[x], q[2] += mv[x], q[3] += (double)mv[x] * mv[x],
            q[4] += (double)f[x] * mv[x];
    for (int k = 0; k < 5; k++) m->row_sums[(size_t)y * CR_METRIC_ROW_SUMS + k] = q[k];
  }
  double q[5];
  mx_reduce_rows(m, 5, q);
  double vm = q[3] - q[2] * q[2] / q[0], cov = q[4] - q[1] * q[2] / q[0];
  float gain = vm > 0 ? (float)(cov / vm) : 0.0f;
#pragma omp parallel for schedule(static) if (m->par)
  for (int y = 0; y < h; y++) {
    const float *mv = cr_image_row(moving, y);
    const float *f = m->fixed + (size_t)y * w;
    const unsigned char *c = m->cur + (size_t)y * w;
    float *d = s->diff + (size_t)y * w, *wt = s->w + (size_t)y * w;
    for (int x = 0; x < w; x++) {
      wt[x] = c[x] ? 1.0f : 0.0f;
      d[x] = c[x] ? f[x] - gain * mv[x] : 0.0f;
    }
  }
}

static int pi_eval(cr_metric *m, const cr_image *moving, double *value) {
  if (!mx_current_valid(m, moving)) return cr_error(CR_EEMPTY, "metric pi: no valid pixel");
  difference_image(m, moving);
  pi_state *s = m->state;
  int w = m->width, h = m->height;
  float s2 = s->sigma2;
#pragma omp parallel for schedule(static) if (m->par)
  for (int y = 0; y < h; y++) {
    // Per-pixel float sums over the offsets (vectorized, same order for any thread count),
    // then one double sum per row.
    const float *d = s->diff + (size_t)y * w, *wt = s->w + (size_t)y * w;
    float *acc = s->acc + (size_t)y * w, *cnt = s->cnt + (size_t)y * w;
    for (int x = 0; x < w; x++) acc[x] = cnt[x] = 0;
    for (int k = 0; k < s->noff; k++) {
      int dx = s->off[k][0], dy = s->off[k][1];
      if (y + dy >= h) continue;
      const float *d2 = d + (long)dy * w + dx, *w2 = wt + (long)dy * w + dx;
      int x0 = dx < 0 ? -dx : 0, x1 = dx > 0 ? w - dx : w;
#pragma omp simd
      for (int x = x0; x < x1; x++) {
        float e = d[x] - d2[x], ww = wt[x] * w2[x];
        acc[x] += ww * s2 / (s2 + e * e);
        cnt[x] += ww;
      }
    }
    double a = 0, c = 0;
    for (int x = 0; x < w; x++) a += acc[x], c += cnt[x];
    m->row_sums[(size_t)y * CR_METRIC_ROW_SUMS] = a;
    m->row_sums[(size_t)y * CR_METRIC_ROW_SUMS + 1] = c;
  }
  double q[2];
  mx_reduce_rows(m, 2, q);
  if (q[1] == 0) return cr_error(CR_EEMPTY, "metric pi: no pair of valid neighbouring pixels");
  *value = q[0] / q[1];
  return CR_OK;
}

const cr_metric_type mx_pi_type = {
    "pi", "pattern intensity (Penney 1998)", 1, pi_create, pi_eval, pi_destroy};
