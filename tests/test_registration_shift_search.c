// The shift sampler's scores (registration/shift_search.h) on a pattern whose shifted copy
// is known: the best shift is the true one; the scores do not change when the render's
// contrast does (NGF); render pixels that miss count as unrelated (coverage); a mask
// limits the photo pixels; bad sizes are refused.
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

// The render on the wide canvas: photo pixel x appears at canvas x + (MX + DX, MY + DY).
static cr_image *wide_image(float gain) {
  cr_image *w = cr_image_new(W + 2 * MX, H + 2 * MY, 1);
  for (int y = 0; y < w->height; y++)
    for (int x = 0; x < w->width; x++)
      *cr_image_px(w, x, y) = gain * pattern(x - MX - DX, y - MY - DY);
  return w;
}

static int argmax(const float *s, int n) {
  int b = 0;
  for (int i = 1; i < n; i++)
    if (s[i] > s[b]) b = i;
  return b;
}

static void test_best_shift_is_the_true_one(void **state) {
  cr_image *p = photo_image(), *w = wide_image(1);
  cr_reg_shift_photo *sp = cr_reg_shift_photo_new(p, NULL, 0.1);
  assert_non_null(sp);
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
  cr_image *w3 = wide_image(3);
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
  cr_image *p = photo_image(), *w = wide_image(1);
  cr_reg_shift_photo *sp = cr_reg_shift_photo_new(p, NULL, 0.1);
  const int nx = 2 * MX + 1, ny = 2 * MY + 1, at = (MY + DY) * nx + (MX + DX);
  float *full = malloc(sizeof(float) * nx * ny), *half = malloc(sizeof(float) * nx * ny);
  assert_int_equal(cr_reg_shift_scores(sp, w, MX, MY, full), 0);
  for (int y = 0; y < w->height; y++)
    for (int x = 0; x < MX + DX + W / 2; x++) *cr_image_px(w, x, y) = NAN;
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
  cr_image *p = photo_image(), *w = wide_image(1), *m = cr_image_new(W, H, 1);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) *cr_image_px(m, x, y) = x >= W / 2 + 2;
  cr_reg_shift_photo *sp = cr_reg_shift_photo_new(p, m, 0.1);
  assert_non_null(sp);
  const int nx = 2 * MX + 1, ny = 2 * MY + 1, at = (MY + DY) * nx + (MX + DX);
  float *s = malloc(sizeof(float) * nx * ny);
  for (int y = 0; y < w->height; y++)
    for (int x = 0; x < MX + DX + W / 2; x++) *cr_image_px(w, x, y) = NAN;
  assert_int_equal(cr_reg_shift_scores(sp, w, MX, MY, s), 0);
  assert_int_equal(argmax(s, nx * ny), at);
  assert_true(s[at] > 0.7);
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
