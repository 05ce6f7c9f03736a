// The calibrate, undistort, pnp and dlt commands, run as the user runs them (CAMREG_EXE),
// on synthetic inputs written here: exit codes, messages, output files and accuracy.
#include <math.h>

#include "testutil.h"

#include "calib/chessboard.h"
#include "calib/landmarks.h"
#include "calib/undistort.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/mat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cr_camera truth = {640, 480, 600.0, 604.0, 321.0, 238.5, {-0.18, 0.05, 0.0, 0.0, 0.0}};

// Runs camreg with arguments; stdout+stderr go to a log whose text is returned.
static int camreg(char *log, size_t loglen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int camreg(char *log, size_t loglen, const char *fmt, ...) {
  char args[6000];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(args, sizeof args, fmt, ap);
  va_end(ap);
  const char *lp = cr_test_path("log.txt");
  int rc =
      cr_test_system("cd '%s' && '%s' %s > '%s' 2>&1", cr_test_dir(), cr_test_camreg(), args, lp);
  FILE *f = fopen(lp, "r");
  size_t n = f ? fread(log, 1, loglen - 1, f) : 0;
  log[n] = 0;
  if (f) fclose(f);
  return rc;
}

static cr_pose board_pose(int i) {
  double rv[3] = {0.4 * sin(1.7 * i + 0.3), 0.45 * cos(1.1 * i), 0.2 * sin(2.3 * i)};
  cr_pose p = cr_pose_from_rvec_tvec(rv, (double[3]){0, 0, 0});
  double cb[3] = {100, 62.5, 0}, rc[3], cc[3] = {40 * sin(i + 1.0), 25 * cos(1.3 * i), 520};
  cr_mat3_apply(rc, p.R, cb);
  cr_vec3_sub(p.t, cc, rc);
  return p;
}

static void write_board(const char *name, int i, const cr_camera *cam) {
  cr_pose p = board_pose(i);
  cr_image *img;
  assert_int_equal(cr_calib_render_board(cam, &p, 9, 6, 25.0, 2, &img), 0);
  assert_int_equal(cr_image_write(cr_test_path(name), img, 8), 0);
  cr_image_free(img);
}

static void write_blank(const char *name, int w, int h) {
  cr_image *img = cr_image_new(w, h, 1);
  cr_image_fill(img, 128);
  assert_int_equal(cr_image_write(cr_test_path(name), img, 8), 0);
  cr_image_free(img);
}

static int setup(void **state) {
  for (int i = 0; i < 7; i++) {
    char name[32];
    snprintf(name, sizeof name, "board%d.png", i);
    write_board(name, i, &truth);
  }
  write_blank("blank.png", 640, 480);
  write_blank("blank_small.png", 320, 240);
  cr_camera big = truth;
  big.width = 800, big.height = 600;
  write_board("big.png", 1, &big);
  return 0;
}

static void test_calibrate_ok(void **state) {
  char log[16384];
  int rc = camreg(log, sizeof log,
                  "calibrate -o cam.yml -s 25 --reject --plot plot.png --draw . "
                  "board0.png board1.png board2.png board3.png board4.png board5.png "
                  "board6.png blank.png blank_small.png");
  print_message("%s", log);
  assert_int_equal(rc, 0);
  assert_non_null(strstr(log, "warning: blank.png"));
  assert_non_null(strstr(log, "warning: blank_small.png"));
  cr_camera c;
  assert_int_equal(cr_camera_read(cr_test_path("cam.yml"), &c), 0);
  assert_near(c.fx, truth.fx, 0.005 * truth.fx);
  assert_near(c.cy, truth.cy, 2.0);
  assert_true(cr_file_exists(cr_test_path("plot.png")));
  assert_true(cr_file_exists(cr_test_path("board0.png.png")));
}

// Bad input: message naming the files, exit 1, no output file.
static void test_calibrate_bad_input(void **state) {
  char log[16384];
  assert_int_equal(camreg(log, sizeof log, "calibrate -o none.yml blank.png blank_small.png"), 1);
  assert_non_null(strstr(log, "no 9x6 board found in any photo: blank.png blank_small.png"));
  assert_int_equal(
      camreg(log, sizeof log, "calibrate -o none.yml -s 25 board0.png board1.png blank.png"), 1);
  assert_non_null(strstr(log, "at least 3"));
  assert_int_equal(camreg(log, sizeof log,
                          "calibrate -o none.yml -s 25 board0.png board1.png big.png board2.png"),
                   1);
  assert_non_null(strstr(log, "big.png is 800x600 but board0.png is 640x480"));
  assert_int_equal(
      camreg(log, sizeof log, "calibrate -o none.yml --board 8x5 board0.png board1.png board2.png"),
      1);
  assert_non_null(strstr(log, "no 8x5 board found"));
  assert_int_equal(camreg(log, sizeof log, "calibrate -o none.yml missing.png"), 1);
  assert_non_null(strstr(log, "missing.png"));
  assert_int_equal(camreg(log, sizeof log, "calibrate -o none.yml --board 9by6 board0.png"), 2);
  assert_int_equal(camreg(log, sizeof log, "calibrate --frobnicate"), 2);
  assert_false(cr_file_exists(cr_test_path("none.yml")));
}

// 16-bit in, 16-bit out, equal to the library's undistortion; camera file written.
static void test_undistort_16bit(void **state) {
  cr_image *img = cr_image_new(truth.width, truth.height, 1);
  for (int y = 0; y < img->height; y++)
    for (int x = 0; x < img->width; x++)
      cr_image_px(img, x, y)[0] = (float)(30000 + 20000 * sin(0.05 * x) * cos(0.04 * y));
  assert_int_equal(cr_image_write(cr_test_path("photo16.png"), img, 16), 0);
  assert_int_equal(cr_camera_write(cr_test_path("truth.yml"), &truth), 0);
  char log[4096];
  assert_int_equal(
      camreg(log, sizeof log, "undistort -c truth.yml -o und.png --alpha 1 photo16.png"), 0);
  cr_image *out, *ref;
  int bits;
  assert_int_equal(cr_image_read(cr_test_path("und.png"), &out, &bits), 0);
  assert_int_equal(bits, 16);
  cr_camera nc, nc2;
  assert_int_equal(cr_camera_read(cr_test_path("und.yml"), &nc), 0);
  assert_false(cr_camera_has_distortion(&nc));
  assert_int_equal(cr_calib_undistorted_camera(&truth, 1.0, &nc2), 0);
  assert_near(nc.fx, nc2.fx, 1e-6);
  assert_int_equal(cr_calib_undistort(img, &truth, &nc2, &ref), 0);
  double m = 0;
  for (int y = 0; y < out->height; y++)
    for (int x = 0; x < out->width; x++)
      m = fmax(m, fabs(cr_image_px(out, x, y)[0] - roundf(cr_image_px(ref, x, y)[0])));
  assert_true(m <= 1.0);
  assert_int_equal(camreg(log, sizeof log, "undistort -c truth.yml -o bad.png blank_small.png"), 1);
  assert_non_null(
      strstr(log, "blank_small.png is 320x240 but camera file truth.yml is for 640x480"));
  assert_false(cr_file_exists(cr_test_path("bad.png")));
  cr_image_free(img), cr_image_free(out), cr_image_free(ref);
}

static cr_pose world_pose(void) {
  cr_pose p;
  double eye[3] = {-50, 80, 360}, target[3] = {0, 0, 10}, up[3] = {0, 1, 0};
  assert_int_equal(cr_pose_look_at(&p, eye, target, up), 0);
  return p;
}

// Writes n labelled 3-D points (markups JSON in LPS) and their 2-D projections in
// reverse order (CSV with labels), exact.
static void write_points(int n, int planar, const char *f3, const char *f2) {
  cr_pose p = world_pose();
  FILE *a = fopen(cr_test_path(f3), "w"), *b = fopen(cr_test_path(f2), "w");
  fprintf(a, "{\"markups\": [{\"coordinateSystem\": \"LPS\", \"controlPoints\": [");
  fprintf(b, "label,u,v\n");
  double uv[64][2];
  for (int i = 0; i < n; i++) {
    double X[3] = {-50 + 100 * fmod(0.37 * i * i + 0.1, 1.0), -60 + 120 * fmod(0.61 * i + 0.3, 1.0),
                   planar ? 5 : -30 + 60 * fmod(0.83 * i * i * i + 0.2, 1.0)},
           xc[3];
    cr_pose_apply(&p, X, xc);
    assert_int_equal(cr_camera_project(&truth, xc, uv[i]), 0);
    fprintf(a, "%s{\"label\": \"P%d\", \"position\": [%.12g, %.12g, %.12g]}", i ? ", " : "", i,
            -X[0], -X[1], X[2]);
  }
  for (int i = n - 1; i >= 0; i--) fprintf(b, "P%d,%.12g,%.12g\n", i, uv[i][0], uv[i][1]);
  fprintf(a, "]}]}\n");
  fclose(a), fclose(b);
}

static void test_pnp_and_dlt(void **state) {
  char log[16384];
  write_points(12, 0, "p3.mrk.json", "p2.csv");
  assert_int_equal(camreg(log, sizeof log,
                          "pnp -c truth.yml --points3d p3.mrk.json --points2d p2.csv -o pose.txt"),
                   0);
  cr_pose est, gt = world_pose();
  assert_int_equal(cr_pose_read(cr_test_path("pose.txt"), &est), 0);
  double ang, dist;
  cr_pose_difference(&est, &gt, &ang, &dist);
  assert_true(ang < 0.01 && dist < 0.01);
  assert_int_equal(camreg(log, sizeof log,
                          "dlt --points3d p3.mrk.json --points2d p2.csv --size 640x480 "
                          "-o dltcam.yml --pose dltpose.txt --distortion"),
                   0);
  cr_camera c;
  assert_int_equal(cr_camera_read(cr_test_path("dltcam.yml"), &c), 0);
  assert_near(c.fx, truth.fx, 1e-3 * truth.fx);
  assert_near(c.dist[0], truth.dist[0], 1e-3);
  assert_int_equal(cr_pose_read(cr_test_path("dltpose.txt"), &est), 0);
  cr_pose_difference(&est, &gt, &ang, &dist);
  assert_true(ang < 0.05 && dist < 0.1);
}

static void test_landmark_bad_input(void **state) {
  char log[16384];
  write_points(3, 0, "few3.mrk.json", "few2.csv");
  assert_int_equal(camreg(log, sizeof log,
                          "pnp -c truth.yml --points3d few3.mrk.json --points2d few2.csv -o x.txt"),
                   1);
  assert_non_null(strstr(log, "at least 4"));
  write_points(5, 0, "five3.mrk.json", "five2.csv");
  assert_int_equal(camreg(log, sizeof log,
                          "dlt --points3d five3.mrk.json --points2d five2.csv --size 640x480 -o "
                          "x.yml --pose x.txt"),
                   1);
  assert_non_null(strstr(log, "at least 6"));
  write_points(10, 1, "flat3.mrk.json", "flat2.csv");
  assert_int_equal(camreg(log, sizeof log,
                          "dlt --points3d flat3.mrk.json --points2d flat2.csv --size 640x480 -o "
                          "x.yml --pose x.txt"),
                   1);
  assert_non_null(strstr(log, "coplanar"));
  assert_int_equal(
      camreg(log, sizeof log,
             "pnp -c truth.yml --points3d flat3.mrk.json --points2d five2.csv -o x.txt"),
      1);
  assert_non_null(strstr(log, "10 3-D points but 5 2-D points"));
  FILE *f = fopen(cr_test_path("empty.mrk.json"), "w");
  fprintf(f, "{\"markups\": [{\"coordinateSystem\": \"RAS\", \"controlPoints\": []}]}\n");
  fclose(f);
  assert_int_equal(
      camreg(log, sizeof log,
             "pnp -c truth.yml --points3d empty.mrk.json --points2d five2.csv -o x.txt"),
      1);
  assert_non_null(strstr(log, "empty.mrk.json: no defined points"));
  assert_int_equal(
      camreg(log, sizeof log,
             "dlt --points3d flat3.mrk.json --points2d flat2.csv -o x.yml --pose x.txt"),
      2);
  assert_false(cr_file_exists(cr_test_path("x.txt")));
  assert_false(cr_file_exists(cr_test_path("x.yml")));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_calibrate_ok),       cmocka_unit_test(test_calibrate_bad_input),
      cmocka_unit_test(test_undistort_16bit),    cmocka_unit_test(test_pnp_and_dlt),
      cmocka_unit_test(test_landmark_bad_input),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
