// Camera pyramid: downsampled images agree with the scaled intrinsics.
#include "testutil.h"

#include "core/error.h"
#include "core/pose.h"
#include "registration/pyramid.h"

#include <math.h>
#include <string.h>

#define NPTS 12

static void scene(cr_pose *pose, double pts[NPTS][3]) {
  double eye[3] = {0, -200, 40}, target[3] = {0, 0, 0}, up[3] = {0, 0, 1};
  assert_int_equal(cr_pose_look_at(pose, eye, target, up), 0);
  for (int i = 0; i < NPTS; i++) { // a 4x3 grid, tilted in depth
    pts[i][0] = -45 + 30 * (i % 4);
    pts[i][1] = -20 + 20 * (i / 4) + 3 * (i % 4);
    pts[i][2] = -25 + 25 * (i / 4);
  }
}

// Sum of Gaussian blobs (sigma px) at the projections of the points.
static cr_image *draw_blobs(const cr_camera *cam, const cr_pose *pose, double pts[NPTS][3],
                            double sigma) {
  cr_image *img = cr_image_new(cam->width, cam->height, 1);
  for (int i = 0; i < NPTS; i++) {
    double xc[3], uv[2];
    cr_pose_apply(pose, pts[i], xc);
    assert_int_equal(cr_camera_project(cam, xc, uv), 0);
    for (int y = 0; y < cam->height; y++)
      for (int x = 0; x < cam->width; x++) {
        double d2 = (x - uv[0]) * (x - uv[0]) + (y - uv[1]) * (y - uv[1]);
        *cr_image_px(img, x, y) += (float)exp(-d2 / (2 * sigma * sigma));
      }
  }
  return img;
}

// Intensity centroid in a (2r+1)^2 window around (u, v) rounded.
static void centroid(const cr_image *img, double u, double v, int r, double c[2]) {
  double s = 0, su = 0, sv = 0;
  int u0 = (int)lround(u), v0 = (int)lround(v);
  for (int y = v0 - r; y <= v0 + r; y++)
    for (int x = u0 - r; x <= u0 + r; x++) {
      assert_true(x >= 0 && y >= 0 && x < img->width && y < img->height);
      double w = *cr_image_px(img, x, y);
      s += w, su += w * x, sv += w * y;
    }
  c[0] = su / s, c[1] = sv / s;
}

static void check_size(int w, int h, int levels) {
  cr_camera cam = cr_camera_from_fov(w, h, 50);
  cam.cx += 3.3, cam.cy -= 2.1; // off-centre principal point
  cr_pose pose;
  double pts[NPTS][3];
  scene(&pose, pts);
  cr_image *full = draw_blobs(&cam, &pose, pts, 1.2 * (1 << levels));
  cr_reg_pyramid *pyr;
  assert_int_equal(cr_reg_pyramid_build(&cam, full, NULL, levels + 1, &pyr), 0);
  for (int l = 1; l <= levels; l++) {
    const cr_camera *lc = &pyr->camera[l];
    assert_int_equal(pyr->photo[l]->width, lc->width);
    assert_int_equal(pyr->photo[l]->height, lc->height);
    double worst = 0;
    for (int i = 0; i < NPTS; i++) {
      double xc[3], uv[2], c[2];
      cr_pose_apply(&pose, pts[i], xc);
      assert_int_equal(cr_camera_project(lc, xc, uv), 0);
      centroid(pyr->photo[l], uv[0], uv[1], (int)ceil(4.5 * 1.2 * (1 << levels) / (1 << l)), c);
      worst = fmax(worst, hypot(c[0] - uv[0], c[1] - uv[1]));
    }
    print_message("%dx%d level %d (%dx%d): worst centroid offset %.4f px\n", w, h, l, lc->width,
                  lc->height, worst);
    assert_true(worst < 0.1);
  }
  cr_reg_pyramid_free(pyr);
  cr_image_free(full);
}

static void test_blobs_even_size(void **state) {
  check_size(320, 240, 2);
}
static void test_blobs_odd_size(void **state) {
  check_size(321, 241, 1);
}

static void test_mask_levels(void **state) {
  cr_camera cam = cr_camera_from_fov(64, 48, 40);
  cr_image *photo = cr_image_new(64, 48, 3), *mask = cr_image_new(64, 48, 1);
  for (int y = 0; y < 48; y++)
    for (int x = 32; x < 64; x++) *cr_image_px(mask, x, y) = 255;
  cr_reg_pyramid *pyr;
  assert_int_equal(cr_reg_pyramid_build(&cam, photo, mask, 3, &pyr), 0);
  assert_int_equal(pyr->photo[2]->channels, 3);
  assert_true(*cr_image_px(pyr->mask[0], 40, 5) == 1.0f);
  assert_true(*cr_image_px(pyr->mask[1], 20, 5) == 1.0f); // inside
  assert_true(*cr_image_px(pyr->mask[1], 10, 5) == 0.0f); // outside
  assert_true(pyr->mask[2]->width == 16 && pyr->mask[2]->height == 12);
  cr_reg_pyramid_free(pyr);
  cr_image_free(photo);
  cr_image_free(mask);
}

static void test_bad_input(void **state) {
  cr_camera cam = cr_camera_from_fov(64, 48, 40);
  cr_image *photo = cr_image_new(64, 48, 1), *wrong = cr_image_new(60, 48, 1),
           *empty = cr_image_new(64, 48, 1);
  cr_reg_pyramid *pyr = (cr_reg_pyramid *)1;
  assert_int_equal(cr_reg_pyramid_build(&cam, wrong, NULL, 2, &pyr), CR_EINVAL);
  assert_null(pyr);
  assert_non_null(strstr(cr_last_error(), "60x48"));
  assert_int_equal(cr_reg_pyramid_build(&cam, photo, empty, 2, &pyr), CR_EEMPTY);
  assert_int_equal(cr_reg_pyramid_build(&cam, photo, NULL, 6, &pyr), CR_EINVAL); // 2x1.5 top
  assert_int_equal(cr_reg_pyramid_build(&cam, photo, NULL, 0, &pyr), CR_EINVAL);
  cr_reg_pyramid_free(NULL);
  cr_image_free(photo);
  cr_image_free(wrong);
  cr_image_free(empty);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_blobs_even_size),
      cmocka_unit_test(test_blobs_odd_size),
      cmocka_unit_test(test_mask_levels),
      cmocka_unit_test(test_bad_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
