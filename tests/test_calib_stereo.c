// Stereo calibration on synthetic pairs rendered from a known rig (left 640x480, right
// 800x600 with other intrinsics and distortion; 25 mm baseline, 7 deg toe-in): the
// library recovers right_from_left, pairs with one board are dropped, too few pairs are
// refused; the command writes a rig file that reads back as the truth and refuses photos
// of different sizes within a side without writing anything.
#include "testutil.h"

#include "calib/stereo.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/image.h"
#include "core/mat.h"
#include "core/rig.h"
#include "core/rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NPAIRS 10
#define SQUARE 25.0

static cr_rig truth_rig(void) {
  cr_rig rig;
  memset(&rig, 0, sizeof rig);
  rig.left = (cr_camera){640, 480, 600.0, 606.0, 322.5, 236.0, {-0.21, 0.09, 0.0012, -0.0008, 0}};
  rig.right = (cr_camera){800, 600, 760.0, 757.0, 401.0, 297.5, {-0.15, 0.05, -0.0006, 0.0009, 0}};
  double rvec[3] = {0.01, -0.12, 0.02}, tvec[3] = {-24.6, 0.4, 2.9};
  rig.right_from_left = cr_pose_from_rvec_tvec(rvec, tvec);
  rig.rms = NAN;
  return rig;
}

// Board poses in the left camera frame, in front of both cameras, tilted up to ~30 deg.
static cr_pose board_pose(int i) {
  double rv[3] = {0.4 * sin(1.3 * i + 0.2), 0.45 * cos(0.9 * i + 0.5), 0.25 * sin(2.1 * i)};
  cr_pose p = cr_pose_from_rvec_tvec(rv, (double[3]){0, 0, 0});
  double cb[3] = {4 * SQUARE, 2.5 * SQUARE, 0}, rc[3];
  double cc[3] = {-10 + 35 * sin(0.7 * i + 1), 25 * cos(1.1 * i), 560 + 50 * sin(0.5 * i)};
  cr_mat3_apply(rc, p.R, cb);
  cr_vec3_sub(p.t, cc, rc);
  return p;
}

// The board seen by `cam` from `cam_from_board`, with noise (sigma 2 grey levels), 8 bits.
static cr_image *render(const cr_camera *cam, const cr_pose *cam_from_board, cr_rng *rng) {
  cr_image *img;
  assert_int_equal(cr_calib_render_board(cam, cam_from_board, 9, 6, SQUARE, 3, &img), 0);
  for (int y = 0; y < img->height; y++)
    for (int x = 0; x < img->width; x++) {
      float *px = cr_image_px(img, x, y);
      double g = roundf(px[0] + 2.0 * cr_rng_gaussian(rng));
      px[0] = (float)(g < 0 ? 0 : g > 255 ? 255 : g);
    }
  return img;
}

// Pairs rendered once (group setup): images written as files for the command, corners
// detected for the library tests.
static cr_calib_views *g_views[2];
static int setup(void **state) {
  cr_rig rig = truth_rig();
  cr_rng rng = cr_rng_make(2024, 0);
  for (int s = 0; s < 2; s++) g_views[s] = cr_calib_views_new(NPAIRS, 9, 6);
  for (int i = 0; i < NPAIRS; i++) {
    cr_pose left_from_board = board_pose(i);
    cr_pose right_from_board = cr_pose_compose(&rig.right_from_left, &left_from_board);
    const cr_pose *poses[2] = {&left_from_board, &right_from_board};
    const cr_camera *cams[2] = {&rig.left, &rig.right};
    for (int s = 0; s < 2; s++) {
      cr_image *img = render(cams[s], poses[s], &rng);
      char name[64];
      snprintf(name, sizeof name, "%s%02d.png", s ? "R" : "L", i);
      assert_int_equal(cr_image_write(cr_test_path(name), img, 8), 0);
      cr_calib_views *v = g_views[s];
      v->names[i] = strdup(name);
      v->width = img->width, v->height = img->height;
      assert_int_equal(
          cr_calib_find_corners(img, 8, 9, 6, v->corners + (size_t)i * 108, &v->found[i]), 0);
      cr_image_free(img);
    }
  }
  return 0;
}
static int teardown(void **state) {
  cr_calib_views_free(g_views[0]);
  cr_calib_views_free(g_views[1]);
  return 0;
}

static cr_calib_views *copy_views(const cr_calib_views *g) {
  cr_calib_views *v = cr_calib_views_new(g->n, g->cols, g->rows);
  assert_non_null(v);
  v->width = g->width, v->height = g->height;
  for (int i = 0; i < g->n; i++) v->names[i] = strdup(g->names[i]), v->found[i] = g->found[i];
  memcpy(v->corners, g->corners, sizeof(double) * g->n * 108);
  return v;
}

// right_from_left against the truth. The bounds are those of the per-camera
// calibrations the stereo step holds fixed: with 10 synthetic views the principal points
// are ~1 px off (0.1 deg at f = 600 px); with the true intrinsics the same corners give
// R within 0.01 deg and |T| within 0.4 % (cross-checked once with cv2.stereoCalibrate).
// An inverted pose (left_from_right) would be off by twice the baseline.
static void check_rig(const cr_rig *est, const cr_rig *truth) {
  double ang, dist;
  cr_pose_difference(&est->right_from_left, &truth->right_from_left, &ang, &dist);
  double b = cr_rig_baseline_mm(truth);
  print_message("rig: baseline %.3f mm (truth %.3f), rotation error %.4f deg, T error %.3f mm, "
                "stereo rms %.3f px\n",
                cr_rig_baseline_mm(est), b, ang, dist, est->rms);
  assert_true(ang < 0.25);
  assert_near(cr_rig_baseline_mm(est), b, 0.02 * b);
  assert_true(dist < 0.06 * b);
  assert_near(cr_rig_angle_deg(est), cr_rig_angle_deg(truth), 0.25);
  assert_true(est->rms > 0 && est->rms < 0.3);
  assert_near(est->left.fx, truth->left.fx, 0.005 * truth->left.fx);
  assert_near(est->right.fx, truth->right.fx, 0.005 * truth->right.fx);
  assert_int_equal(est->right.width, 800);
  assert_int_equal(est->left.width, 640);
}

// The rig's epipolar geometry holds on the detected corners: each right corner lies on
// the epipolar line E x_left of its left corner (undistorted rays), within 0.3 px.
static void check_epipolar(const cr_rig *rig, const cr_calib_views *l, const cr_calib_views *r) {
  double E[3][3], F[3][3], worst = 0, ss = 0;
  int n = 0;
  cr_rig_epipolar(rig, E, F);
  for (int i = 0; i < l->n; i++) {
    if (!l->found[i] || !r->found[i]) continue;
    for (int k = 0; k < 54; k++) {
      const double *ul = l->corners + ((size_t)i * 54 + k) * 2;
      const double *ur = r->corners + ((size_t)i * 54 + k) * 2;
      double xl[3], xr[3], line[3];
      cr_camera_pixel_ray(&rig->left, ul[0], ul[1], xl);
      cr_camera_pixel_ray(&rig->right, ur[0], ur[1], xr);
      cr_mat3_apply(line, E, xl);
      double d = fabs(cr_vec3_dot(xr, line)) / hypot(line[0], line[1]) * rig->right.fx;
      worst = fmax(worst, d), ss += d * d, n++;
    }
  }
  print_message("epipolar distance: rms %.3f px, max %.3f px over %d corners\n", sqrt(ss / n),
                worst, n);
  assert_true(sqrt(ss / n) < 0.15 && worst < 0.5);
}

static void test_recovers_rig(void **state) {
  int both = 0;
  for (int i = 0; i < NPAIRS; i++) both += g_views[0]->found[i] && g_views[1]->found[i];
  assert_true(both >= 8);
  cr_calib_options opt = cr_calib_defaults();
  opt.square_mm = SQUARE;
  cr_stereo_result r;
  assert_int_equal(cr_calib_stereo(g_views[0], g_views[1], &opt, &r), 0);
  assert_int_equal(r.n_pairs, both);
  assert_int_equal(r.n_used, both);
  cr_rig truth = truth_rig();
  check_rig(&r.rig, &truth);
  check_epipolar(&r.rig, g_views[0], g_views[1]);
  for (int i = 0; i < NPAIRS; i++)
    if (r.pair_used[i]) assert_true(r.pair_rms_left[i] > 0 && r.pair_rms_right[i] < 0.5);
  cr_stereo_result_free(&r);
  // With rejection: the same rig on clean pairs.
  opt.reject = 1;
  assert_int_equal(cr_calib_stereo(g_views[0], g_views[1], &opt, &r), 0);
  check_rig(&r.rig, &truth);
  cr_stereo_result_free(&r);
}

// A pair whose right photo has no board is left out of both calibrations; a corrupted
// right board with rejection on is dropped from stereoCalibrate.
static void test_pairs_dropped(void **state) {
  cr_calib_views *l = copy_views(g_views[0]), *r = copy_views(g_views[1]);
  int first = -1, second = -1;
  for (int i = 0; i < NPAIRS; i++)
    if (l->found[i] && r->found[i]) {
      if (first < 0)
        first = i;
      else if (second < 0)
        second = i;
    }
  r->found[first] = 0;
  for (int k = 0; k < 54; k++) r->corners[((size_t)second * 54 + k) * 2] += 3.0 * sin(0.3 * k);
  cr_calib_options opt = cr_calib_defaults();
  opt.square_mm = SQUARE;
  opt.reject = 1;
  cr_stereo_result s;
  assert_int_equal(cr_calib_stereo(l, r, &opt, &s), 0);
  assert_int_equal(s.pair_used[first], 0);
  assert_int_equal(s.left.view_used[first], 0); // not calibrated on, even on the left
  assert_int_equal(s.pair_used[second], 0);
  assert_int_equal(s.n_used, s.n_pairs - 1);
  cr_rig truth = truth_rig();
  check_rig(&s.rig, &truth);
  assert_int_equal(l->found[first], 1); // the caller's flags are not changed
  cr_stereo_result_free(&s);
  cr_calib_views_free(l);
  cr_calib_views_free(r);
}

static void test_too_few_pairs(void **state) {
  cr_calib_views *l = copy_views(g_views[0]), *r = copy_views(g_views[1]);
  cr_calib_options opt = cr_calib_defaults();
  opt.square_mm = SQUARE;
  cr_stereo_result s;
  int kept = 0;
  for (int i = 0; i < NPAIRS; i++)
    if (l->found[i] && r->found[i] && kept < 2)
      kept++;
    else
      r->found[i] = 0;
  assert_int_equal(cr_calib_stereo(l, r, &opt, &s), CR_EINVAL);
  assert_non_null(strstr(cr_last_error(), "only 2 pair(s)"));
  for (int i = 0; i < NPAIRS; i++) l->found[i] = 0;
  assert_int_equal(cr_calib_stereo(l, r, &opt, &s), CR_EEMPTY);
  assert_non_null(strstr(cr_last_error(), "no pair"));
  l->n = NPAIRS - 1;
  assert_int_equal(cr_calib_stereo(l, r, &opt, &s), CR_EINVAL);
  assert_non_null(strstr(cr_last_error(), "9 left photos but 10 right photos"));
  l->n = NPAIRS;
  cr_calib_views_free(l);
  cr_calib_views_free(r);
}

// The command as a user runs it: the rig file reads back as the truth; photos of two
// sizes within a side are refused and nothing is written.
static void test_command(void **state) {
  const char *rig_path = cr_test_path("rig.yml");
  int rc = cr_test_system("cd '%s' && '%s' calibrate --stereo --left 'L*.png' --right 'R*.png' "
                          "-s %g -o rig.yml > stereo.log 2>&1",
                          cr_test_dir(), cr_test_camreg(), SQUARE);
  assert_int_equal(rc, 0);
  cr_rig rig, truth = truth_rig();
  assert_int_equal(cr_rig_read(rig_path, &rig), 0);
  check_rig(&rig, &truth);
  cr_camera left, right;
  assert_int_equal(cr_camera_read(cr_test_path("rig_left.yml"), &left), 0);
  assert_int_equal(cr_camera_read(cr_test_path("rig_right.yml"), &right), 0);
  assert_near(left.fx, rig.left.fx, 1e-9);
  assert_near(right.cy, rig.right.cy, 1e-9);
  // An extra pair whose right photo is 640x480 like the left ones.
  cr_rng rng = cr_rng_make(5, 0);
  cr_pose p = board_pose(3);
  cr_image *img = render(&truth.left, &p, &rng);
  assert_int_equal(cr_image_write(cr_test_path("L99.png"), img, 8), 0);
  assert_int_equal(cr_image_write(cr_test_path("R99.png"), img, 8), 0);
  cr_image_free(img);
  rc = cr_test_system("cd '%s' && '%s' calibrate --stereo --left 'L*.png' --right 'R*.png' "
                      "-o bad.yml > bad.log 2>&1",
                      cr_test_dir(), cr_test_camreg());
  assert_int_not_equal(rc, 0);
  char log[4096] = {0};
  FILE *f = fopen(cr_test_path("bad.log"), "r");
  assert_non_null(f);
  size_t n = fread(log, 1, sizeof log - 1, f);
  log[n] = 0;
  fclose(f);
  if (!strstr(log, "R99.png is 640x480 but R00.png is 800x600")) fail_msg("log: %s", log);
  assert_false(cr_file_exists(cr_test_path("bad.yml")));
  assert_false(cr_file_exists(cr_test_path("bad_left.yml")));
  assert_false(cr_file_exists(cr_test_path("bad_right.yml")));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_recovers_rig),
      cmocka_unit_test(test_pairs_dropped),
      cmocka_unit_test(test_too_few_pairs),
      cmocka_unit_test(test_command),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
