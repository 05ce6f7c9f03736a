// Chessboard calibration on synthetic photos rendered from known K, distortion and
// board poses (anti-aliased by supersampling, with noise, quantized to 8 bits).
#include "testutil.h"

#include "calib/chessboard.h"
#include "core/error.h"
#include "core/mat.h"
#include "core/rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NVIEWS 10

static const cr_camera truth = {
    640, 480, 600.0, 606.0, 322.5, 236.0, {-0.21, 0.09, 0.0012, -0.0008, 0.0}};

// Board poses spread over the image, tilted up to ~35 degrees.
static cr_pose board_pose(int i, double square) {
  double rv[3] = {0.45 * sin(1.3 * i + 0.2), 0.5 * cos(0.9 * i + 0.5), 0.25 * sin(2.1 * i)};
  cr_pose p = cr_pose_from_rvec_tvec(rv, (double[3]){0, 0, 0});
  double cb[3] = {4 * square, 2.5 * square, 0}, rc[3];
  double cc[3] = {45 * sin(0.7 * i + 1), 30 * cos(1.1 * i), 520 + 60 * sin(0.5 * i)};
  cr_mat3_apply(rc, p.R, cb);
  cr_vec3_sub(p.t, cc, rc);
  return p;
}

// Renders, adds noise (sigma 2 grey levels), quantizes and detects every view.
static cr_calib_views *render_views(double square, unsigned long long seed) {
  cr_calib_views *v = cr_calib_views_new(NVIEWS, 9, 6);
  assert_non_null(v);
  v->width = truth.width, v->height = truth.height;
  cr_rng rng = cr_rng_make(seed, 0);
  for (int i = 0; i < NVIEWS; i++) {
    cr_pose p = board_pose(i, square);
    cr_image *img;
    assert_int_equal(cr_calib_render_board(&truth, &p, 9, 6, square, 3, &img), 0);
    for (int y = 0; y < img->height; y++)
      for (int x = 0; x < img->width; x++) {
        float *px = cr_image_px(img, x, y);
        double g = roundf(px[0] + 2.0 * cr_rng_gaussian(&rng));
        px[0] = (float)(g < 0 ? 0 : g > 255 ? 255 : g);
      }
    char name[32];
    snprintf(name, sizeof name, "synthetic%02d", i);
    v->names[i] = strdup(name);
    assert_int_equal(
        cr_calib_find_corners(img, 8, 9, 6, v->corners + (size_t)i * 108, &v->found[i]), 0);
    cr_image_free(img);
  }
  return v;
}

// The photos are rendered once (group setup); each test works on a copy of the corners.
static cr_calib_views *g_views;
static int setup(void **state) {
  g_views = render_views(25.0, 12345);
  return 0;
}
static int teardown(void **state) {
  cr_calib_views_free(g_views);
  return 0;
}
static cr_calib_views *make_views(double square, unsigned long long seed) {
  (void)square, (void)seed;
  cr_calib_views *v = cr_calib_views_new(NVIEWS, 9, 6);
  assert_non_null(v);
  v->width = g_views->width, v->height = g_views->height;
  for (int i = 0; i < NVIEWS; i++) {
    v->names[i] = strdup(g_views->names[i]);
    v->found[i] = g_views->found[i];
  }
  memcpy(v->corners, g_views->corners, sizeof(double) * NVIEWS * 108);
  return v;
}

// Recovers fx, fy within 0.5 %, cx, cy within 2 px, RMS < 0.3 px.
static void test_synthetic_recovers_intrinsics(void **state) {
  cr_calib_views *v = make_views(25.0, 12345);
  int found = 0;
  for (int i = 0; i < NVIEWS; i++) found += v->found[i];
  assert_true(found >= 8);
  cr_calib_options opt = cr_calib_defaults();
  opt.square_mm = 25.0;
  cr_calib_result r;
  assert_int_equal(cr_calib_calibrate(v, &opt, &r), 0);
  print_message(
      "synthetic: %d views, rms %.4f px, fx %.3f fy %.3f cx %.3f cy %.3f k1 %.4f k2 %.4f\n",
      r.n_used, r.rms, r.cam.fx, r.cam.fy, r.cam.cx, r.cam.cy, r.cam.dist[0], r.cam.dist[1]);
  assert_near(r.cam.fx, truth.fx, 0.005 * truth.fx);
  assert_near(r.cam.fy, truth.fy, 0.005 * truth.fy);
  assert_near(r.cam.cx, truth.cx, 2.0);
  assert_near(r.cam.cy, truth.cy, 2.0);
  assert_true(r.rms < 0.3);
  assert_near(r.cam.dist[0], truth.dist[0], 0.03);
  // Board poses: within 1 degree and 2 mm of the rendered ones.
  for (int i = 0; i < NVIEWS; i++) {
    if (!v->found[i]) continue;
    cr_pose p = board_pose(i, 25.0);
    double ang, dist;
    cr_pose_difference(&p, &r.cam_from_board[i], &ang, &dist);
    assert_true(ang < 1.0 && dist < 2.0);
  }
  // The standard deviations are small and positive.
  for (int k = 0; k < 4; k++) assert_true(r.std_dev[k] > 0 && r.std_dev[k] < 5);
  cr_calib_result_free(&r);
  cr_calib_views_free(v);
}

// Corrupting a few corners and one whole view: rejection finds exactly those and the
// inlier RMS returns to the clean level.
static void test_rejection_finds_planted_outliers(void **state) {
  cr_calib_views *v = make_views(25.0, 777);
  int bad_view = -1;
  for (int i = NVIEWS - 1; i >= 0 && bad_view < 0; i--)
    if (v->found[i]) bad_view = i;
  // Whole view: every corner shifted by a smooth 3 px field (a wrong board, blur...).
  for (int k = 0; k < 54; k++) v->corners[((size_t)bad_view * 54 + k) * 2] += 3.0 * sin(0.3 * k);
  // Single corners in other views: 4 px jumps.
  int planted[3][2] = {{0, 10}, {1, 33}, {2, 50}};
  for (int j = 0; j < 3; j++)
    v->corners[((size_t)planted[j][0] * 54 + planted[j][1]) * 2 + 1] += 4.0;
  cr_calib_options opt = cr_calib_defaults();
  opt.square_mm = 25.0;
  opt.reject = 1;
  cr_calib_result r;
  assert_int_equal(cr_calib_calibrate(v, &opt, &r), 0);
  print_message("planted: rms_all %.3f -> inlier rms %.3f, %d/%d views, %d/%d corners\n", r.rms_all,
                r.rms, r.n_used, r.n_views, r.corners_used, r.corners_total);
  assert_true(r.rms_all > 0.5);
  assert_true(r.rms < 0.3);
  assert_int_equal(r.view_used[bad_view], 0);
  for (int j = 0; j < 3; j++) {
    assert_int_equal(r.view_used[planted[j][0]], 1);
    assert_int_equal(r.corner_used[(size_t)planted[j][0] * 54 + planted[j][1]], 0);
  }
  assert_near(r.cam.fx, truth.fx, 0.005 * truth.fx);
  cr_calib_result_free(&r);
  cr_calib_views_free(v);
}

// The written file loads with cr_camera_read and its keys read back through
// cv::FileStorage (cvw_camera_read), equal to the result.
static void test_file_round_trip(void **state) {
  cr_calib_views *v = make_views(25.0, 99);
  cr_calib_options opt = cr_calib_defaults();
  opt.square_mm = 25.0;
  opt.flags = CR_CALIB_ZERO_TANGENT | CR_CALIB_FIX_K3;
  cr_calib_result r;
  assert_int_equal(cr_calib_calibrate(v, &opt, &r), 0);
  assert_true(r.cam.dist[2] == 0 && r.cam.dist[3] == 0 && r.cam.dist[4] == 0);
  const char *path = cr_test_path("calib.yml");
  assert_int_equal(cr_calib_write(path, v, &opt, &r), 0);
  cr_camera c;
  assert_int_equal(cr_camera_read(path, &c), 0);
  assert_near(c.fx, r.cam.fx, 1e-9 * r.cam.fx);
  assert_near(c.cy, r.cam.cy, 1e-9 * r.cam.cy);
  assert_near(c.dist[0], r.cam.dist[0], 1e-12);
  assert_int_equal(c.width, 640);
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  char buf[8192];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = 0;
  fclose(f);
  const char *keys[] = {"calibration_time",
                        "nr_of_frames",
                        "board_width",
                        "square_size",
                        "flags: 136",
                        "per_view_reprojection_errors",
                        "extrinsic_parameters",
                        "camera_matrix_std_dev",
                        "avg_reprojection_error"};
  for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) assert_non_null(strstr(buf, keys[k]));
  cr_calib_result_free(&r);
  cr_calib_views_free(v);
}

// Fewer than 3 views with a board is an error naming the count.
static void test_too_few_views(void **state) {
  cr_calib_views *v = make_views(25.0, 5);
  for (int i = 2; i < NVIEWS; i++) v->found[i] = 0;
  v->found[0] = v->found[1] = 1;
  cr_calib_options opt = cr_calib_defaults();
  opt.square_mm = 25.0;
  cr_calib_result r;
  assert_int_equal(cr_calib_calibrate(v, &opt, &r), CR_EINVAL);
  assert_non_null(strstr(cr_last_error(), "at least 3"));
  // A wrong board size finds nothing.
  cr_pose p = board_pose(0, 25.0);
  cr_image *img;
  assert_int_equal(cr_calib_render_board(&truth, &p, 9, 6, 25.0, 2, &img), 0);
  double corners[2 * 8 * 5];
  int found = 1;
  assert_int_equal(cr_calib_find_corners(img, 8, 8, 5, corners, &found), 0);
  assert_int_equal(found, 0);
  cr_image_free(img);
  cr_calib_views_free(v);
}

// Detected corners against the analytic projection of the board corners, for a
// 640x480 view and a 2000x1500 one (searched at reduced size, refined at full size).
static void check_corner_accuracy(const cr_camera *cam, int ss, double tol_mean) {
  cr_pose p = board_pose(3, 25.0);
  cr_image *img;
  assert_int_equal(cr_calib_render_board(cam, &p, 9, 6, 25.0, ss, &img), 0);
  double c[108], sum = 0, mx = 0;
  int found;
  assert_int_equal(cr_calib_find_corners(img, 8, 9, 6, c, &found), 0);
  assert_int_equal(found, 1);
  for (int k = 0; k < 54; k++) {
    double X[3] = {(k % 9) * 25.0, (k / 9) * 25.0, 0}, xc[3], uv[2];
    cr_pose_apply(&p, X, xc);
    assert_int_equal(cr_camera_project(cam, xc, uv), 0);
    double e = hypot(uv[0] - c[2 * k], uv[1] - c[2 * k + 1]);
    sum += e, mx = fmax(mx, e);
  }
  print_message("%dx%d: corner error mean %.4f max %.4f px\n", cam->width, cam->height, sum / 54,
                mx);
  assert_true(sum / 54 < tol_mean && mx < 4 * tol_mean);
  cr_image_free(img);
}

static void test_corner_accuracy(void **state) {
  check_corner_accuracy(&truth, 4, 0.1);
  cr_camera big = {2000, 1500, 1900.0, 1900.0, 1000.5, 749.5, {-0.1, 0.02, 0, 0, 0}};
  check_corner_accuracy(&big, 2, 0.1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_synthetic_recovers_intrinsics),
      cmocka_unit_test(test_rejection_finds_planted_outliers),
      cmocka_unit_test(test_file_round_trip),
      cmocka_unit_test(test_too_few_views),
      cmocka_unit_test(test_corner_accuracy),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
