// Landmark files, PnP and DLT on synthetic correspondences with known camera and pose.
#include <math.h>

#include "testutil.h"

#include "calib/landmarks.h"
#include "core/error.h"
#include "core/mat.h"
#include "core/rng.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cr_camera truth = {1280, 960, 1150.0, 1140.0, 655.0, 470.5, {0}};

// A camera 380 mm from a brain-sized cloud of points (world RAS mm), looking at it.
static cr_pose truth_pose(void) {
  cr_pose p;
  double eye[3] = {60, 90, 340}, target[3] = {5, -10, 20}, up[3] = {0, 1, 0};
  assert_int_equal(cr_pose_look_at(&p, eye, target, up), 0);
  return p;
}

// n points in a 120 x 140 x 80 mm box (or on the plane z = 20 with `planar`) and their
// projections with Gaussian noise sigma_px.
static void make_points(int n, double sigma_px, int planar, const cr_camera *cam, double *X,
                        double *uv, unsigned long long seed) {
  cr_pose p = truth_pose();
  cr_rng rng = cr_rng_make(seed, 0);
  for (int i = 0; i < n; i++) {
    X[3 * i] = cr_rng_uniform_range(&rng, -60, 60);
    X[3 * i + 1] = cr_rng_uniform_range(&rng, -80, 60);
    X[3 * i + 2] = planar ? 20 : cr_rng_uniform_range(&rng, -20, 60);
    double xc[3];
    cr_pose_apply(&p, X + 3 * i, xc);
    assert_int_equal(cr_camera_project(cam, xc, uv + 2 * i), 0);
    uv[2 * i] += sigma_px * cr_rng_gaussian(&rng);
    uv[2 * i + 1] += sigma_px * cr_rng_gaussian(&rng);
  }
}

// PnP with 0.5 px noise: pose within 0.5 degree and 1 mm.
static void test_pnp_noisy(void **state) {
  double X[3 * 20], uv[2 * 20], err[20], rms;
  cr_camera cam = truth;
  cam.dist[0] = -0.1, cam.dist[1] = 0.02; // PnP must use the distortion
  make_points(20, 0.5, 0, &cam, X, uv, 1);
  cr_pose est, gt = truth_pose();
  assert_int_equal(cr_calib_pnp(X, uv, 20, &cam, 0, &est, err, NULL, &rms), 0);
  double ang, dist;
  cr_pose_difference(&est, &gt, &ang, &dist);
  print_message("pnp 20 pts 0.5 px: %.4f deg %.4f mm, rms %.3f px\n", ang, dist, rms);
  assert_true(ang < 0.5 && dist < 1.0);
  assert_true(rms < 1.0 && rms > 0.2);
  for (int i = 0; i < 20; i++) assert_true(err[i] < 3.0);
}

// RANSAC flags planted gross outliers and still meets the accuracy.
static void test_pnp_ransac_outliers(void **state) {
  double X[3 * 30], uv[2 * 30], err[30], rms;
  unsigned char in[30];
  make_points(30, 0.5, 0, &truth, X, uv, 2);
  int bad[3] = {3, 11, 25};
  for (int j = 0; j < 3; j++) uv[2 * bad[j]] += 40.0 + 10 * j;
  cr_pose est, gt = truth_pose();
  int prc = cr_calib_pnp(X, uv, 30, &truth, 4.0, &est, err, in, &rms);
  if (prc) print_message("%s\n", cr_last_error());
  assert_int_equal(prc, 0);
  for (int j = 0; j < 3; j++) assert_int_equal(in[bad[j]], 0);
  int nin = 0;
  for (int i = 0; i < 30; i++) nin += in[i];
  assert_int_equal(nin, 27);
  double ang, dist;
  cr_pose_difference(&est, &gt, &ang, &dist);
  assert_true(ang < 0.5 && dist < 1.0);
  assert_true(err[bad[0]] > 30);
}

// Fewer than 4 points is an error.
static void test_pnp_too_few(void **state) {
  double X[9] = {0, 0, 0, 10, 0, 0, 0, 10, 0}, uv[6] = {1, 2, 3, 4, 5, 6}, rms;
  cr_pose est;
  assert_int_equal(cr_calib_pnp(X, uv, 3, &truth, 0, &est, NULL, NULL, &rms), CR_EINVAL);
  assert_non_null(strstr(cr_last_error(), "at least 4"));
}

static void check_dlt(double sigma, double ktol, int n, unsigned long long seed) {
  double *X = malloc(sizeof(double) * 3 * n), *uv = malloc(sizeof(double) * 2 * n), rms;
  make_points(n, sigma, 0, &truth, X, uv, seed);
  cr_camera cam = {truth.width, truth.height, 0, 0, 0, 0, {0}};
  cr_pose est, gt = truth_pose();
  assert_int_equal(cr_calib_dlt(X, uv, n, 0, &cam, &est, NULL, &rms), 0);
  print_message("dlt %d pts %.1f px: fx %.3f fy %.3f cx %.3f cy %.3f rms %.3f\n", n, sigma, cam.fx,
                cam.fy, cam.cx, cam.cy, rms);
  assert_near(cam.fx, truth.fx, ktol * truth.fx);
  assert_near(cam.fy, truth.fy, ktol * truth.fy);
  assert_near(cam.cx, truth.cx, ktol * truth.cx);
  assert_near(cam.cy, truth.cy, ktol * truth.cy);
  assert_near(cr_mat3_det(est.R), 1.0, 1e-9);
  double ang, dist;
  cr_pose_difference(&est, &gt, &ang, &dist);
  assert_true(ang < 100 * ktol && dist < 1000 * ktol);
  free(X), free(uv);
}

// Noise-free: K within 0.1 %; 0.5 px noise: within 2 %.
static void test_dlt_exact(void **state) {
  check_dlt(0.0, 0.001, 8, 3);
}
static void test_dlt_noisy(void **state) {
  check_dlt(0.5, 0.02, 40, 4);
}

// With distortion on, k1 and k2 come back from exact data.
static void test_dlt_distortion(void **state) {
  double X[3 * 60], uv[2 * 60], rms;
  cr_camera tc = truth;
  tc.dist[0] = -0.15, tc.dist[1] = 0.05;
  make_points(60, 0.0, 0, &tc, X, uv, 6);
  cr_camera cam = {truth.width, truth.height, 0, 0, 0, 0, {0}};
  cr_pose est;
  assert_int_equal(cr_calib_dlt(X, uv, 60, 1, &cam, &est, NULL, &rms), 0);
  assert_true(rms < 1e-3);
  assert_near(cam.fx, tc.fx, 1e-3 * tc.fx);
  assert_near(cam.dist[0], tc.dist[0], 1e-3);
}

// Coplanar points and fewer than 6 points are clear errors.
static void test_dlt_bad_input(void **state) {
  double X[3 * 10], uv[2 * 10], rms;
  make_points(10, 0.0, 1, &truth, X, uv, 5);
  cr_camera cam = truth;
  cr_pose est;
  assert_int_equal(cr_calib_dlt(X, uv, 10, 0, &cam, &est, NULL, &rms), CR_EINVAL);
  assert_non_null(strstr(cr_last_error(), "coplanar"));
  assert_int_equal(cr_calib_dlt(X, uv, 5, 0, &cam, &est, NULL, &rms), CR_EINVAL);
  assert_non_null(strstr(cr_last_error(), "at least 6"));
}

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

// Markups JSON in LPS: x and y negated to RAS; undefined points skipped.
static void test_read_markups_json(void **state) {
  const char *p = cr_test_path("pts.mrk.json");
  write_text(
      p,
      "{\"@schema\": \"x\", \"markups\": [{\"type\": \"Fiducial\", \"coordinateSystem\": \"LPS\","
      " \"controlPoints\": [{\"id\": \"1\", \"label\": \"A\", \"position\": [1.5, -2.0, 3.0],"
      " \"positionStatus\": \"defined\"}, {\"id\": \"2\", \"label\": \"B\", \"position\": [0, 0, "
      "0],"
      " \"positionStatus\": \"undefined\"}, {\"id\": \"3\", \"label\": \"C\", \"position\": [4, 5, "
      "-6]}]}]}");
  cr_landmarks *l;
  assert_int_equal(cr_landmarks_read3d(p, &l), 0);
  assert_int_equal(l->n, 2);
  assert_true(l->has_labels);
  assert_string_equal(l->label[1], "C");
  assert_near(l->p[0], -1.5, 1e-12);
  assert_near(l->p[1], 2.0, 1e-12);
  assert_near(l->p[2], 3.0, 1e-12);
  assert_near(l->p[3], -4.0, 1e-12);
  cr_landmarks_free(l);
  write_text(p,
             "{\"markups\": [{\"coordinateSystem\": \"RAS\", \"controlPoints\": [{\"label\": \"A\","
             " \"position\": [1, 2, 3], \"positionStatus\": \"undefined\"}]}]}");
  assert_int_equal(cr_landmarks_read3d(p, &l), CR_EEMPTY);
  assert_non_null(strstr(cr_last_error(), "no defined points"));
  write_text(p, "{\"markups\": [");
  assert_int_equal(cr_landmarks_read3d(p, &l), CR_EFORMAT);
}

// Legacy fcsv: CoordinateSystem 1 (LPS) negates x, y; 0 (RAS) keeps them; labels read.
static void test_read_fcsv(void **state) {
  const char *p = cr_test_path("pts.fcsv");
  write_text(p, "# Markups fiducial file version = 4.11\n# CoordinateSystem = 1\n"
                "# columns = id,x,y,z,ow,ox,oy,oz,vis,sel,lock,label,desc,associatedNodeID\n"
                "vtkMRMLMarkupsFiducialNode_0,10.5,-20,30,0,0,0,1,1,1,0,F-1,,\n"
                "vtkMRMLMarkupsFiducialNode_1,1,2,3,0,0,0,1,1,1,0,F-2,,\n");
  cr_landmarks *l;
  assert_int_equal(cr_landmarks_read3d(p, &l), 0);
  assert_int_equal(l->n, 2);
  assert_string_equal(l->label[0], "F-1");
  assert_near(l->p[0], -10.5, 1e-12);
  assert_near(l->p[1], 20.0, 1e-12);
  assert_near(l->p[2], 30.0, 1e-12);
  cr_landmarks_free(l);
  write_text(p, "# CoordinateSystem = RAS\nid1,10.5,-20,30,0,0,0,1,1,1,0,F-1,,\n");
  assert_int_equal(cr_landmarks_read3d(p, &l), 0);
  assert_near(l->p[0], 10.5, 1e-12);
  cr_landmarks_free(l);
}

// CSV with header and labels, matched by label to a shuffled 2-D file; unlabelled files
// match by order; different counts are an error.
static void test_csv_and_matching(void **state) {
  const char *p3 = cr_test_path("p3.csv"), *p2 = cr_test_path("p2.csv"),
             *q2 = cr_test_path("q2.csv");
  write_text(p3, "label,x,y,z\nnasion,1,2,3\ntragus,4,5,6\n# comment\ninion,7,8,9\n");
  write_text(p2, "name,u,v\ninion,70,80\nnasion,10,20\ntragus,40,50\n");
  write_text(q2, "10,20\n40,50\n");
  cr_landmarks *a, *b, *c;
  assert_int_equal(cr_landmarks_read3d(p3, &a), 0);
  assert_int_equal(cr_landmarks_read2d(p2, &b), 0);
  assert_int_equal(cr_landmarks_read2d(q2, &c), 0);
  assert_true(a->has_labels && b->has_labels && !c->has_labels);
  double *X, *uv;
  int n;
  assert_int_equal(cr_landmarks_match(a, b, &X, &uv, &n), 0);
  assert_int_equal(n, 3);
  for (int i = 0; i < 3; i++) {
    assert_near(uv[2 * i], 10 * X[3 * i], 1e-12);
    assert_near(uv[2 * i + 1], 10 * X[3 * i + 1], 1e-12);
  }
  free(X), free(uv);
  assert_int_equal(cr_landmarks_match(a, c, &X, &uv, &n), CR_EINVAL);
  assert_non_null(strstr(cr_last_error(), "3 3-D points but 2 2-D points"));
  write_text(q2, "10,20\n40,abc\n");
  cr_landmarks *d;
  assert_int_equal(cr_landmarks_read2d(q2, &d), CR_EFORMAT);
  assert_non_null(strstr(cr_last_error(), "q2.csv:2"));
  cr_landmarks_free(a), cr_landmarks_free(b), cr_landmarks_free(c);
}

int main(void) {
  cr_gsl_quiet();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pnp_noisy),     cmocka_unit_test(test_pnp_ransac_outliers),
      cmocka_unit_test(test_pnp_too_few),   cmocka_unit_test(test_dlt_exact),
      cmocka_unit_test(test_dlt_noisy),     cmocka_unit_test(test_dlt_distortion),
      cmocka_unit_test(test_dlt_bad_input), cmocka_unit_test(test_read_markups_json),
      cmocka_unit_test(test_read_fcsv),     cmocka_unit_test(test_csv_and_matching),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
