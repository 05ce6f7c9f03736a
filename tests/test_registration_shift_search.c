// The shift sampler's scores (registration/shift_search.h) on a pattern whose shifted copy
// is known: the best shift is the true one; the scores do not change when the render's
// contrast does (NGF); render pixels that miss count as unrelated (coverage); a mask
// limits the photo pixels and the part of the canvas rendered; every score agrees with the
// definition computed pixel by pixel; bad sizes are refused.
// test-links: registration
#include "testutil.h"

#include "core/error.h"
#include "registration/shift_search.h"

#include <math.h>
#include <stdlib.h>

enum { W = 40, H = 30, MX = 9, MY = 7, DX = 4, DY = -3 };

// A smooth pattern with structure in every direction (no shift is a symmetry).
static float pattern(double x, double y) {
  return (float)(sin(0.37 * x + 0.11 * y) + 0.7 * cos(0.23 * y - 0.05 * x * x / W) +
                 0.4 * sin(0.61 * x * y / (W + H)));
}

static cr_image *photo_image(void) {
  cr_image *p = cr_image_new(W, H, 1);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) *cr_image_px(p, x, y) = pattern(x, y);
  return p;
}

// The render of the part of the wide canvas the scores read (cr_reg_shift_canvas): photo
// pixel x appears at full-canvas pixel x + (MX + DX, MY + DY). *x0 (may be NULL): the
// part's left column in the full canvas.
static cr_image *wide_image(const cr_reg_shift_photo *sp, float gain, int *x0) {
  int cx0, cy0, cw, ch;
  cr_reg_shift_canvas(sp, MX, MY, &cx0, &cy0, &cw, &ch);
  cr_image *w = cr_image_new(cw, ch, 1);
  for (int y = 0; y < w->height; y++)
    for (int x = 0; x < w->width; x++)
      *cr_image_px(w, x, y) = gain * pattern(x + cx0 - MX - DX, y + cy0 - MY - DY);
  if (x0) *x0 = cx0;
  return w;
}

// Sobel / 8 at (x, y), 0 if a NaN is in the 3x3 neighbourhood.
static void sobel_ref(const cr_image *im, int x, int y, double *gx, double *gy) {
  double v[3][3];
  for (int j = -1; j <= 1; j++)
    for (int i = -1; i <= 1; i++) v[j + 1][i + 1] = *cr_image_px(im, x + i, y + j);
  *gx = (v[0][2] - v[0][0] + 2 * (v[1][2] - v[1][0]) + v[2][2] - v[2][0]) / 8;
  *gy = (v[2][0] - v[0][0] + 2 * (v[2][1] - v[0][1]) + v[2][2] - v[0][2]) / 8;
  if (!isfinite(*gx) || !isfinite(*gy)) *gx = *gy = 0;
}

// 1 if photo pixel (x, y) counts: its 3x3 neighbourhood inside the mask.
static int counts(const cr_image *mask, int x, int y) {
  int in = 1;
  for (int j = -1; j <= 1; j++)
    for (int i = -1; i <= 1; i++) in &= !mask || *cr_image_px(mask, x + i, y + j) != 0;
  return in;
}

// The score of shift (dx, dy) from the header's definition, pixel by pixel: the
// independent path the fast correlation is checked against.
static double score_ref(const cr_image *photo, const cr_image *mask, const cr_image *part, int x0,
                        int y0, int dx, int dy, double eta) {
  double pm = 0, rm = 0;
  long n = 0, nr = 0;
  for (int y = 1; y < H - 1; y++)
    for (int x = 1; x < W - 1; x++) {
      if (!counts(mask, x, y)) continue;
      double gx, gy;
      sobel_ref(photo, x, y, &gx, &gy);
      pm += sqrt(gx * gx + gy * gy), n++;
    }
  for (int y = 1; y < part->height - 1; y++)
    for (int x = 1; x < part->width - 1; x++) {
      double gx, gy;
      sobel_ref(part, x, y, &gx, &gy);
      if (gx != 0 || gy != 0) rm += sqrt(gx * gx + gy * gy), nr++;
    }
  const double ep = eta * pm / n, er = eta * rm / nr;
  double sum = 0;
  for (int y = 1; y < H - 1; y++)
    for (int x = 1; x < W - 1; x++) {
      if (!counts(mask, x, y)) continue;
      double px, py, rx, ry;
      sobel_ref(photo, x, y, &px, &py);
      sobel_ref(part, x + MX + dx - x0, y + MY + dy - y0, &rx, &ry);
      const double d = (px * rx + py * ry);
      sum += d * d / ((px * px + py * py + ep * ep) * (rx * rx + ry * ry + er * er));
    }
  return sum / n;
}

static int argmax(const float *s, int n) {
  int b = 0;
  for (int i = 1; i < n; i++)
    if (s[i] > s[b]) b = i;
  return b;
}

static void test_best_shift_is_the_true_one(void **state) {
  cr_image *p = photo_image();
  cr_reg_shift_photo *sp = cr_reg_shift_photo_new(p, NULL, 0.1);
  assert_non_null(sp);
  cr_image *w = wide_image(sp, 1, NULL);
  const int nx = 2 * MX + 1, ny = 2 * MY + 1;
  float *s = malloc(sizeof(float) * nx * ny), *s3 = malloc(sizeof(float) * nx * ny);
  assert_int_equal(cr_reg_shift_scores(sp, w, MX, MY, s), 0);
  int b = argmax(s, nx * ny);
  assert_int_equal(b % nx - MX, DX);
  assert_int_equal(b / nx - MY, DY);
  // an exact copy: every term is the squared cosine 1 damped only by the edge parameters
  assert_true(s[b] > 0.7 && s[b] <= 1);
  for (int i = 0; i < nx * ny; i++) assert_true(i == b || s[i] < s[b] - 0.01);
  // NGF is contrast-invariant: a render three times as bright scores the same
  cr_image *w3 = wide_image(sp, 3, NULL);
  assert_int_equal(cr_reg_shift_scores(sp, w3, MX, MY, s3), 0);
  for (int i = 0; i < nx * ny; i++) assert_float_equal(s3[i], s[i], 1e-5);
  cr_image_free(w3);
  free(s), free(s3);
  cr_reg_shift_photo_free(sp);
  cr_image_free(p), cr_image_free(w);
}

// Misses: the render NaN where the left half of the photo falls at the true shift. Those
// photo pixels (and the column next to the NaN) count as unrelated: the score is about
// half of the full one, not the full one over the pixels left (as a mean over hits would).
static void test_misses_count_as_unrelated(void **state) {
  cr_image *p = photo_image();
  cr_reg_shift_photo *sp = cr_reg_shift_photo_new(p, NULL, 0.1);
  int x0;
  cr_image *w = wide_image(sp, 1, &x0);
  const int nx = 2 * MX + 1, ny = 2 * MY + 1, at = (MY + DY) * nx + (MX + DX);
  float *full = malloc(sizeof(float) * nx * ny), *half = malloc(sizeof(float) * nx * ny);
  assert_int_equal(cr_reg_shift_scores(sp, w, MX, MY, full), 0);
  for (int y = 0; y < w->height; y++)
    for (int x = 0; x < MX + DX + W / 2 - x0; x++) *cr_image_px(w, x, y) = NAN;
  assert_int_equal(cr_reg_shift_scores(sp, w, MX, MY, half), 0);
  print_message("full %.3f, left half missed %.3f\n", full[at], half[at]);
  assert_true(half[at] > 0.35 * full[at] && half[at] < 0.55 * full[at]);
  free(full), free(half);
  cr_reg_shift_photo_free(sp);
  cr_image_free(p), cr_image_free(w);
}

// A mask: only photo pixels whose 3x3 neighbourhood is inside count. With the mask on the
// right half, a render that misses the left half scores as the unmasked full copy does
// (up to the edge parameters, which come from the pixels that count).
static void test_mask(void **state) {
  cr_image *p = photo_image(), *m = cr_image_new(W, H, 1);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) *cr_image_px(m, x, y) = x >= W / 2 + 2;
  cr_reg_shift_photo *sp = cr_reg_shift_photo_new(p, m, 0.1);
  assert_non_null(sp);
  // the part rendered starts at the mask's box (column W / 2 + 3, less the Sobel's pixel)
  int x0, y0, cw, ch;
  cr_reg_shift_canvas(sp, MX, MY, &x0, &y0, &cw, &ch);
  assert_int_equal(x0, W / 2 + 2);
  assert_int_equal(y0, 0);
  assert_int_equal(cw, (W - 2) - (W / 2 + 3) + 2 * MX + 3);
  assert_int_equal(ch, H + 2 * MY);
  cr_image *w = wide_image(sp, 1, NULL);
  const int nx = 2 * MX + 1, ny = 2 * MY + 1, at = (MY + DY) * nx + (MX + DX);
  float *s = malloc(sizeof(float) * nx * ny);
  assert_int_equal(cr_reg_shift_scores(sp, w, MX, MY, s), 0);
  assert_int_equal(argmax(s, nx * ny), at);
  assert_true(s[at] > 0.7);
  // every shift as the definition says, pixel by pixel, with a third of the part missed
  for (int y = 0; y < w->height; y++)
    for (int x = 0; x < w->width / 3; x++) *cr_image_px(w, x, y) = NAN;
  assert_int_equal(cr_reg_shift_scores(sp, w, MX, MY, s), 0);
  double worst = 0;
  for (int k = 0; k < nx * ny; k++)
    worst = fmax(worst, fabs(s[k] - score_ref(p, m, w, x0, y0, k % nx - MX, k / nx - MY, 0.1)));
  print_message("largest difference from the pixel-by-pixel scores: %.2g\n", worst);
  assert_true(worst < 1e-5);
  // an empty mask, wrong sizes
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) *cr_image_px(m, x, y) = 0;
  assert_null(cr_reg_shift_photo_new(p, m, 0.1));
  assert_int_equal(cr_last_status(), CR_EEMPTY);
  assert_int_equal(cr_reg_shift_scores(sp, w, MX + 1, MY, s), CR_EINVAL);
  assert_null(cr_reg_shift_photo_new(p, NULL, 0));
  free(s);
  cr_reg_shift_photo_free(sp);
  cr_image_free(p), cr_image_free(w), cr_image_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_best_shift_is_the_true_one),
      cmocka_unit_test(test_misses_count_as_unrelated),
      cmocka_unit_test(test_mask),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
