// Feature matches (calib/features.h) between a textured image and a copy of it moved by a
// known shift, and by a known rotation: the matched positions follow the motion (checked
// pair by pair against the analytic map); a contrast change does not matter; bad inputs
// are refused.
#include "testutil.h"

#include "calib/features.h"
#include "core/error.h"

#include <math.h>
#include <stdlib.h>

enum { W = 200, H = 160 };

// Blobs and ridges at several scales, no symmetry: AKAZE finds keypoints all over it.
static float texture(double x, double y) {
  double v = 0;
  for (int k = 0; k < 24; k++) {
    const double cx = 20 + fmod(37.0 * k * k + 11 * k, 170),
                 cy = 15 + fmod(53.0 * k + 7 * k * k, 140);
    const double r = 3 + (k % 5) * 2, d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
    v += (k % 2 ? 1 : -0.7) * exp(-d2 / (2 * r * r));
  }
  return (float)(v + 0.3 * sin(0.21 * x + 0.13 * y) * cos(0.17 * y - 0.05 * x));
}

// The image whose pixel (x, y) shows texture at (c + R(-deg) (x - c) - shift): the texture
// rotated by deg about the centre c, then moved by shift; `gain` scales the contrast.
static cr_image *moved(double deg, double sx, double sy, float gain) {
  cr_image *im = cr_image_new(W, H, 1);
  const double a = deg * M_PI / 180, c = cos(a), s = sin(a), cx = W / 2.0, cy = H / 2.0;
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      const double u = x - sx - cx, v = y - sy - cy;
      *cr_image_px(im, x, y) = gain * texture(cx + c * u + s * v, cy - s * u + c * v);
    }
  return im;
}

// The fraction of pairs whose b position is where the motion takes the a position,
// within tol px.
static double follow(const double *pa, const double *pb, int n, double deg, double sx, double sy,
                     double tol) {
  const double a = deg * M_PI / 180, c = cos(a), s = sin(a), cx = W / 2.0, cy = H / 2.0;
  int ok = 0;
  for (int i = 0; i < n; i++) {
    const double u = pa[2 * i] - cx, v = pa[2 * i + 1] - cy;
    const double bx = cx + c * u - s * v + sx, by = cy + s * u + c * v + sy;
    ok += hypot(pb[2 * i] - bx, pb[2 * i + 1] - by) < tol;
  }
  return n ? (double)ok / n : 0;
}

static void run(double deg, double sx, double sy, float gain) {
  cr_image *a = moved(0, 0, 0, 1), *b = moved(deg, sx, sy, gain);
  cr_calib_feature_options o = cr_calib_feature_defaults();
  double *pa, *pb;
  int n;
  assert_int_equal(cr_calib_feature_matches(a, NULL, b, NULL, &o, &pa, &pb, &n), 0);
  const double f = follow(pa, pb, n, deg, sx, sy, 1.5);
  print_message(
      "turn %.0f deg, shift (%.0f, %.0f) px, gain %.1f: %d matches, %.0f %% within 1.5 px\n", deg,
      sx, sy, gain, n, 100 * f);
  // most pairs follow the motion to a pixel (wrong coordinates would give none); the
  // others pair blobs of one size with one another, which RANSAC leaves out downstream
  assert_true(n >= 20);
  assert_true(f >= 0.6);
  free(pa), free(pb);
  cr_image_free(a), cr_image_free(b);
}

static void test_shift(void **state) {
  run(0, 12, -7, 1);
}

static void test_rotation_and_contrast(void **state) {
  run(30, 5, 3, 3);
}

// A mask limits the keypoints of its image to its non-zero pixels.
static void test_mask(void **state) {
  cr_image *a = moved(0, 0, 0, 1), *m = cr_image_new(W, H, 1);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) *cr_image_px(m, x, y) = x < W / 2;
  cr_calib_feature_options o = cr_calib_feature_defaults();
  double *pa, *pb;
  int n;
  assert_int_equal(cr_calib_feature_matches(a, m, a, NULL, &o, &pa, &pb, &n), 0);
  assert_true(n >= 10);
  for (int i = 0; i < n; i++) assert_true(pa[2 * i] < W / 2);
  free(pa), free(pb);
  cr_image_free(a), cr_image_free(m);
}

static void test_bad_inputs(void **state) {
  cr_image *a = moved(0, 0, 0, 1), *rgb = cr_image_new(W, H, 3), *nan = cr_image_new(W, H, 1),
           *small = cr_image_new(10, 10, 1);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) *cr_image_px(nan, x, y) = NAN;
  cr_calib_feature_options o = cr_calib_feature_defaults();
  double *pa, *pb;
  int n;
  assert_int_equal(cr_calib_feature_matches(a, NULL, rgb, NULL, &o, &pa, &pb, &n), CR_EINVAL);
  assert_int_equal(cr_calib_feature_matches(a, small, a, NULL, &o, &pa, &pb, &n), CR_EINVAL);
  assert_int_equal(cr_calib_feature_matches(a, NULL, nan, NULL, &o, &pa, &pb, &n), CR_EEMPTY);
  assert_null(pa);
  o.ratio = 0;
  assert_int_equal(cr_calib_feature_matches(a, NULL, a, NULL, &o, &pa, &pb, &n), CR_EINVAL);
  cr_image_free(a), cr_image_free(rgb), cr_image_free(nan), cr_image_free(small);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_shift),
      cmocka_unit_test(test_rotation_and_contrast),
      cmocka_unit_test(test_mask),
      cmocka_unit_test(test_bad_inputs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
