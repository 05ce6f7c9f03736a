// Evaluation (mTRE, projection distance, pose errors, capture range, summary) against
// hand-computed values, and trial drawing against its specification.
#include "testutil.h"

#include "core/error.h"
#include "core/mat.h"
#include "experiments/config.h"
#include "experiments/evaluate.h"
#include "experiments/results.h"
#include "experiments/trial.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_mtre_translation_and_rotation(void **state) {
  (void)state;
  double X[4][3] = {{10, 0, 0}, {0, 10, 0}, {-10, 0, 50}, {0, -10, -3}};
  cr_pose a = cr_pose_identity(), b = cr_pose_identity();
  b.t[0] = 3, b.t[1] = 4; // every point moves by 5 mm
  assert_near(cr_reg_mtre(&a, &b, (const double(*)[3])X, 4), 5.0, 1e-12);
  // Rotation by 60 degrees about z: a point at distance r from the axis moves by
  // 2 r sin(30 deg) = r; all four are at r = 10.
  double rv[3] = {0, 0, M_PI / 3};
  cr_pose c = cr_pose_from_rvec_tvec(rv, (double[3]){0, 0, 0});
  assert_near(cr_reg_mtre(&a, &c, (const double(*)[3])X, 4), 10.0, 1e-12);
  assert_near(cr_reg_mtre(&a, &c, (const double(*)[3])X, 0), 0.0, 0);
}

static void test_projection_distance(void **state) {
  (void)state;
  cr_camera cam = {.width = 100, .height = 100, .fx = 200, .fy = 200, .cx = 50, .cy = 50};
  double X[2][3] = {{0, 0, 100}, {10, 5, 200}};
  cr_pose a = cr_pose_identity(), b = cr_pose_identity();
  b.t[0] = 1; // 1 mm sideways: 200 / 100 = 2 px for the first point, 1 px for the second
  double d;
  int used;
  assert_int_equal(cr_exp_projection_distance(&cam, &a, &b, (const double(*)[3])X, 2, &d, &used),
                   0);
  assert_int_equal(used, 2);
  assert_near(d, 1.5, 1e-12);
  // A point behind one camera is left out; none in front is CR_EEMPTY.
  b.t[2] = -150; // second point at z = 50, first at z = -50
  assert_int_equal(cr_exp_projection_distance(&cam, &a, &b, (const double(*)[3])X, 2, &d, &used),
                   0);
  assert_int_equal(used, 1);
  // b sees (11, 5, 50) at (94, 70), a sees (10, 5, 200) at (60, 55).
  assert_near(d, hypot(34, 15), 1e-9);
  b.t[2] = -300;
  assert_int_equal(cr_exp_projection_distance(&cam, &a, &b, (const double(*)[3])X, 2, &d, &used),
                   CR_EEMPTY);
}

static void test_pose_errors(void **state) {
  (void)state;
  double rv[3] = {10 * M_PI / 180, 0, 0}, tv[3] = {1, 2, 3};
  cr_pose gt = cr_pose_from_rvec_tvec((double[3]){0.1, -0.2, 0.3}, tv);
  cr_pose d = cr_pose_from_rvec_tvec(rv, (double[3]){0, 0, 0});
  cr_pose est = cr_pose_compose(&d, &gt); // rotated 10 deg about the camera's x
  double rot, tr, cg[3], ce[3], diff[3];
  cr_exp_pose_errors(&est, &gt, &rot, &tr);
  assert_near(rot, 10.0, 1e-9);
  cr_pose_camera_centre(&gt, cg);
  cr_pose_camera_centre(&est, ce);
  cr_vec3_sub(diff, ce, cg);
  assert_near(tr, cr_vec3_norm(diff), 1e-12);
  // Pure camera shift of 2 mm along world x: translation error 2, rotation 0.
  cr_pose shifted = gt;
  double sh[3] = {2, 0, 0}, Rsh[3];
  cr_mat3_apply(Rsh, gt.R, sh);
  for (int i = 0; i < 3; i++) shifted.t[i] -= Rsh[i];
  cr_exp_pose_errors(&shifted, &gt, &rot, &tr);
  assert_near(rot, 0.0, 1e-6);
  assert_near(tr, 2.0, 1e-12);
}

static void test_capture_range(void **state) {
  (void)state;
  double hi[5] = {5, 10, 15, 20, 25};
  double rate[5] = {1.0, 0.95, 0.90, 1.0, 1.0};
  int count[5] = {20, 20, 20, 20, 20};
  assert_near(cr_exp_capture_range(hi, rate, count, 5, 0.95), 10.0, 0); // stops at the 90% bin
  rate[2] = 19.0 / 20.0;
  assert_near(cr_exp_capture_range(hi, rate, count, 5, 0.95), 25.0, 0);
  count[1] = 0, rate[1] = 0; // an empty bin is skipped, not a failure
  assert_near(cr_exp_capture_range(hi, rate, count, 5, 0.95), 25.0, 0);
  rate[0] = 0.5;
  assert_near(cr_exp_capture_range(hi, rate, count, 5, 0.95), 0.0, 0);
}

static void test_summary_quantiles(void **state) {
  (void)state;
  cr_exp_row rows[20];
  memset(rows, 0, sizeof rows);
  for (int i = 0; i < 20; i++) {
    rows[i].trial = 19 - i; // unsorted input
    snprintf(rows[i].method, sizeof rows[i].method, "%s", i % 2 ? "b" : "a");
    rows[i].final_mtre_mm = i / 2 + 1;           // a and b: 1..10 each
    rows[i].success = rows[i].final_mtre_mm < 2; // one success each
    rows[i].bin_hi_mm = 5;
    rows[i].time_s = i % 2 ? 2.0 : 1.0;
  }
  FILE *f = tmpfile();
  assert_int_equal(cr_exp_summary_print(f, rows, 20), 0);
  rewind(f);
  char line[256], name[32];
  int trials, failed;
  double succ, med, p90, cap, tm, ev;
  assert_non_null(fgets(line, sizeof line, f)); // header
  assert_non_null(fgets(line, sizeof line, f));
  // The method of trial 0 (i = 19: "b") comes first.
  assert_int_equal(sscanf(line, "%31s %d %d %lf%% %lf %lf %lf %lf %lf", name, &trials, &failed,
                          &succ, &med, &p90, &cap, &tm, &ev),
                   9);
  assert_string_equal(name, "b");
  assert_int_equal(trials, 10);
  assert_near(succ, 10.0, 1e-9);
  assert_near(med, 5.5, 1e-9); // median of 1..10
  assert_near(p90, 9.1, 1e-9); // 1 + 0.9 * 9
  assert_near(cap, 0.0, 0);    // 10% success in the only bin
  assert_near(tm, 2.0, 1e-9);
  fclose(f);
}

static void test_row_round_trip(void **state) {
  (void)state;
  cr_exp_row r = {.trial = 12,
                  .sample = 6,
                  .method = "nm",
                  .status = -3,
                  .bin_lo_mm = 5,
                  .bin_hi_mm = 10,
                  .init_mtre_mm = 7.123456789,
                  .final_mtre_mm = 0.25,
                  .init_proj_px = NAN,
                  .success = 1,
                  .evals = 321,
                  .time_s = 0.5,
                  .gt_rvec = {0.1, 0.2, 0.3},
                  .final_tvec = {-1e-3, 4, 250},
                  .depth_err_mm = 1.5,
                  .inplane_err_mm = 0.125,
                  .inplane_err_px = 0.75};
  char a[CR_EXP_CSV_LINE_MAX], b[CR_EXP_CSV_LINE_MAX];
  assert_true(cr_exp_row_format(&r, a, sizeof a) > 0);
  cr_exp_row q;
  assert_int_equal(cr_exp_row_parse(a, &q), 0);
  assert_true(cr_exp_row_format(&q, b, sizeof b) > 0);
  assert_string_equal(a, b);
  assert_int_equal(q.trial, 12);
  assert_string_equal(q.method, "nm");
  assert_int_equal(q.status, -3);
  assert_true(isnan(q.init_proj_px));
  assert_true(q.depth_err_mm == 1.5 && q.inplane_err_mm == 0.125 && q.inplane_err_px == 0.75);
  a[strlen(a) / 2] = 0; // a cut row is rejected
  assert_int_equal(cr_exp_row_parse(a, &q), CR_EFORMAT);
}

// The error split against analytic answers: an estimate whose camera sits 3 mm further back
// along the true optical axis has depth error 3 mm and no in-plane error; one moved 2 mm
// sideways in the camera frame has 2 mm in plane (2 fx / z px at the target's depth) and
// no depth error; their sum splits into both; targets behind the camera are skipped.
static void test_error_split(void **state) {
  (void)state;
  cr_camera cam = cr_camera_from_fov(320, 240, 30);
  double eye[3] = {10, -5, 200}, target[3] = {0, 0, 0}, up[3] = {0, 1, 0};
  cr_pose gt;
  assert_int_equal(cr_pose_look_at(&gt, eye, target, up), 0);
  const double X[3][3] = {{0, 0, 0}, {12, -7, 3}, {-9, 4, -2}};
  double z[3], depth, inplane, px;
  for (int i = 0; i < 3; i++) {
    double xc[3];
    cr_pose_apply(&gt, X[i], xc);
    z[i] = xc[2];
  }
  cr_pose back = gt, side = gt, both = gt;
  back.t[2] += 3; // every point 3 mm deeper in the true camera
  side.t[0] += 2; // every point 2 mm to the right
  both.t[0] += 2, both.t[2] += 3;
  assert_int_equal(cr_exp_error_split(&cam, &back, &gt, X, 3, &depth, &inplane, &px), 0);
  assert_near(depth, 3, 1e-9);
  assert_near(inplane, 0, 1e-9);
  assert_int_equal(cr_exp_error_split(&cam, &side, &gt, X, 3, &depth, &inplane, &px), 0);
  assert_near(depth, 0, 1e-9);
  assert_near(inplane, 2, 1e-9);
  assert_near(px, (2 * cam.fx / z[0] + 2 * cam.fx / z[1] + 2 * cam.fx / z[2]) / 3, 1e-9);
  assert_int_equal(cr_exp_error_split(&cam, &both, &gt, X, 3, &depth, &inplane, &px), 0);
  assert_near(depth, 3, 1e-9);
  assert_near(inplane, 2, 1e-9);
  double mtre = cr_reg_mtre(&both, &gt, X, 3);
  assert_true(mtre >= inplane && mtre >= depth); // |d| bounds both parts
  const double behind[1][3] = {{0, 0, 400}};
  assert_int_equal(cr_exp_error_split(&cam, &back, &gt, behind, 1, &depth, &inplane, &px),
                   CR_EEMPTY);
}

static cr_exp_config trial_config(void) {
  cr_exp_config cfg;
  cfg = cr_exp_config_defaults();
  cfg.n_trials = 40;
  cfg.n_methods = 2;
  cfg.methods[1] = cfg.methods[0];
  cfg.axis_cone_deg = 30;
  cfg.view_cone_deg = 12;
  return cfg;
}

static void test_trials_follow_the_spec(void **state) {
  (void)state;
  cr_exp_config cfg = trial_config();
  cr_exp_scene *scene;
  assert_int_equal(cr_status_of(scene = cr_exp_scene_new(&cfg)), 0);
  static cr_exp_trial t, u;
  for (long i = 0; i < cr_exp_config_units(&cfg); i++) {
    assert_int_equal(cr_exp_trial_make(&cfg, scene, i, &t), 0);
    assert_int_equal(t.sample, i / 2);
    assert_int_equal(t.method, i % 2);
    // The surface point is on the ellipsoid, within the axis cone.
    double q = 0, d[3], eye[3], v[3], zc[3] = {0, 0, 1}, zw[3];
    for (int a = 0; a < 3; a++)
      q += pow((t.surface_point[a] - scene->centre[a]) / scene->radii[a], 2);
    assert_near(q, 1.0, 1e-9);
    cr_vec3_sub(d, t.surface_point, scene->centre);
    cr_vec3_normalize(d);
    assert_true(acos(fmin(1, cr_vec3_dot(d, cfg.axis))) * 180 / M_PI <= cfg.axis_cone_deg + 1e-9);
    // Camera distance in range; the optical axis goes through the surface point and is
    // within view_cone of the inward normal.
    cr_pose_camera_centre(&t.gt, eye);
    cr_vec3_sub(v, t.surface_point, eye);
    double dist = cr_vec3_normalize(v);
    assert_true(dist >= cfg.dist_min_mm - 1e-9 && dist <= cfg.dist_max_mm + 1e-9);
    cr_mat3_apply_transpose(zw, t.gt.R, zc);
    assert_near(cr_vec3_dot(zw, v), 1.0, 1e-9);
    assert_true(acos(fmin(1, -cr_vec3_dot(v, t.surface_normal))) * 180 / M_PI <=
                cfg.view_cone_deg + 1e-9);
    // Start pose at an initial mTRE inside its bin (bins: 0-5-10-15-20, sample % 4).
    double m = cr_reg_mtre(&t.start, &t.gt, (const double(*)[3])t.targets, t.n_targets);
    assert_int_equal(t.bin, (int)(t.sample % 4));
    assert_true(m >= t.bin_lo_mm - 1e-9 && m <= t.bin_hi_mm + 1e-9);
    // Targets within the opening (chord from the surface point) and in front of the camera.
    for (int k = 0; k < t.n_targets; k++) {
      double xc[3], e[3];
      cr_pose_apply(&t.gt, t.targets[k], xc);
      assert_true(xc[2] > 0);
      cr_vec3_sub(e, t.targets[k], t.surface_point);
      assert_true(cr_vec3_norm(e) <= cfg.opening_mm / 2 * 1.2);
    }
    // Methods of one sample share ground truth and start pose; redrawing is identical.
    if (i % 2) {
      assert_memory_equal(&u.gt, &t.gt, sizeof t.gt);
      assert_memory_equal(&u.start, &t.start, sizeof t.start);
      assert_true(u.method_seed != t.method_seed);
    }
    assert_int_equal(cr_exp_trial_make(&cfg, scene, i, &u), 0);
    assert_memory_equal(&u, &t, sizeof t);
  }
  assert_int_equal(cr_exp_trial_make(&cfg, scene, cr_exp_config_units(&cfg), &t), CR_EINVAL);
  cr_exp_scene_free(scene);
}

// max_rotation_deg: every start within the limit and still in its mTRE bin; a start the
// unlimited draw already had within the limit is unchanged (the same stream, first draw),
// and some starts are drawn again (30-40 mm starts turned beyond 30 deg exist here).
static void test_start_rotation_limit(void **state) {
  (void)state;
  cr_exp_config free_cfg = trial_config(), cfg;
  free_cfg.n_bins = 1, free_cfg.bins_mm[0] = 30, free_cfg.bins_mm[1] = 40;
  cfg = free_cfg;
  cfg.max_rotation_deg = 30;
  cr_exp_scene *scene;
  assert_int_equal(cr_status_of(scene = cr_exp_scene_new(&cfg)), 0);
  static cr_exp_trial t, u;
  int redrawn = 0;
  for (long i = 0; i < cr_exp_config_units(&cfg); i += 2) {
    assert_int_equal(cr_exp_trial_make(&cfg, scene, i, &t), 0);
    assert_int_equal(cr_exp_trial_make(&free_cfg, scene, i, &u), 0);
    double rot, tr, rot_free, m;
    cr_exp_pose_errors(&t.start, &t.gt, &rot, &tr);
    cr_exp_pose_errors(&u.start, &u.gt, &rot_free, &tr);
    m = cr_reg_mtre(&t.start, &t.gt, (const double(*)[3])t.targets, t.n_targets);
    assert_true(rot <= 30 + 1e-9);
    assert_true(m >= 30 - 1e-9 && m <= 40 + 1e-9);
    assert_memory_equal(&u.gt, &t.gt, sizeof t.gt);
    if (rot_free <= 30)
      assert_memory_equal(&u.start, &t.start, sizeof t.start);
    else
      redrawn++;
  }
  print_message("start rotation limit: %d of %ld starts drawn again\n", redrawn,
                cr_exp_config_units(&cfg) / 2);
  assert_true(redrawn > 0);
  cr_exp_scene_free(scene);
}

static void test_pose_at_mtre_hits_target(void **state) {
  (void)state;
  double X[3][3] = {{0, 0, 0}, {20, 0, 0}, {0, 20, 5}}, pivot[3] = {20.0 / 3, 20.0 / 3, 5.0 / 3};
  cr_pose gt;
  assert_int_equal(
      cr_pose_look_at(&gt, (double[3]){0, 0, 200}, (double[3]){0, 0, 0}, (double[3]){0, 1, 0}), 0);
  double u[6] = {0.3, -0.2, 0.5, 0.1, 0.6, -0.5};
  for (double m = 0.5; m < 40; m *= 2) {
    cr_pose p;
    assert_int_equal(cr_exp_pose_at_mtre(&gt, pivot, u, (const double(*)[3])X, 3, m, &p), 0);
    assert_near(cr_reg_mtre(&p, &gt, (const double(*)[3])X, 3), m, 1e-9 * m);
  }
}

static void test_ellipsoid_fit(void **state) {
  (void)state;
  double A[4][4] = {{2, 0, 0, -60}, {0, 2, 0, -70}, {0, 0, 2, -50}, {0, 0, 0, 1}};
  cr_volume *v = cr_volume_new(70, 80, 60, A);
  assert_non_null(v);
  double c0[3] = {10, 5, 8}, r0[3] = {40, 55, 35};
  for (int k = 0; k < 60; k++)
    for (int j = 0; j < 80; j++)
      for (int i = 0; i < 70; i++) {
        double x[3] = {2.0 * i - 60, 2.0 * j - 70, 2.0 * k - 50}, q = 0;
        for (int a = 0; a < 3; a++) q += pow((x[a] - c0[a]) / r0[a], 2);
        v->data[((size_t)k * 80 + j) * 70 + i] = q <= 1 ? 100.0f : 0.0f;
      }
  double c[3], r[3];
  assert_int_equal(cr_exp_fit_ellipsoid(v, 50, c, r), 0);
  for (int a = 0; a < 3; a++) {
    assert_near(c[a], c0[a], 0.1);
    assert_near(r[a], r0[a], 0.03 * r0[a]);
  }
  assert_int_equal(cr_exp_fit_ellipsoid(v, 500, c, r), CR_EEMPTY);
  cr_volume_free(v);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_mtre_translation_and_rotation),
      cmocka_unit_test(test_projection_distance),
      cmocka_unit_test(test_pose_errors),
      cmocka_unit_test(test_capture_range),
      cmocka_unit_test(test_summary_quantiles),
      cmocka_unit_test(test_row_round_trip),
      cmocka_unit_test(test_error_split),
      cmocka_unit_test(test_trials_follow_the_spec),
      cmocka_unit_test(test_pose_at_mtre_hits_target),
      cmocka_unit_test(test_start_rotation_limit),
      cmocka_unit_test(test_ellipsoid_fit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
