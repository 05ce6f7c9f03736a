// Pose parametrization about a pivot and the pose-change split.
#include "testutil.h"

#include "core/mat.h"
#include "registration/param.h"

#include <math.h>

static cr_pose test_pose(void) {
  double eye[3] = {30, -180, 60}, target[3] = {5, 10, 20}, up[3] = {0, 0, 1};
  cr_pose p;
  assert_int_equal(cr_pose_look_at(&p, eye, target, up), 0);
  return p;
}
static const double pivot[3] = {5, 10, 20};

static void assert_pose_near(const cr_pose *a, const cr_pose *b, double tol) {
  for (int i = 0; i < 3; i++) {
    for (int j = 0; j < 3; j++) assert_near(a->R[i][j], b->R[i][j], tol);
    assert_near(a->t[i], b->t[i], tol);
  }
}

static void test_zero_is_reference(void **state) {
  cr_pose ref = test_pose();
  cr_reg_param par;
  cr_reg_param_init(&par, &ref, pivot);
  double p[6] = {0};
  cr_pose q = cr_reg_param_to_pose(&par, p);
  assert_pose_near(&q, &ref, 1e-12);
}

static void test_rotation_keeps_pivot(void **state) {
  cr_pose ref = test_pose();
  cr_reg_param par;
  cr_reg_param_init(&par, &ref, pivot);
  double p[6] = {7, -4, 12, 0, 0, 0};
  cr_pose q = cr_reg_param_to_pose(&par, p);
  double a[3], b[3];
  cr_pose_apply(&ref, pivot, a);
  cr_pose_apply(&q, pivot, b);
  for (int i = 0; i < 3; i++) assert_near(b[i], a[i], 1e-10);
  // ... and the rotation angle is the norm of the parameters in degrees.
  double ang, dist;
  cr_pose_difference(&q, &ref, &ang, &dist);
  assert_near(ang, sqrt(49 + 16 + 144), 1e-9);
}

static void test_translation_in_camera_frame(void **state) {
  cr_pose ref = test_pose();
  cr_reg_param par;
  cr_reg_param_init(&par, &ref, pivot);
  double p[6] = {0, 0, 0, 1.5, -2, 3};
  cr_pose q = cr_reg_param_to_pose(&par, p);
  // Any world point moves by exactly (1.5, -2, 3) mm in camera coordinates.
  double x[3] = {-40, 20, 7}, a[3], b[3];
  cr_pose_apply(&ref, x, a);
  cr_pose_apply(&q, x, b);
  assert_near(b[0] - a[0], 1.5, 1e-10);
  assert_near(b[1] - a[1], -2, 1e-10);
  assert_near(b[2] - a[2], 3, 1e-10);
}

static void test_round_trip(void **state) {
  cr_pose ref = test_pose();
  cr_reg_param par;
  cr_reg_param_init(&par, &ref, pivot);
  double cases[3][6] = {
      {10, -5, 3, 4, -6, 2}, {-30, 20, 45, -10, 0, 25}, {0.001, 0, 0, 0, 0, 1e-4}};
  for (int c = 0; c < 3; c++) {
    cr_pose q = cr_reg_param_to_pose(&par, cases[c]);
    double p[6];
    cr_reg_param_from_pose(&par, &q, p);
    for (int i = 0; i < 6; i++) assert_near(p[i], cases[c][i], 1e-9);
    cr_pose q2 = cr_reg_param_to_pose(&par, p);
    assert_pose_near(&q2, &q, 1e-12);
  }
}

static void test_units(void **state) {
  // 1 unit of rotation moves a point 100 mm from the pivot by ~1.745 mm (1 degree).
  cr_pose ref = test_pose();
  cr_reg_param par;
  cr_reg_param_init(&par, &ref, pivot);
  double p[6] = {0, 1, 0, 0, 0, 0};
  cr_pose q = cr_reg_param_to_pose(&par, p);
  double pc[3], x_cam[3] = {par.pivot_cam[0] + 100, par.pivot_cam[1], par.pivot_cam[2]}, xw[3];
  cr_pose inv = cr_pose_inverse(&ref);
  cr_pose_apply(&inv, x_cam, xw);
  cr_pose_apply(&q, xw, pc);
  double d[3];
  cr_vec3_sub(d, pc, x_cam);
  assert_near(cr_vec3_norm(d), 2 * 100 * sin(M_PI / 360), 1e-9);
}

static void test_change_split(void **state) {
  cr_camera cam = cr_camera_from_fov(200, 100, 40);
  cr_pose ref = test_pose();
  cr_reg_param par;
  cr_reg_param_init(&par, &ref, pivot);
  double z = par.pivot_cam[2];
  double p[6] = {0, 0, 0, 2, 0, 0}; // 2 mm sideways at depth z: fx * 2 / z px
  cr_pose q = cr_reg_param_to_pose(&par, p);
  double px, mm;
  assert_int_equal(cr_reg_pose_change_split(&cam, &ref, &q, pivot, &px, &mm), 0);
  assert_near(px, cam.fx * 2 / z, 1e-9);
  assert_near(mm, 0, 1e-12);
  double p2[6] = {0, 0, 0, 0, 0, -5}; // along the axis: the pivot's image moves radially
  q = cr_reg_param_to_pose(&par, p2);
  assert_int_equal(cr_reg_pose_change_split(&cam, &ref, &q, pivot, &px, &mm), 0);
  assert_near(mm, -5, 1e-10);
  double pc[3] = {par.pivot_cam[0], par.pivot_cam[1], z};
  double expect =
      hypot(cam.fx * pc[0] * (1 / (z - 5) - 1 / z), cam.fy * pc[1] * (1 / (z - 5) - 1 / z));
  assert_near(px, expect, 1e-9);
  // Pure rotation about the pivot: no change at all at the pivot.
  double p3[6] = {5, 5, 5, 0, 0, 0};
  q = cr_reg_param_to_pose(&par, p3);
  assert_int_equal(cr_reg_pose_change_split(&cam, &ref, &q, pivot, &px, &mm), 0);
  assert_near(px, 0, 1e-9);
  assert_near(mm, 0, 1e-10);
}

static void test_mtre(void **state) {
  cr_pose a = test_pose(), b = a;
  b.t[0] += 3, b.t[2] -= 4;
  double pts[3][3] = {{0, 0, 0}, {10, 0, 0}, {0, 50, 9}};
  assert_near(cr_reg_mtre(&a, &b, (const double(*)[3])pts, 3), 5, 1e-12);
  assert_near(cr_reg_mtre(&a, &a, (const double(*)[3])pts, 3), 0, 1e-12);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_zero_is_reference),
      cmocka_unit_test(test_rotation_keeps_pivot),
      cmocka_unit_test(test_translation_in_camera_frame),
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_units),
      cmocka_unit_test(test_change_split),
      cmocka_unit_test(test_mtre),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
