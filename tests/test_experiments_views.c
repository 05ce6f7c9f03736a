// View-set geometry (experiments/view_set.h) against analytic answers: the stereo rig's
// right camera sits at the baseline and its axis meets the left axis at the convergence
// distance; a turned tracked camera keeps looking at the point it turns about.
#include "testutil.h"

#include "core/camera.h"
#include "core/error.h"
#include "core/mat.h"
#include "experiments/view_set.h"

#include <math.h>

static void test_stereo_rig(void **state) {
  (void)state;
  const double B = 25, D = 250;
  cr_pose rl = cr_exp_stereo_right_from_left(B, D), inv = cr_pose_inverse(&rl);
  double c[3], o[3] = {0, 0, 0}, P[3] = {0, 0, D}, Pr[3];
  cr_pose_apply(&inv, o, c); // the right camera's centre in the left frame
  assert_near(c[0], B, 1e-12);
  assert_near(c[1], 0, 1e-12);
  assert_near(c[2], 0, 1e-12);
  cr_pose_apply(&rl, P, Pr); // the convergence point lies on the right optical axis
  assert_near(Pr[0], 0, 1e-9);
  assert_near(Pr[1], 0, 1e-9);
  assert_near(Pr[2], hypot(B, D), 1e-9);
  assert_near(cr_mat3_det(rl.R), 1, 1e-12);
  // A point 10 mm nearer than the convergence: positive disparity x_l - x_r (pinhole).
  cr_camera cam = cr_camera_from_fov(320, 240, 16);
  double Q[3] = {0, 0, D - 10}, Qr[3], ul[2], ur[2];
  cr_pose_apply(&rl, Q, Qr);
  cr_camera_project(&cam, Q, ul), cr_camera_project(&cam, Qr, ur);
  assert_true(ul[0] - ur[0] > 0);
  // Parallel axes for no convergence distance.
  cr_pose par = cr_exp_stereo_right_from_left(B, 0);
  assert_near(par.R[0][0], 1, 0);
  assert_near(par.t[0], -B, 1e-12);
}

static void test_turned_camera(void **state) {
  (void)state;
  const double a = 30, d = 240;
  cr_pose tr = cr_exp_turned_from_ref(a, d), inv = cr_pose_inverse(&tr);
  double P[3] = {0, 0, d}, Pt[3], c[3], o[3] = {0, 0, 0};
  cr_pose_apply(&tr, P, Pt);
  assert_near(Pt[0], 0, 1e-9);
  assert_near(Pt[1], 0, 1e-9);
  assert_near(Pt[2], d, 1e-9); // same distance from the point
  cr_pose_apply(&inv, o, c);
  assert_near(c[0], -d * sin(a * M_PI / 180), 1e-9);
  assert_near(c[1], 0, 1e-12);
  assert_near(c[2], d - d * cos(a * M_PI / 180), 1e-9);
  // The angle between the optical axes is a.
  double z[3] = {0, 0, 1}, zt[3];
  cr_mat3_apply_transpose(zt, tr.R, z);
  assert_near(acos(zt[2]) * 180 / M_PI, a, 1e-9);
}

static void test_kind_names(void **state) {
  (void)state;
  cr_exp_view_kind k;
  assert_int_equal(cr_exp_view_kind_parse("tracked", &k), 0);
  assert_int_equal(k, CR_EXP_VIEWS_TRACKED);
  assert_string_equal(cr_exp_view_kind_name(CR_EXP_VIEWS_STEREO), "stereo");
  assert_int_equal(cr_exp_view_kind_parse("quad", &k), CR_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_stereo_rig),
      cmocka_unit_test(test_turned_camera),
      cmocka_unit_test(test_kind_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
