// Pixel-wise metrics: sum of squared differences, normalized cross-correlation, Dice.
#include "metrics/internal.h"

// Per-row sums over pixels that are valid and finite in the moving image. k: 0 = n,
// 1 = sum f, 2 = sum m, 3 = sum ff, 4 = sum mm, 5 = sum fm, 6 = sum (f-m)^2.
static void row_moments(cr_metric *m, const cr_image *moving, double *s) {
  int w = m->width, h = m->height;
  double *rs = m->row_sums;
#pragma omp parallel for schedule(static) if (m->par)
  for (int y = 0; y < h; y++) {
    const float *mv = cr_image_row(moving, y);
    const float *f = m->fixed + (size_t)y * w;
    const unsigned char *v = m->valid + (size_t)y * w;
    double n = 0, sf = 0, sm = 0, sff = 0, smm = 0, sfm = 0, sd = 0;
    for (int x = 0; x < w; x++) {
      if (!v[x] || !isfinite(mv[x])) continue;
      double a = f[x], b = mv[x], d = a - b;
      n += 1, sf += a, sm += b, sff += a * a, smm += b * b, sfm += a * b, sd += d * d;
    }
    double *r = rs + (size_t)y * CR_METRIC_ROW_SUMS;
    r[0] = n, r[1] = sf, r[2] = sm, r[3] = sff, r[4] = smm, r[5] = sfm, r[6] = sd;
  }
  mx_reduce_rows(m, 7, s);
}

// ssd: mean over valid pixels of (F - M)^2. Smaller is better; 0 at M = F.
static int ssd_eval(cr_metric *m, const cr_image *moving, double *value) {
  double s[7];
  row_moments(m, moving, s);
  if (s[0] == 0) return cr_error(CR_EEMPTY, "metric ssd: no valid pixel");
  *value = s[6] / s[0];
  return CR_OK;
}

// Pearson correlation from the moments; 0 when either image is constant.
double mx_ncc_from_moments(const double *s) {
  double n = s[0];
  double vf = s[3] - s[1] * s[1] / n, vm = s[4] - s[2] * s[2] / n;
  double c = s[5] - s[1] * s[2] / n;
  if (!(vf > 1e-300 * n) || !(vm > 1e-300 * n)) return 0;
  double r = c / sqrt(vf * vm);
  return r > 1 ? 1 : r < -1 ? -1 : r;
}

// ncc: Pearson correlation of F and M over valid pixels, in [-1, 1]; larger is better.
// Invariant to an affine intensity change (positive gain) of either image.
static int ncc_eval(cr_metric *m, const cr_image *moving, double *value) {
  double s[7];
  row_moments(m, moving, s);
  if (s[0] == 0) return cr_error(CR_EEMPTY, "metric ncc: no valid pixel");
  *value = mx_ncc_from_moments(s);
  return CR_OK;
}

// dice: 2|A and B| / (|A| + |B|) with A = {F > t}, B = {M > t} over valid pixels
// (t = dice_threshold); 1 when both are empty. Larger is better.
static int dice_eval(cr_metric *m, const cr_image *moving, double *value) {
  int w = m->width, h = m->height;
  float t = (float)m->opt.dice_threshold;
  double *rs = m->row_sums;
#pragma omp parallel for schedule(static) if (m->par)
  for (int y = 0; y < h; y++) {
    const float *mv = cr_image_row(moving, y);
    const float *f = m->fixed + (size_t)y * w;
    const unsigned char *v = m->valid + (size_t)y * w;
    long n = 0, a = 0, b = 0, ab = 0;
    for (int x = 0; x < w; x++) {
      if (!v[x] || !isfinite(mv[x])) continue;
      int fa = f[x] > t, mb = mv[x] > t;
      n++, a += fa, b += mb, ab += fa & mb;
    }
    double *r = rs + (size_t)y * CR_METRIC_ROW_SUMS;
    r[0] = (double)n, r[1] = (double)a, r[2] = (double)b, r[3] = (double)ab;
  }
  double s[4];
  mx_reduce_rows(m, 4, s);
  if (s[0] == 0) return cr_error(CR_EEMPTY, "metric dice: no valid pixel");
  *value = s[1] + s[2] > 0 ? 2 * s[3] / (s[1] + s[2]) : 1.0;
  return CR_OK;
}

const cr_metric_type mx_ssd_type = {"ssd", "mean squared intensity difference", 0, NULL, ssd_eval,
                                    NULL};
const cr_metric_type mx_ncc_type = {
    "ncc", "normalized cross-correlation (Pearson)", 1, NULL, ncc_eval, NULL};
const cr_metric_type mx_dice_type = {
    "dice", "Dice overlap of images thresholded at t", 1, NULL, dice_eval, NULL};
