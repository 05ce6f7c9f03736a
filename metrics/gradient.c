// Gradient metrics: gradient correlation and gradient difference (Penney et al., IEEE TMI
// 1998) and normalized gradient fields (Haber & Modersitzki 2006). Gradients are 3x3
// Sobel (divided by 8, so a unit ramp has gradient 1); a pixel is used when its whole
// 3x3 neighbourhood is valid in both images.
#include "metrics/internal.h"

#include <stdlib.h>

typedef struct grad_state {
  float *fgx, *fgy;    // fixed gradients (0 where the fixed 3x3 is not valid)
  float *mgx, *mgy;    // workspace: moving gradients
  float *tmp;          // workspace: per-pixel terms
  double var_x, var_y; // gd: variance of the fixed gradient components
  double eps_f;        // ngf: fixed edge parameter
} grad_state;

static int grad_create(cr_metric *m) {
  size_t n = (size_t)m->width * m->height;
  grad_state *g = calloc(1, sizeof *g);
  if (!g) return cr_error(CR_ENOMEM, "metric %s: out of memory", m->type->name);
  m->state = g;
  g->fgx = calloc(n, sizeof(float)), g->fgy = calloc(n, sizeof(float));
  g->mgx = calloc(n, sizeof(float)), g->mgy = calloc(n, sizeof(float));
  g->tmp = calloc(n, sizeof(float));
  if (!g->fgx || !g->fgy || !g->mgx || !g->mgy || !g->tmp)
    return cr_error(CR_ENOMEM, "metric %s: out of memory", m->type->name);
  double cnt = 0, sx = 0, sy = 0, sxx = 0, syy = 0, smag = 0;
  for (long i = 0; i < (long)n; i++) {
    if (!m->valid3[i]) continue;
    float gx, gy;
    mx_sobel(m->fixed, m->width, i, &gx, &gy);
    g->fgx[i] = gx, g->fgy[i] = gy;
    cnt += 1, sx += gx, sy += gy, sxx += (double)gx * gx, syy += (double)gy * gy;
    smag += sqrt((double)gx * gx + (double)gy * gy);
  }
  if (cnt == 0)
    return cr_error(CR_EEMPTY, "metric %s: no pixel with a valid 3x3 neighbourhood in the mask",
                    m->type->name);
  g->var_x = sxx / cnt - (sx / cnt) * (sx / cnt);
  g->var_y = syy / cnt - (sy / cnt) * (sy / cnt);
  double tiny =
      1e-12 * ((double)m->fixed_max - m->fixed_min) * ((double)m->fixed_max - m->fixed_min) + 1e-30;
  if (g->var_x < tiny) g->var_x = tiny;
  if (g->var_y < tiny) g->var_y = tiny;
  g->eps_f = m->opt.ngf_eta * smag / cnt;
  if (!(g->eps_f > 0)) g->eps_f = 1;
  return CR_OK;
}

static void grad_destroy(cr_metric *m) {
  grad_state *g = m->state;
  if (!g) return;
  free(g->fgx), free(g->fgy), free(g->mgx), free(g->mgy), free(g->tmp);
  free(g);
}

// Moving gradients on cur3 into mgx/mgy (0 elsewhere); row sums slot 0 gets the per-row
// sum of |gM| when want_mag. Returns the number of pixels.
static long moving_gradients(cr_metric *m, const cr_image *moving, int want_mag) {
  if (!mx_current_valid(m, moving)) return 0;
  long n = mx_current_valid3(m);
  grad_state *g = m->state;
  int w = m->width, h = m->height;
#pragma omp parallel for schedule(static) if (m->par)
  for (int y = 0; y < h; y++) {
    const unsigned char *c = m->cur3 + (size_t)y * w;
    float *gx = g->mgx + (size_t)y * w, *gy = g->mgy + (size_t)y * w;
    double mag = 0;
    gx[0] = gy[0] = gx[w - 1] = gy[w - 1] = 0;
    if (y == 0 || y == h - 1) {
      for (int x = 0; x < w; x++) gx[x] = gy[x] = 0;
    } else {
      const float *a = cr_image_row(moving, y - 1), *b = cr_image_row(moving, y),
                  *d = cr_image_row(moving, y + 1);
      // Branch-free (vectorized); NaN stencils are zeroed by the select.
#pragma omp simd
      for (int x = 1; x < w - 1; x++) {
        float sx =
            ((a[x + 1] - a[x - 1]) + 2.0f * (b[x + 1] - b[x - 1]) + (d[x + 1] - d[x - 1])) * 0.125f;
        float sy = ((d[x - 1] - a[x - 1]) + 2.0f * (d[x] - a[x]) + (d[x + 1] - a[x + 1])) * 0.125f;
        gx[x] = c[x] ? sx : 0.0f;
        gy[x] = c[x] ? sy : 0.0f;
      }
      if (want_mag)
        for (int x = 1; x < w - 1; x++) mag += sqrtf(gx[x] * gx[x] + gy[x] * gy[x]);
    }
    m->row_sums[(size_t)y * CR_METRIC_ROW_SUMS] = mag;
  }
  return n;
}

// gc: (NCC(Fx, Mx) + NCC(Fy, My)) / 2 over pixels with valid gradients, in [-1, 1].
// Invariant to an affine intensity change of either image. Larger is better.
static int gc_eval(cr_metric *m, const cr_image *moving, double *value) {
  if (!moving_gradients(m, moving, 0)) return cr_error(CR_EEMPTY, "metric gc: no valid pixel");
  grad_state *g = m->state;
  int w = m->width, h = m->height;
#pragma omp parallel for schedule(static) if (m->par)
  for (int y = 0; y < h; y++) {
    const unsigned char *c = m->cur3 + (size_t)y * w;
    size_t o = (size_t)y * w;
    double s[11] = {0};
    for (int x = 0; x < w; x++) {
      if (!c[x]) continue;
      double fx = g->fgx[o + x], fy = g->fgy[o + x], mx = g->mgx[o + x], my = g->mgy[o + x];
      s[0] += 1;
      s[1] += fx, s[2] += mx, s[3] += fx * fx, s[4] += mx * mx, s[5] += fx * mx;
      s[6] += fy, s[7] += my, s[8] += fy * fy, s[9] += my * my, s[10] += fy * my;
    }
    for (int k = 0; k < 11; k++) m->row_sums[(size_t)y * CR_METRIC_ROW_SUMS + k] = s[k];
  }
  double s[11];
  mx_reduce_rows(m, 11, s);
  double sy[6] = {s[0], s[6], s[7], s[8], s[9], s[10]};
  *value = 0.5 * (mx_ncc_from_moments(s) + mx_ncc_from_moments(sy));
  return CR_OK;
}

// gd: (1/n) sum Ax / (Ax + (Fx - s Mx)^2) + Ay / (Ay + (Fy - s My)^2), with Ax, Ay the
// variances of the fixed gradient components and s the least-squares gain
// sum(gF . gM) / sum |gM|^2 (Penney searches s; the fit is its closed form). In (0, 2],
// 2 at M = F. Larger is better.
static int gd_eval(cr_metric *m, const cr_image *moving, double *value) {
  long n = moving_gradients(m, moving, 0);
  if (!n) return cr_error(CR_EEMPTY, "metric gd: no valid pixel");
  grad_state *g = m->state;
  int w = m->width, h = m->height;
#pragma omp parallel for schedule(static) if (m->par)
  for (int y = 0; y < h; y++) { // gradients are 0 off cur3: no test needed
    size_t o = (size_t)y * w;
    double num = 0, den = 0;
    for (int x = 0; x < w; x++) {
      num += (double)g->fgx[o + x] * g->mgx[o + x] + (double)g->fgy[o + x] * g->mgy[o + x];
      den += (double)g->mgx[o + x] * g->mgx[o + x] + (double)g->mgy[o + x] * g->mgy[o + x];
    }
    m->row_sums[(size_t)y * CR_METRIC_ROW_SUMS] = num;
    m->row_sums[(size_t)y * CR_METRIC_ROW_SUMS + 1] = den;
  }
  double nd[2];
  mx_reduce_rows(m, 2, nd);
  float s = nd[1] > 0 ? (float)(nd[0] / nd[1]) : 0.0f;
  float ax = (float)g->var_x, ay = (float)g->var_y;
#pragma omp parallel for schedule(static) if (m->par)
  for (int y = 0; y < h; y++) {
    const unsigned char *c = m->cur3 + (size_t)y * w;
    size_t o = (size_t)y * w;
    double acc = 0;
    for (int x = 0; x < w; x++) {
      if (!c[x]) continue;
      float dx = g->fgx[o + x] - s * g->mgx[o + x], dy = g->fgy[o + x] - s * g->mgy[o + x];
      acc += ax / (ax + dx * dx) + ay / (ay + dy * dy);
    }
    m->row_sums[(size_t)y * CR_METRIC_ROW_SUMS] = acc;
  }
  double acc;
  mx_reduce_rows(m, 1, &acc);
  *value = acc / (double)n;
  return CR_OK;
}

// ngf: (1/n) sum (gF . gM)^2 / ((|gF|^2 + eF^2) (|gM|^2 + eM^2)), e = eta * mean |g| of
// each image over the valid pixels (so scale-invariant), in [0, 1). Larger is better.
static int ngf_eval(cr_metric *m, const cr_image *moving, double *value) {
  long n = moving_gradients(m, moving, 1);
  if (!n) return cr_error(CR_EEMPTY, "metric ngf: no valid pixel");
  grad_state *g = m->state;
  int w = m->width, h = m->height;
  double mag;
  mx_reduce_rows(m, 1, &mag);
  double em = m->opt.ngf_eta * mag / (double)n;
  if (!(em > 0)) em = 1; // flat moving image: every term is 0 anyway
  float ef2 = (float)(g->eps_f * g->eps_f), em2 = (float)(em * em);
  ef2 = ef2 > 1e-30f ? ef2 : 1e-30f, em2 = em2 > 1e-30f ? em2 : 1e-30f; // no 0/0
#pragma omp parallel for schedule(static) if (m->par)
  for (int y = 0; y < h; y++) {
    size_t o = (size_t)y * w;
    float *t = g->tmp + o;
    // Off cur3 the moving gradient is 0, so the term is 0: no branch needed.
#pragma omp simd
    for (int x = 0; x < w; x++) {
      float fx = g->fgx[o + x], fy = g->fgy[o + x], mx = g->mgx[o + x], my = g->mgy[o + x];
      float d = fx * mx + fy * my;
      t[x] = (d / (fx * fx + fy * fy + ef2)) * (d / (mx * mx + my * my + em2)); // no overflow
    }
    double acc = 0;
    for (int x = 0; x < w; x++) acc += t[x];
    m->row_sums[(size_t)y * CR_METRIC_ROW_SUMS] = acc;
  }
  double acc;
  mx_reduce_rows(m, 1, &acc);
  *value = acc / (double)n;
  return CR_OK;
}

const cr_metric_type mx_gc_type = {
    "gc", "gradient correlation (Penney 1998)", 1, grad_create, gc_eval, grad_destroy};
const cr_metric_type mx_gd_type = {
    "gd", "gradient difference (Penney 1998)", 1, grad_create, gd_eval, grad_destroy};
const cr_metric_type mx_ngf_type = {
    "ngf", "normalized gradient fields (squared cosine)", 1, grad_create, ngf_eval, grad_destroy};
