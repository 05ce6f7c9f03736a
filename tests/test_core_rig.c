// Stereo rig files: round trips in the three FileStorage formats, missing keys, bad
// rotations, the epipolar matrices against their definition, and projection into the
// right camera against OpenCV's composeRT + projectPoints; Python OpenCV reads the files.
// test-links: cvref
#include "cv_reference.h"
#include "testutil.h"

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/mat.h"
#include "core/rig.h"
#include "core/rng.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

// A converged rig like a surgical microscope's: 25 mm baseline, 5.7 deg toe-in about y,
// a little roll, different intrinsics and distortion per side.
static cr_rig test_rig(void) {
  cr_rig rig;
  memset(&rig, 0, sizeof rig);
  rig.left = (cr_camera){640, 480, 810, 805, 322.5, 236.25, {-0.21, 0.08, 0.0012, -0.0007, -0.015}};
  rig.right = (cr_camera){640, 480, 798, 801, 317.0, 242.5, {-0.18, 0.05, -0.0009, 0.0004, 0.01}};
  double rvec[3] = {0.004, -0.1, 0.01}, tvec[3] = {-24.9, 0.3, 1.2};
  rig.right_from_left = cr_pose_from_rvec_tvec(rvec, tvec);
  rig.rms = 0.4321;
  return rig;
}

static void assert_rig_equal(const cr_rig *a, const cr_rig *b) {
  const cr_camera *ca[2] = {&a->left, &a->right}, *cb[2] = {&b->left, &b->right};
  for (int s = 0; s < 2; s++) {
    assert_int_equal(ca[s]->width, cb[s]->width);
    assert_int_equal(ca[s]->height, cb[s]->height);
    assert_near(ca[s]->fx, cb[s]->fx, 1e-12);
    assert_near(ca[s]->fy, cb[s]->fy, 1e-12);
    assert_near(ca[s]->cx, cb[s]->cx, 1e-12);
    assert_near(ca[s]->cy, cb[s]->cy, 1e-12);
    for (int k = 0; k < 5; k++) assert_near(ca[s]->dist[k], cb[s]->dist[k], 1e-15);
  }
  for (int i = 0; i < 3; i++) {
    assert_near(a->right_from_left.t[i], b->right_from_left.t[i], 1e-12);
    for (int j = 0; j < 3; j++)
      assert_near(a->right_from_left.R[i][j], b->right_from_left.R[i][j], 1e-15);
  }
}

static void test_round_trip_all_formats(void **state) {
  const char *names[3] = {"rig.yml", "rig.xml", "rig.json"};
  cr_rig rig = test_rig();
  rig.right.width = 800, rig.right.height = 600; // sizes per side survive
  for (int f = 0; f < 3; f++) {
    const char *path = cr_test_path(names[f]);
    assert_int_equal(cr_rig_write(path, &rig), 0);
    cr_rig back;
    assert_int_equal(cr_rig_read(path, &back), 0);
    assert_rig_equal(&rig, &back);
    assert_near(back.rms, rig.rms, 1e-15);
  }
  // Unknown RMS: left out of the file, read back as NaN (JSON has no NaN).
  rig.rms = NAN;
  const char *path = cr_test_path("rig_nan.json");
  assert_int_equal(cr_rig_write(path, &rig), 0);
  cr_rig back;
  assert_int_equal(cr_rig_read(path, &back), 0);
  assert_true(isnan(back.rms));
  assert_rig_equal(&rig, &back);
}

// E = [T]x R: normalized points of one world point in both cameras satisfy
// x2^T E x1 = 0; F does the same for pixels of undistorted cameras, with F(2,2) = 1.
static void test_epipolar_matrices(void **state) {
  cr_rig rig = test_rig();
  double E[3][3], F[3][3];
  cr_rig_epipolar(&rig, E, F);
  assert_near(F[2][2], 1, 1e-15);
  cr_camera l = rig.left, r = rig.right;
  memset(l.dist, 0, sizeof l.dist);
  memset(r.dist, 0, sizeof r.dist);
  cr_rng rng = cr_rng_make(3, 0);
  for (int n = 0; n < 20; n++) {
    double xl[3] = {cr_rng_below(&rng, 101) - 50.0, cr_rng_below(&rng, 101) - 50.0,
                    200.0 + cr_rng_below(&rng, 101)},
           xr[3], ul[2], ur[2];
    cr_pose_apply(&rig.right_from_left, xl, xr);
    double nl[3] = {xl[0] / xl[2], xl[1] / xl[2], 1}, nr[3] = {xr[0] / xr[2], xr[1] / xr[2], 1};
    double En[3], Fu[3];
    cr_mat3_apply(En, E, nl);
    assert_near(cr_vec3_dot(nr, En), 0, 1e-12);
    assert_int_equal(cr_camera_project(&l, xl, ul), 0);
    assert_int_equal(cr_camera_project(&r, xr, ur), 0);
    double hl[3] = {ul[0], ul[1], 1}, hr[3] = {ur[0], ur[1], 1};
    cr_mat3_apply(Fu, F, hl);
    // The epipolar line F hl passes through hr: distance in pixels.
    double d = cr_vec3_dot(hr, Fu) / hypot(Fu[0], Fu[1]);
    assert_near(d, 0, 1e-9);
  }
  assert_near(cr_rig_baseline_mm(&rig), sqrt(24.9 * 24.9 + 0.3 * 0.3 + 1.2 * 1.2), 1e-12);
  assert_near(cr_rig_angle_deg(&rig), sqrt(0.004 * 0.004 + 0.1 * 0.1 + 0.01 * 0.01) * 180 / M_PI,
              1e-9);
}

// A world point seen by the left camera at left_from_world projects into the right
// camera (read back from the file) where OpenCV's composeRT + projectPoints put it.
static void test_right_projection_matches_opencv(void **state) {
  const char *path = cr_test_path("proj.yml");
  cr_rig rig0 = test_rig(), rig;
  assert_int_equal(cr_rig_write(path, &rig0), 0);
  assert_int_equal(cr_rig_read(path, &rig), 0);
  double rl[3] = {0.3, -0.2, 0.1}, tl[3] = {4, -7, 250}, rr[3], tr[3], r3[3], t3[3];
  cr_pose left_from_world = cr_pose_from_rvec_tvec(rl, tl);
  cr_pose right_from_world = cr_pose_compose(&rig.right_from_left, &left_from_world);
  cr_pose_to_rvec_tvec(&rig.right_from_left, rr, tr);
  char err[256];
  assert_int_equal(cvref_compose_rt(rl, tl, rr, tr, r3, t3, err, sizeof err), 0);
  double X[40][3], uv_cv[40][2];
  cr_rng rng = cr_rng_make(11, 0);
  for (int n = 0; n < 40; n++)
    for (int a = 0; a < 3; a++) X[n][a] = cr_rng_below(&rng, 1201) / 10.0 - 60.0;
  double K2[9] = {rig.right.fx, 0, rig.right.cx, 0, rig.right.fy, rig.right.cy, 0, 0, 1};
  assert_int_equal(
      cvref_project_points(&X[0][0], 40, r3, t3, K2, rig.right.dist, &uv_cv[0][0], err, sizeof err),
      0);
  double worst = 0;
  for (int n = 0; n < 40; n++) {
    double xc[3], uv[2];
    cr_pose_apply(&right_from_world, X[n], xc);
    assert_int_equal(cr_camera_project(&rig.right, xc, uv), 0);
    worst = fmax(worst, hypot(uv[0] - uv_cv[n][0], uv[1] - uv_cv[n][1]));
  }
  assert_near(worst, 0, 0.05); // the acceptance bound; in practice ~1e-10 px
  assert_near(worst, 0, 1e-6);
}

// A hand-written rig file: OpenCV's stereo keys with `skip` left out and R replaced.
static const char *write_text_rig(const char *name, const char *skip, const char *R) {
  const char *path = cr_test_path(name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  const char *keys[][2] = {
      {"image_width", "640"},
      {"image_height", "480"},
      {"M1", "!!opencv-matrix\n   rows: 3\n   cols: 3\n   dt: d\n   data: [ 800., 0., 320., 0., "
             "800., 240., 0., 0., 1. ]"},
      {"D1", "!!opencv-matrix\n   rows: 1\n   cols: 5\n   dt: d\n   data: [ 0., 0., 0., 0., 0. ]"},
      {"M2", "!!opencv-matrix\n   rows: 3\n   cols: 3\n   dt: d\n   data: [ 800., 0., 320., 0., "
             "800., 240., 0., 0., 1. ]"},
      {"D2", "!!opencv-matrix\n   rows: 1\n   cols: 5\n   dt: d\n   data: [ 0., 0., 0., 0., 0. ]"},
      {"R", R},
      {"T", "!!opencv-matrix\n   rows: 3\n   cols: 1\n   dt: d\n   data: [ -25., 0., 0. ]"},
  };
  fputs("%YAML:1.0\n---\n", f);
  for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
    if (!skip || strcmp(skip, keys[k][0])) fprintf(f, "%s: %s\n", keys[k][0], keys[k][1]);
  fclose(f);
  return path;
}

static const char *R_identity =
    "!!opencv-matrix\n   rows: 3\n   cols: 3\n   dt: d\n   data: [ 1., 0., 0., 0., 1., 0., 0., "
    "0., 1. ]";

static void test_missing_keys(void **state) {
  cr_rig rig;
  // The complete hand-written file (OpenCV's sample keys, no E/F/sizes2/rms) is valid.
  assert_int_equal(cr_rig_read(write_text_rig("full.yml", NULL, R_identity), &rig), 0);
  assert_true(isnan(rig.rms));
  assert_int_equal(rig.right.width, 640); // right size defaults to the left one
  const char *keys[] = {"image_width", "image_height", "M1", "D1", "M2", "D2", "R", "T"};
  for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
    char name[64], want[4200]; // the path: a worktree under /work/wt/... is long
    snprintf(name, sizeof name, "no_%s.yml", keys[k]);
    const char *path = write_text_rig(name, keys[k], R_identity);
    assert_int_equal(cr_rig_read(path, &rig), CR_EINVAL);
    snprintf(want, sizeof want, "%s: missing key '%s'", path, keys[k]);
    assert_string_equal(cr_last_error(), want);
  }
  assert_int_equal(cr_rig_read(cr_test_path("absent.yml"), &rig), CR_EIO);
  assert_non_null(strstr(cr_last_error(), "absent.yml"));
  FILE *f = fopen(cr_test_path("garbage.yml"), "w");
  fputs("this: [is not: closed\n", f);
  fclose(f);
  assert_int_equal(cr_rig_read(cr_test_path("garbage.yml"), &rig), CR_EFORMAT);
  assert_non_null(strstr(cr_last_error(), "garbage.yml"));
}

static void test_bad_rotation_and_values(void **state) {
  cr_rig rig;
  const char *scaled = "!!opencv-matrix\n   rows: 3\n   cols: 3\n   dt: d\n   data: [ 1.001, 0., "
                       "0., 0., 1., 0., 0., 0., 1. ]";
  const char *reflection = "!!opencv-matrix\n   rows: 3\n   cols: 3\n   dt: d\n   data: [ 1., 0., "
                           "0., 0., 1., 0., 0., 0., -1. ]";
  const char *not3x3 = "!!opencv-matrix\n   rows: 2\n   cols: 2\n   dt: d\n   data: [ 1., 0., 0., "
                       "1. ]";
  const char *nan = "!!opencv-matrix\n   rows: 3\n   cols: 3\n   dt: d\n   data: [ .Nan, 0., 0., "
                    "0., 1., 0., 0., 0., 1. ]";
  const char *cases[4] = {scaled, reflection, not3x3, nan};
  const char *why[4] = {"not a rotation", "not a rotation", "'R' is 2x2", "'R' has a non-finite"};
  for (int c = 0; c < 4; c++) {
    const char *path = write_text_rig("badR.yml", NULL, cases[c]);
    assert_int_equal(cr_rig_read(path, &rig), CR_EINVAL);
    assert_non_null(strstr(cr_last_error(), "badR.yml"));
    if (!strstr(cr_last_error(), why[c])) fail_msg("case %d: %s", c, cr_last_error());
  }
  // Writing refuses what reading refuses, and leaves no file.
  cr_rig good = test_rig(), bad = good;
  bad.right_from_left.R[2][2] = -bad.right_from_left.R[2][2];
  const char *out = cr_test_path("never.yml");
  assert_int_equal(cr_rig_write(out, &bad), CR_EINVAL);
  assert_false(cr_file_exists(out));
  bad = good;
  memset(bad.right_from_left.t, 0, sizeof bad.right_from_left.t);
  assert_int_equal(cr_rig_write(out, &bad), CR_EINVAL);
  assert_non_null(strstr(cr_last_error(), "T is zero"));
  bad = good;
  bad.right.fx = -1;
  assert_int_equal(cr_rig_write(out, &bad), CR_EINVAL);
  assert_non_null(strstr(cr_last_error(), "right camera"));
  assert_false(cr_file_exists(out));
  assert_int_equal(cr_rig_write("/nonexistent-dir/rig.yml", &good), CR_EIO);
  assert_int_equal(cr_rig_write(cr_test_path("rig.txt"), &good), CR_EINVAL);
}

// Python OpenCV (cv2.FileStorage, an independent reader of the same format) reads the
// written file unchanged: sizes, M1 D1 M2 D2 R T E F, rms and units.
static void test_python_opencv_reads_rig(void **state) {
  if (cr_test_system("/usr/bin/python3 -c 'import cv2' 2>/dev/null") != 0) {
    print_message("python3-opencv not installed: cross-check skipped\n");
    skip();
  }
  const char *names[3] = {"py.yml", "py.xml", "py.json"};
  cr_rig rig = test_rig();
  rig.right.width = 800, rig.right.height = 600;
  double E[3][3], F[3][3];
  cr_rig_epipolar(&rig, E, F);
  for (int f = 0; f < 3; f++) {
    const char *path = cr_test_path(names[f]), *out = cr_test_path("py.txt");
    assert_int_equal(cr_rig_write(path, &rig), 0);
    int rc = cr_test_system(
        "/usr/bin/python3 -c \"import cv2, sys; fs = cv2.FileStorage('%s', cv2.FILE_STORAGE_READ); "
        "v = [fs.getNode(k).real() for k in ('image_width', 'image_height', 'image_width2', "
        "'image_height2', 'rms')]; "
        "v += [x for k in ('M1', 'D1', 'M2', 'D2', 'R', 'T', 'E', 'F') for x in "
        "fs.getNode(k).mat().ravel()]; "
        "assert fs.getNode('units').string() == 'mm'; "
        "print(' '.join('%%.17g' %% x for x in v))\" > %s",
        path, out);
    assert_int_equal(rc, 0);
    FILE *fp = fopen(out, "r");
    assert_non_null(fp);
    double v[5 + 9 + 5 + 9 + 5 + 9 + 3 + 9 + 9];
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
      assert_int_equal(fscanf(fp, "%lf", &v[i]), 1);
    double extra;
    assert_int_equal(fscanf(fp, "%lf", &extra), EOF); // nothing more: every matrix had its size
    fclose(fp);
    double want[5] = {640, 480, 800, 600, rig.rms};
    for (int i = 0; i < 5; i++) assert_near(v[i], want[i], 1e-15);
    const double *p = v + 5;
    const cr_camera *cams[2] = {&rig.left, &rig.right};
    for (int s = 0; s < 2; s++, p += 14) {
      const cr_camera *c = cams[s];
      double K[9] = {c->fx, 0, c->cx, 0, c->fy, c->cy, 0, 0, 1};
      for (int i = 0; i < 9; i++) assert_near(p[i], K[i], 1e-12);
      for (int i = 0; i < 5; i++) assert_near(p[9 + i], c->dist[i], 1e-15);
    }
    for (int i = 0; i < 9; i++) assert_near(p[i], rig.right_from_left.R[i / 3][i % 3], 1e-15);
    for (int i = 0; i < 3; i++) assert_near(p[9 + i], rig.right_from_left.t[i], 1e-12);
    for (int i = 0; i < 9; i++) assert_near(p[12 + i], E[i / 3][i % 3], 1e-12);
    for (int i = 0; i < 9; i++)
      assert_near(p[21 + i], F[i / 3][i % 3], 1e-12 * fabs(F[i / 3][i % 3]));
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip_all_formats),
      cmocka_unit_test(test_epipolar_matrices),
      cmocka_unit_test(test_right_projection_matches_opencv),
      cmocka_unit_test(test_missing_keys),
      cmocka_unit_test(test_bad_rotation_and_values),
      cmocka_unit_test(test_python_opencv_reads_rig),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
