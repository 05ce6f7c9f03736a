// Poses and cameras: Rodrigues, composition, look-at, projection with distortion
// against OpenCV's projectPoints, undistortion, pyramid scaling, pose files.
// test-links: cvref
#include "cv_reference.h"
#include "testutil.h"

#include "core/camera.h"
#include "core/error.h"
#include "core/mat.h"
#include "core/pose.h"
#include "core/rng.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static cr_camera test_camera(int distorted) {
  cr_camera c = {640, 480, 800, 790, 322.5, 236.25, {0}};
  if (distorted) {
    double d[5] = {-0.21, 0.08, 0.0012, -0.0007, -0.015};
    memcpy(c.dist, d, sizeof d);
  }
  return c;
}

static void test_rodrigues_analytic(void **state) {
  double rvec[3] = {0, 0, M_PI / 2}, R[3][3];
  cr_rotation_from_rvec(R, rvec);
  double x[3] = {1, 0, 0}, y[3];
  cr_mat3_apply(y, R, x);
  assert_near(y[0], 0, 1e-15);
  assert_near(y[1], 1, 1e-15);
  // Round trips, including angles near 0 and near pi.
  double cases[5][3] = {
      {0.1, -0.2, 0.3}, {1e-9, 0, -2e-9}, {0, 3.1415, 0}, {2.0, 1.0, -1.5}, {0, 0, 0}};
  for (int c = 0; c < 5; c++) {
    double back[3];
    cr_rotation_from_rvec(R, cases[c]);
    assert_near(cr_mat3_det(R), 1, 1e-12);
    cr_rvec_from_rotation(back, R);
    double theta = cr_vec3_norm(cases[c]);
    if (theta > M_PI) continue;
    for (int a = 0; a < 3; a++) assert_near(back[a], cases[c][a], 1e-7);
  }
}

static void test_compose_inverse(void **state) {
  double r1[3] = {0.2, 0.3, -0.1}, t1[3] = {10, -5, 200}, r2[3] = {-0.5, 0.1, 0.7},
         t2[3] = {1, 2, 3};
  cr_pose a = cr_pose_from_rvec_tvec(r1, t1), b = cr_pose_from_rvec_tvec(r2, t2);
  cr_pose ab = cr_pose_compose(&a, &b), ai = cr_pose_inverse(&a);
  double x[3] = {3, -7, 11}, y1[3], y2[3], z[3];
  cr_pose_apply(&b, x, y1);
  cr_pose_apply(&a, y1, y1);
  cr_pose_apply(&ab, x, y2);
  for (int i = 0; i < 3; i++) assert_near(y1[i], y2[i], 1e-12);
  cr_pose_apply(&a, x, z);
  cr_pose_apply(&ai, z, z);
  for (int i = 0; i < 3; i++) assert_near(z[i], x[i], 1e-12);
  // Camera centre maps to the camera origin.
  double c[3], cc[3];
  cr_pose_camera_centre(&a, c);
  cr_pose_apply(&a, c, cc);
  for (int i = 0; i < 3; i++) assert_near(cc[i], 0, 1e-12);
}

static void test_look_at(void **state) {
  double eye[3] = {0, 0, 300}, target[3] = {0, 0, 0}, up[3] = {0, 1, 0};
  cr_pose p;
  assert_int_equal(cr_pose_look_at(&p, eye, target, up), 0);
  double tc[3];
  cr_pose_apply(&p, target, tc);
  assert_near(tc[0], 0, 1e-12);
  assert_near(tc[1], 0, 1e-12);
  assert_near(tc[2], 300, 1e-12);
  // A point above the target (world +y = up) appears above the image centre (v < cy).
  double above[3] = {0, 10, 0}, ac[3];
  cr_pose_apply(&p, above, ac);
  assert_true(ac[1] < 0);
  assert_near(cr_mat3_det(p.R), 1, 1e-12);
  assert_int_equal(cr_pose_look_at(&p, eye, eye, up), CR_EINVAL);
  double bad_up[3] = {0, 0, 1};
  assert_int_equal(cr_pose_look_at(&p, eye, target, bad_up), CR_EINVAL);
}

// Moving a camera along its axis: an oblique camera looking from (40, -30, 200) at
// (5, 10, 20) moved 12 mm forward stands 12 mm closer to that point along the same line,
// turned as before; the point's depth drops by 12, a point off the axis keeps its (x, y).
static void test_move_along_axis(void **state) {
  double eye[3] = {40, -30, 200}, target[3] = {5, 10, 20}, up[3] = {0, 0, 1}, c0[3], c1[3];
  cr_pose p;
  assert_int_equal(cr_pose_look_at(&p, eye, target, up), 0);
  cr_pose q = cr_pose_move_along_axis(&p, 12);
  cr_pose_camera_centre(&p, c0);
  cr_pose_camera_centre(&q, c1);
  double dir[3], len = 0;
  for (int a = 0; a < 3; a++) dir[a] = target[a] - eye[a], len += dir[a] * dir[a];
  len = sqrt(len);
  for (int a = 0; a < 3; a++) assert_near(c1[a] - c0[a], 12 * dir[a] / len, 1e-9);
  assert_memory_equal(p.R, q.R, sizeof p.R);
  double tp[3], tq[3], off[3] = {0, 25, 30}, op[3], oq[3];
  cr_pose_apply(&p, target, tp), cr_pose_apply(&q, target, tq);
  assert_near(tq[2], tp[2] - 12, 1e-9);
  assert_near(tq[2], len - 12, 1e-9);
  cr_pose_apply(&p, off, op), cr_pose_apply(&q, off, oq);
  assert_near(oq[0], op[0], 1e-12);
  assert_near(oq[1], op[1], 1e-12);
  q = cr_pose_move_along_axis(&q, -12); // and back
  for (int a = 0; a < 3; a++) assert_near(q.t[a], p.t[a], 1e-12);
}

// Our projection agrees with cv::projectPoints to 1e-9 px, with and without distortion.
static void test_projection_matches_opencv(void **state) {
  for (int distorted = 0; distorted < 2; distorted++) {
    cr_camera cam = test_camera(distorted);
    double rvec[3] = {0.1, -0.25, 0.05}, tvec[3] = {5, -3, 250};
    cr_pose pose = cr_pose_from_rvec_tvec(rvec, tvec);
    double X[50][3], uv_cv[50][2];
    cr_rng rng = cr_rng_make(7, 0);
    for (int n = 0; n < 50; n++)
      for (int a = 0; a < 3; a++) X[n][a] = cr_rng_below(&rng, 2001) / 10.0 - 100.0;
    double K[9] = {cam.fx, 0, cam.cx, 0, cam.fy, cam.cy, 0, 0, 1};
    char err[256];
    assert_int_equal(
        cvref_project_points(&X[0][0], 50, rvec, tvec, K, cam.dist, &uv_cv[0][0], err, sizeof err),
        0);
    for (int n = 0; n < 50; n++) {
      double xc[3], uv[2];
      cr_pose_apply(&pose, X[n], xc);
      assert_int_equal(cr_camera_project(&cam, xc, uv), 0);
      assert_near(uv[0], uv_cv[n][0], 1e-9);
      assert_near(uv[1], uv_cv[n][1], 1e-9);
    }
  }
}

static void test_pixel_ray_inverts_projection(void **state) {
  cr_camera cam = test_camera(1);
  for (double u = 0; u < cam.width; u += 37.5)
    for (double v = 0; v < cam.height; v += 41.25) {
      double ray[3], uv[2], x[3];
      cr_camera_pixel_ray(&cam, u, v, ray);
      cr_vec3_scale(x, ray, 123.0);
      assert_int_equal(cr_camera_project(&cam, x, uv), 0);
      assert_near(uv[0], u, 1e-8);
      assert_near(uv[1], v, 1e-8);
    }
  // Agreement with cv::undistortPoints.
  double uv[2] = {12.0, 470.0}, xn_cv[2], ray[3];
  double K[9] = {cam.fx, 0, cam.cx, 0, cam.fy, cam.cy, 0, 0, 1};
  char err[256];
  assert_int_equal(cvref_undistort_points(uv, 1, K, cam.dist, xn_cv, err, sizeof err), 0);
  cr_camera_pixel_ray(&cam, uv[0], uv[1], ray);
  // OpenCV iterates a fixed 5 times by default; ours converges fully: compare loosely.
  assert_near(ray[0], xn_cv[0], 1e-3);
  assert_near(ray[1], xn_cv[1], 1e-3);
  double behind[3] = {0, 0, -5}, out[2];
  assert_int_equal(cr_camera_project(&cam, behind, out), -1);
}

// Halving the image: the centre of pixel block (2u..2u+1) of the full image is
// pixel u of the half image; a ray through corresponding points stays the same.
static void test_scaled_camera_pixel_centres(void **state) {
  cr_camera cam = test_camera(0), half = cr_camera_scaled(&cam, 0.5);
  assert_int_equal(half.width, 320);
  assert_int_equal(half.height, 240);
  double X[3] = {17, -9, 300}, uv[2], uvh[2];
  cr_camera_project(&cam, X, uv);
  cr_camera_project(&half, X, uvh);
  assert_near(uvh[0], (uv[0] + 0.5) * 0.5 - 0.5, 1e-12);
  assert_near(uvh[1], (uv[1] + 0.5) * 0.5 - 0.5, 1e-12);
}

static void test_camera_yaml_round_trip_and_opencv_file(void **state) {
  cr_camera cam = test_camera(1), back;
  const char *p = cr_test_path("cam.yml");
  assert_int_equal(cr_camera_write(p, &cam), 0);
  assert_int_equal(cr_camera_read(p, &back), 0);
  assert_memory_equal(&cam, &back, sizeof cam);
  // A file as OpenCV's calibration sample writes it: other keys, 1x5 row vector.
  const char *q = cr_test_path("sample.yml");
  FILE *f = fopen(q, "w");
  fputs("%YAML:1.0\n---\ncalibration_time: \"Mon Nov 24 2026\"\nnr_of_frames: 13\n"
        "image_width: 640\nimage_height: 480\nboard_width: 9\nboard_height: 6\nsquare_size: 50.\n"
        "flags: 0\ncamera_matrix: !!opencv-matrix\n   rows: 3\n   cols: 3\n   dt: d\n"
        "   data: [ 5.3591573396163199e+02, 0., 3.4228315473308373e+02, 0.,\n"
        "       5.3591573396163199e+02, 2.3557082909788173e+02, 0., 0., 1. ]\n"
        "distortion_coefficients: !!opencv-matrix\n   rows: 1\n   cols: 5\n   dt: d\n"
        "   data: [ -2.6637260909660682e-01, -3.8588898922304653e-02,\n"
        "       1.7831947042852964e-03, -2.8122100441115472e-04, 2.3839153080878486e-01 ]\n"
        "avg_reprojection_error: 3.9259098975581364e-01\n",
        f);
  fclose(f);
  assert_int_equal(cr_camera_read(q, &back), 0);
  assert_near(back.fx, 535.91573396163199, 1e-9);
  assert_near(back.cy, 235.57082909788173, 1e-9);
  assert_near(back.dist[4], 0.23839153080878486, 1e-12);
  assert_int_equal(back.width, 640);
}

static void test_camera_bad_files(void **state) {
  cr_camera c;
  assert_int_equal(cr_camera_read(cr_test_path("none.yml"), &c), CR_EIO);
  const char *p = cr_test_path("bad.yml");
  FILE *f = fopen(p, "w");
  fputs("%YAML:1.0\ncamera_matrix: [1, 2\n  oops: {\n", f);
  fclose(f);
  assert_int_not_equal(cr_camera_read(p, &c), 0);
  assert_non_null(strstr(cr_last_error(), "bad.yml"));
  f = fopen(p, "w");
  fputs("%YAML:1.0\n---\nimage_width: 640\nimage_height: 480\n", f);
  fclose(f);
  assert_int_equal(cr_camera_read(p, &c), CR_EFORMAT);
  assert_non_null(strstr(cr_last_error(), "camera_matrix"));
  cr_camera cam = test_camera(0);
  assert_int_equal(cr_camera_write("/nonexistent-dir/cam.yml", &cam), CR_EIO);
  cam.fx = -1;
  assert_int_equal(cr_camera_write(cr_test_path("neg.yml"), &cam), CR_EINVAL);
}

static void test_pose_file_round_trip_and_errors(void **state) {
  double rvec[3] = {0.3, -1.2, 0.4}, tvec[3] = {-10.5, 20.25, 310};
  cr_pose p = cr_pose_from_rvec_tvec(rvec, tvec), back;
  const char *path = cr_test_path("pose.txt");
  assert_int_equal(cr_pose_write(path, &p, "test pose"), 0);
  assert_int_equal(cr_pose_read(path, &back), 0);
  for (int i = 0; i < 3; i++) {
    assert_near(back.t[i], p.t[i], 1e-12);
    for (int j = 0; j < 3; j++) assert_near(back.R[i][j], p.R[i][j], 1e-15);
  }
  FILE *f = fopen(path, "w");
  fputs("1 0 0 0\n0 1 0 0\n0 0 -1 0\n0 0 0 1\n", f); // a reflection
  fclose(f);
  assert_int_equal(cr_pose_read(path, &back), CR_EINVAL);
  assert_non_null(strstr(cr_last_error(), "pose.txt"));
  f = fopen(path, "w");
  fputs("1 0 0 0\n0 1 0 0\n", f);
  fclose(f);
  assert_int_equal(cr_pose_read(path, &back), CR_EFORMAT);
  f = fopen(path, "w");
  fputs("1 0 0 x\n0 1 0 0\n0 0 1 0\n0 0 0 1\n", f);
  fclose(f);
  assert_int_equal(cr_pose_read(path, &back), CR_EFORMAT);
  assert_non_null(strstr(cr_last_error(), "pose.txt:1"));
  assert_int_equal(cr_pose_write("/nonexistent-dir/p.txt", &p, NULL), CR_EIO);
}

// cr_vec3_frame: (a, e1, e2) orthonormal and right-handed (a x e1 = e2, e1 x e2 = a) for
// seeded random directions and the axis cases on either side of its switch at |a_x| = 0.9.
static void test_vec3_frame(void **state) {
  cr_rng rng = cr_rng_make(11, 0);
  for (int k = 0; k < 200; k++) {
    double a[3], e1[3], e2[3];
    cr_rng_unit_vector(&rng, a);
    if (k == 0) a[0] = 1, a[1] = a[2] = 0;
    if (k == 1) a[0] = -1, a[1] = a[2] = 0;
    if (k == 2) a[0] = 0, a[1] = 0, a[2] = -1;
    cr_vec3_normalize(a);
    cr_vec3_frame(a, e1, e2);
    assert_near(cr_vec3_norm(e1), 1, 1e-12);
    assert_near(cr_vec3_norm(e2), 1, 1e-12);
    assert_near(cr_vec3_dot(a, e1), 0, 1e-12);
    assert_near(cr_vec3_dot(a, e2), 0, 1e-12);
    assert_near(cr_vec3_dot(e1, e2), 0, 1e-12);
    double c[3];
    cr_vec3_cross(c, e1, e2);
    for (int i = 0; i < 3; i++) assert_near(c[i], a[i], 1e-12);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rodrigues_analytic),
      cmocka_unit_test(test_compose_inverse),
      cmocka_unit_test(test_look_at),
      cmocka_unit_test(test_move_along_axis),
      cmocka_unit_test(test_projection_matches_opencv),
      cmocka_unit_test(test_pixel_ray_inverts_projection),
      cmocka_unit_test(test_scaled_camera_pixel_centres),
      cmocka_unit_test(test_camera_yaml_round_trip_and_opencv_file),
      cmocka_unit_test(test_camera_bad_files),
      cmocka_unit_test(test_pose_file_round_trip_and_errors),
      cmocka_unit_test(test_vec3_frame),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
