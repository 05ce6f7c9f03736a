// ITK transform files for 3D Slicer: LPS, "from parent", read back as Slicer does.
#include "testutil.h"

#include "core/error.h"
#include "core/mat.h"
#include "registration/itk_transform.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static char *slurp(const char *path) {
  static char buf[4096];
  FILE *fp = fopen(path, "r");
  assert_non_null(fp);
  size_t n = fread(buf, 1, sizeof buf - 1, fp);
  buf[n] = 0;
  fclose(fp);
  return buf;
}

static void write_text(const char *path, const char *text) {
  FILE *fp = fopen(path, "w");
  assert_non_null(fp);
  fputs(text, fp);
  fclose(fp);
}

// Slicer's loader, written out independently: parse Parameters, to_parent =
// inverse(F M F) with F = diag(-1,-1,1,1).
static void slicer_load(const char *path, double to_parent[4][4]) {
  const char *s = strstr(slurp(path), "Parameters:");
  assert_non_null(s);
  double p[12];
  assert_int_equal(sscanf(s + 11, "%lf %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf", &p[0], &p[1],
                          &p[2], &p[3], &p[4], &p[5], &p[6], &p[7], &p[8], &p[9], &p[10], &p[11]),
                   12);
  double f[4] = {-1, -1, 1, 1}, A[4][4] = {{0}};
  for (int i = 0; i < 3; i++) {
    for (int j = 0; j < 3; j++) A[i][j] = f[i] * p[3 * i + j] * f[j];
    A[i][3] = f[i] * p[9 + i];
  }
  A[3][3] = 1;
  assert_int_equal(cr_mat4_affine_inverse(to_parent, (const double(*)[4])A), 0);
}

static void test_camera_centre_and_axes(void **state) {
  double eye[3] = {-35, 120, 75}, target[3] = {10, 5, 20}, up[3] = {0, 0, 1};
  cr_pose pose;
  assert_int_equal(cr_pose_look_at(&pose, eye, target, up), 0);
  const char *path = cr_test_path("camera.tfm");
  assert_int_equal(cr_reg_itk_write_camera(path, &pose), 0);
  const char *text = slurp(path);
  assert_non_null(strstr(text, "#Insight Transform File V1.0\n"));
  assert_non_null(strstr(text, "Transform: AffineTransform_double_3_3\n"));
  assert_non_null(strstr(text, "FixedParameters: 0 0 0\n"));
  double T[4][4];
  slicer_load(path, T);
  // The node is world_from_cam in RAS: its translation is the camera centre, its columns
  // the camera axes; z (column 2) looks at the target.
  for (int i = 0; i < 3; i++) assert_near(T[i][3], eye[i], 1e-9);
  double view[3];
  cr_vec3_sub(view, target, eye);
  cr_vec3_normalize(view);
  for (int i = 0; i < 3; i++) assert_near(T[i][2], view[i], 1e-12);
  for (int c = 0; c < 3; c++)
    for (int i = 0; i < 3; i++) assert_near(T[i][c], pose.R[c][i], 1e-12); // R^T
  // Image "up" (-y axis of the camera) points up in RAS (+S) as much as possible.
  assert_true(-T[2][1] > 0.5);
  // And the library's own reader agrees.
  double T2[4][4], M[4][4];
  assert_int_equal(cr_reg_itk_read_affine(path, M), 0);
  assert_int_equal(cr_reg_itk_slicer_to_parent((const double(*)[4])M, T2), 0);
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++) assert_near(T2[i][j], T[i][j], 1e-12);
  cr_pose back;
  assert_int_equal(cr_reg_itk_read_camera(path, &back), 0);
  for (int i = 0; i < 3; i++) {
    assert_near(back.t[i], pose.t[i], 1e-12);
    for (int j = 0; j < 3; j++) assert_near(back.R[i][j], pose.R[i][j], 1e-12);
  }
}

static void test_literal_file(void **state) {
  // A camera at RAS (10, 20, 30) with R = I: cam_from_world = [I | -c]; in LPS the file
  // holds F [I | -c] F = [I | (10, 20, -30)].
  cr_pose pose = cr_pose_identity();
  pose.t[0] = -10, pose.t[1] = -20, pose.t[2] = -30;
  const char *path = cr_test_path("literal.tfm");
  assert_int_equal(cr_reg_itk_write_camera(path, &pose), 0);
  assert_non_null(strstr(slurp(path), "Parameters: 1 0 0 0 1 0 0 0 1 10 20 -30\n"));
}

static void test_read_with_centre(void **state) {
  const char *path = cr_test_path("centre.tfm");
  write_text(path, "#Insight Transform File V1.0\n#Transform 0\n"
                   "Transform: AffineTransform_double_3_3\n"
                   "Parameters: 0 -1 0 1 0 0 0 0 1 1 2 3\nFixedParameters: 5 6 7\n");
  double M[4][4], x[3] = {1, 1, 1}, y[3];
  assert_int_equal(cr_reg_itk_read_affine(path, M), 0);
  cr_mat4_apply_point(y, (const double(*)[4])M, x);
  // y = A (x - c) + c + t with A (x - c) = A (-4, -5, -6) = (5, -4, -6).
  assert_near(y[0], 5 + 5 + 1, 1e-12);
  assert_near(y[1], -4 + 6 + 2, 1e-12);
  assert_near(y[2], -6 + 7 + 3, 1e-12);
}

static void test_bad_files(void **state) {
  double M[4][4];
  cr_pose p;
  assert_int_equal(cr_reg_itk_read_affine(cr_test_path("missing.tfm"), M), CR_EIO);
  const char *path = cr_test_path("bad.tfm");
  write_text(path, "hello\n");
  assert_int_equal(cr_reg_itk_read_affine(path, M), CR_EFORMAT);
  write_text(
      path, "#Insight Transform File V1.0\n#Transform 0\nTransform: BSplineTransform_double_3_3\n");
  assert_int_equal(cr_reg_itk_read_affine(path, M), CR_EUNSUPPORTED);
  assert_non_null(strstr(cr_last_error(), "BSplineTransform"));
  write_text(path, "#Insight Transform File V1.0\nTransform: AffineTransform_double_3_3\n"
                   "Parameters: 1 0 0 0 1 0 0 0 1 0 0\nFixedParameters: 0 0 0\n");
  assert_int_equal(cr_reg_itk_read_affine(path, M), CR_EFORMAT);
  write_text(path, "#Insight Transform File V1.0\nTransform: AffineTransform_double_3_3\n"
                   "Parameters: 2 0 0 0 1 0 0 0 1 0 0 0\nFixedParameters: 0 0 0\n");
  assert_int_equal(cr_reg_itk_read_affine(path, M), 0);
  assert_int_equal(cr_reg_itk_read_camera(path, &p), CR_EFORMAT); // a scaling, not a pose
  // A failed write leaves nothing behind.
  assert_int_not_equal(cr_reg_itk_write_camera(cr_test_path("no/such/dir/x.tfm"), &p), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_camera_centre_and_axes),
      cmocka_unit_test(test_literal_file),
      cmocka_unit_test(test_read_with_centre),
      cmocka_unit_test(test_bad_files),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
