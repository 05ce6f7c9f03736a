// camreg's undistortion against cv::undistort (tests/cv_reference.h).
// test-links: cvref
#include <math.h>

#include "cv_reference.h"
#include "testutil.h"

#include "calib/undistort.h"
#include "core/error.h"

#include <stdlib.h>

static const cr_camera cam = {
    320, 240, 300.0, 302.0, 161.5, 118.0, {-0.25, 0.08, 0.001, -0.0015, 0.0}};

// A smooth test image (max gradient ~8 grey/px): OpenCV's remap works on a 1/32 pixel
// grid, so sharp edges would differ by interpolation-table rounding alone.
static cr_image *smooth_image(int channels) {
  cr_image *img = cr_image_new(cam.width, cam.height, channels);
  for (int y = 0; y < img->height; y++)
    for (int x = 0; x < img->width; x++)
      for (int c = 0; c < channels; c++)
        cr_image_px(img, x, y)[c] =
            (float)(128 + 100 * sin(0.07 * x + 0.5 * c) * cos(0.05 * y) + 20 * c);
  return img;
}

// Largest difference over output pixels whose source position lies at least 1 px inside
// the source image (at the edge of the valid area OpenCV's 1/32 px interpolation grid
// meets the zero border, so values there differ by rounding of the grid alone).
static double max_diff(const cr_image *a, const float *b, const cr_camera *nc) {
  double m = 0;
  for (int y = 0; y < a->height; y++)
    for (int x = 0; x < a->width; x++) {
      double xn[2] = {(x - nc->cx) / nc->fx, (y - nc->cy) / nc->fy}, xd[2];
      cr_camera_distort_normalized(&cam, xn, xd);
      double u = cam.fx * xd[0] + cam.cx, v = cam.fy * xd[1] + cam.cy;
      if (u < 1 || v < 1 || u > cam.width - 2 || v > cam.height - 2) continue;
      for (int c = 0; c < a->channels; c++) {
        double d = fabs(cr_image_px(a, x, y)[c] - b[((size_t)y * a->width + x) * a->channels + c]);
        if (d > m) m = d;
      }
    }
  return m;
}

static void compare(double alpha, int channels) {
  cr_image *src = smooth_image(channels), *dst;
  cr_camera nc;
  assert_int_equal(cr_calib_undistorted_camera(&cam, alpha, &nc), 0);
  assert_false(cr_camera_has_distortion(&nc));
  assert_int_equal(cr_calib_undistort(src, &cam, &nc, &dst), 0);
  double K[9] = {cam.fx, 0, cam.cx, 0, cam.fy, cam.cy, 0, 0, 1};
  double N[9] = {nc.fx, 0, nc.cx, 0, nc.fy, nc.cy, 0, 0, 1};
  float *ref = malloc(sizeof(float) * cam.width * cam.height * channels);
  char err[256];
  assert_int_equal(cvref_undistort(src->data, cam.width, cam.height, channels, src->stride, K,
                                   cam.dist, N, ref, err, sizeof err),
                   0);
  double m = max_diff(dst, ref, &nc);
  print_message("alpha %g, %d channel(s): max |ours - cv::undistort| = %.4f grey\n", alpha,
                channels, m);
  assert_true(m <= 0.5);
  free(ref);
  cr_image_free(src), cr_image_free(dst);
}

static void test_matches_opencv_same_K(void **state) {
  compare(-1, 1);
}
static void test_matches_opencv_alpha1_rgb(void **state) {
  compare(1.0, 3);
}
static void test_matches_opencv_alpha0(void **state) {
  compare(0.0, 1);
}

// Without distortion, undistortion with the same K is the identity.
static void test_identity_without_distortion(void **state) {
  cr_camera c = cam;
  for (int k = 0; k < 5; k++) c.dist[k] = 0;
  cr_image *src = smooth_image(1), *dst;
  assert_int_equal(cr_calib_undistort(src, &c, &c, &dst), 0);
  assert_true(max_diff(dst, src->data, &c) < 1e-4);
  cr_image_free(src), cr_image_free(dst);
}

// A photo of another size than the camera file is an error.
static void test_size_mismatch(void **state) {
  cr_image *src = cr_image_new(100, 80, 1), *dst;
  assert_int_equal(cr_calib_undistort(src, &cam, &cam, &dst), CR_EINVAL);
  cr_image_free(src);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_matches_opencv_same_K),
      cmocka_unit_test(test_matches_opencv_alpha1_rgb),
      cmocka_unit_test(test_matches_opencv_alpha0),
      cmocka_unit_test(test_identity_without_distortion),
      cmocka_unit_test(test_size_mismatch),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
