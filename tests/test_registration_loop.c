// The registration loop on a smooth, exact synthetic cost: the mean squared reprojection
// distance (px^2, in the level's camera) of a fixed 3-D point set between the candidate
// pose and a hidden true pose; and on a linearized version of it (runs linearized again at
// each result, as with warped renders).
#include "testutil.h"

#include "core/error.h"
#include "core/mat.h"
#include "core/rng.h"
#include "registration/register.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define NPTS 30

typedef struct scene {
  cr_camera cam;
  cr_pose truth;
  double pts[NPTS][3], centroid[3];
  int calls, fail_at;
  int level_calls[CR_REG_MAX_LEVELS];
  // a linearized cost (test_linearized_rounds): at lin_at it is exact, away from it it is
  // off by lin_k times the squared distance to lin_at (zero slope there, like a warped
  // render's error); lin_answer is what linearize returns (1: not linearized)
  int lin, lin_calls, lin_off_calls, lin_answer, lin_level_calls[CR_REG_MAX_LEVELS];
  double lin_k;
  cr_pose lin_at;
} scene;

static void make_scene(scene *s) {
  memset(s, 0, sizeof *s);
  s->cam = cr_camera_from_fov(160, 120, 45);
  double eye[3] = {20, 40, 190}, target[3] = {0, 0, 40}, up[3] = {0, 1, 0};
  assert_int_equal(cr_pose_look_at(&s->truth, eye, target, up), 0);
  for (int i = 0; i < NPTS; i++) { // a bumpy cap of the "brain" surface, r ~ 35 mm
    double a = 2.399963 * i, r = 35 * sqrt((i + 0.5) / NPTS);
    s->pts[i][0] = r * cos(a), s->pts[i][1] = r * sin(a);
    s->pts[i][2] = 40 - r * r / 80 + 4 * sin(0.3 * i);
    for (int k = 0; k < 3; k++) s->centroid[k] += s->pts[i][k] / NPTS;
  }
}

static double mean_sq_reproj(const cr_camera *cam, const scene *s, const cr_pose *a_pose,
                             const cr_pose *b_pose);

static int reproj_cost(int level, const cr_pose *pose, void *ctx, double *cost) {
  scene *s = ctx;
  if (s->lin) { // the linearized cost's error term
    const cr_camera lc = cr_reg_level_camera(&s->cam, level);
    const double e = mean_sq_reproj(&lc, s, pose, &s->lin_at);
    s->lin = 0;
    int rc = reproj_cost(level, pose, ctx, cost);
    s->lin = 1;
    *cost += s->lin_k * e;
    return rc;
  }
  const cr_camera level_cam = cr_reg_level_camera(&s->cam, level), *cam = &level_cam;
  s->calls++;
  s->level_calls[level]++;
  if (s->fail_at && s->calls >= s->fail_at) return cr_error(CR_EEMPTY, "synthetic failure");
  double sum = 0;
  for (int i = 0; i < NPTS; i++) {
    double a[3], b[3], ua[2], ub[2];
    cr_pose_apply(pose, s->pts[i], a);
    cr_pose_apply(&s->truth, s->pts[i], b);
    if (cr_camera_project(cam, a, ua) || cr_camera_project(cam, b, ub)) {
      *cost = 1e6;
      return 0;
    }
    sum += (ua[0] - ub[0]) * (ua[0] - ub[0]) + (ua[1] - ub[1]) * (ua[1] - ub[1]);
  }
  *cost = sum / NPTS;
  return 0;
}

static double mean_sq_reproj(const cr_camera *cam, const scene *s, const cr_pose *a_pose,
                             const cr_pose *b_pose) {
  double sum = 0;
  for (int i = 0; i < NPTS; i++) {
    double a[3], b[3], ua[2], ub[2];
    cr_pose_apply(a_pose, s->pts[i], a);
    cr_pose_apply(b_pose, s->pts[i], b);
    if (cr_camera_project(cam, a, ua) || cr_camera_project(cam, b, ub)) return 1e6;
    sum += (ua[0] - ub[0]) * (ua[0] - ub[0]) + (ua[1] - ub[1]) * (ua[1] - ub[1]);
  }
  return sum / NPTS;
}

static int mock_linearize(int level, const cr_pose *at, void *ctx) {
  scene *s = ctx;
  if (!at) return s->lin_off_calls++, s->lin = 0, 0;
  s->lin_calls++, s->lin_level_calls[level]++;
  if (s->lin_answer) return s->lin_answer;
  s->lin = 1, s->lin_at = *at;
  return 0;
}

// The true pose perturbed by `deg` about a random axis through the centroid and `mm`
// in a random direction (seeded).
static cr_pose perturbed(const scene *s, double deg, double mm, int seed) {
  cr_reg_param par;
  cr_reg_param_init(&par, &s->truth, s->centroid);
  double p[6];
  cr_rng rng = cr_rng_make((uint64_t)seed, 0);
  cr_rng_unit_vector(&rng, p), cr_rng_unit_vector(&rng, p + 3);
  for (int i = 0; i < 3; i++) p[i] *= deg, p[3 + i] *= mm;
  return cr_reg_param_to_pose(&par, p);
}

static cr_reg_options options(scene *s, const char *optimizer) {
  cr_reg_options o = cr_reg_defaults();
  o.optimizer = cr_opt_lookup(optimizer);
  memcpy(o.pivot_world, s->centroid, sizeof o.pivot_world);
  o.max_evals = 1500;
  o.xtol = 1e-3;
  return o;
}

static void test_every_optimizer_converges(void **state) {
  static const char *names[] = {"nelder-mead", "powell", "cmaes", "bfgs"};
  for (int k = 0; k < 4; k++)
    for (int trial = 0; trial < 2; trial++) {
      scene s;
      make_scene(&s);
      cr_pose start = perturbed(&s, 10, 10, trial);
      double mtre0 = cr_reg_mtre(&start, &s.truth, (const double(*)[3])s.pts, NPTS);
      cr_reg_options o = options(&s, names[k]);
      cr_reg_result r;
      assert_int_equal(cr_reg_run(&s.cam, &start, reproj_cost, &s, &o, &r), 0);
      double mtre = cr_reg_mtre(&r.final, &s.truth, (const double(*)[3])s.pts, NPTS);
      print_message("%-12s trial %d: mTRE %.2f -> %.4f mm, %d evals, %.3f s\n", names[k], trial,
                    mtre0, mtre, r.evals, r.seconds);
      assert_true(mtre0 > 9);
      assert_true(mtre < 0.1);
      // Bookkeeping: every call counted, per level and in total; levels coarse to fine.
      assert_int_equal(r.evals, s.calls);
      assert_int_equal(r.nlevels, 3);
      for (int l = 0; l < 3; l++) {
        assert_int_equal(r.level[l].level, 2 - l);
        assert_int_equal(r.level[l].evals, s.level_calls[2 - l]);
        // Budget: max_evals per start at the coarsest level, halved per finer level
        // (at least 40); only the coarsest level runs every start.
        int budget = o.max_evals >> l;
        if (budget < 40) budget = o.max_evals < 40 ? o.max_evals : 40;
        assert_true(r.level[l].evals <= (l == 0 ? o.starts : 1) * budget);
      }
      assert_int_equal(r.level[0].width, 40);
      assert_string_equal(r.optimizer, names[k]);
    }
}

static void test_same_seed_same_result(void **state) {
  for (int k = 0; k < 2; k++) {
    scene s;
    make_scene(&s);
    cr_pose start = perturbed(&s, 10, 10, 7);
    cr_reg_options o = options(&s, k ? "cmaes" : "powell");
    o.starts = 3, o.seed = 99;
    cr_reg_result r1, r2;
    assert_int_equal(cr_reg_run(&s.cam, &start, reproj_cost, &s, &o, &r1), 0);
    assert_int_equal(cr_reg_run(&s.cam, &start, reproj_cost, &s, &o, &r2), 0);
    assert_memory_equal(&r1.final, &r2.final, sizeof r1.final);
    assert_int_equal(r1.evals, r2.evals);
    assert_int_equal(r1.best_start, r2.best_start);
  }
}

static void test_multistart_keeps_best(void **state) {
  // From a far start (25 mm / 25 deg) with a tiny budget, restarts around it are
  // evaluated and the reported best start has the lowest coarse-level cost.
  scene s;
  make_scene(&s);
  cr_pose start = perturbed(&s, 10, 10, 3);
  cr_reg_options o = options(&s, "nelder-mead");
  o.starts = 4, o.levels = 1, o.max_evals = 60, o.start_rot_deg = 8, o.start_trans_mm = 8;
  cr_reg_result r;
  assert_int_equal(cr_reg_run(&s.cam, &start, reproj_cost, &s, &o, &r), 0);
  assert_true(r.best_start >= 0 && r.best_start < 4);
  assert_int_equal(r.evals, s.calls);
  assert_true(r.evals <= 4 * 60);
  double c;
  reproj_cost(0, &r.final, &s, &c);
  assert_near(c, r.cost, 1e-12 * (1 + c));
}

// A cost blind to depth: the pivot's image position and the rotation only.
static int depth_blind(int level, const cr_pose *pose, void *ctx, double *cost) {
  scene *s = ctx;
  const cr_camera level_cam = cr_reg_level_camera(&s->cam, level), *cam = &level_cam;
  double a[3], b[3], ua[2], ub[2], ang, dist;
  cr_pose_apply(pose, s->centroid, a);
  cr_pose_apply(&s->truth, s->centroid, b);
  if (cr_camera_project(cam, a, ua) || cr_camera_project(cam, b, ub)) return *cost = 1e6, 0;
  cr_pose_difference(pose, &s->truth, &ang, &dist);
  *cost = (ua[0] - ub[0]) * (ua[0] - ub[0]) + (ua[1] - ub[1]) * (ua[1] - ub[1]) + ang * ang;
  return 0;
}

static void test_working_distance_prior(void **state) {
  scene s;
  make_scene(&s);
  cr_pose start = perturbed(&s, 5, 5, 1);
  cr_reg_options o = options(&s, "powell");
  o.prior_distance_mm = 170, o.prior_weight = 1;
  cr_reg_result r;
  assert_int_equal(cr_reg_run(&s.cam, &start, depth_blind, &s, &o, &r), 0);
  double pc[3];
  cr_pose_apply(&r.final, s.centroid, pc);
  assert_near(pc[2], 170, 0.05);
  assert_near(r.prior_penalty, (pc[2] - 170) * (pc[2] - 170), 1e-12);
  // The split: the pivot's depth change from start to end is the along-axis part.
  double ps[3];
  cr_pose_apply(&start, s.centroid, ps);
  assert_near(r.along_mm, pc[2] - ps[2], 1e-9);
}

static void test_report_json(void **state) {
  scene s;
  make_scene(&s);
  cr_pose start = perturbed(&s, 5, 5, 2);
  cr_reg_options o = options(&s, "bfgs");
  cr_reg_result r;
  assert_int_equal(cr_reg_run(&s.cam, &start, reproj_cost, &s, &o, &r), 0);
  cJSON *extra = cJSON_CreateObject();
  cJSON_AddStringToObject(extra, "metric", "synthetic");
  const char *path = cr_test_path("report.json");
  assert_int_equal(cr_reg_report_write(path, &r, extra), 0);
  cJSON_Delete(extra);
  FILE *fp = fopen(path, "r");
  assert_non_null(fp);
  char buf[16384];
  size_t n = fread(buf, 1, sizeof buf - 1, fp);
  fclose(fp);
  buf[n] = 0;
  cJSON *j = cJSON_Parse(buf);
  assert_non_null(j);
  assert_string_equal(cJSON_GetObjectItem(j, "optimizer")->valuestring, "bfgs");
  assert_string_equal(cJSON_GetObjectItem(j, "metric")->valuestring, "synthetic");
  assert_int_equal(cJSON_GetObjectItem(j, "evaluations")->valueint, r.evals);
  assert_near(cJSON_GetObjectItem(j, "final_cost")->valuedouble, r.cost, 1e-12 * (1 + r.cost));
  cJSON *levels = cJSON_GetObjectItem(j, "levels");
  assert_int_equal(cJSON_GetArraySize(levels), 3);
  assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(levels, 2), "width")->valueint, 160);
  cJSON *m = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "final_pose"), "matrix");
  for (int i = 0; i < 3; i++) {
    cJSON *row = cJSON_GetArrayItem(m, i);
    for (int k = 0; k < 3; k++)
      assert_near(cJSON_GetArrayItem(row, k)->valuedouble, r.final.R[i][k], 1e-12);
    assert_near(cJSON_GetArrayItem(row, 3)->valuedouble, r.final.t[i], 1e-9);
  }
  cJSON *tv = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "start_pose"), "tvec");
  assert_near(cJSON_GetArrayItem(tv, 2)->valuedouble, start.t[2], 1e-9);
  assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "pose_change"), "along_axis_mm"));
  cJSON_Delete(j);
  assert_int_not_equal(cr_reg_report_write(cr_test_path("none/r.json"), &r, NULL), 0);
}

// Runs on a linearized cost (cr_reg_options' linearize, as the warped render): each run
// minimizes a cost that is exact only at its linearization pose (off by k = 1 times the
// squared reprojection distance to it), so one run stops halfway to the truth and every
// further run, linearized at the last result, halves the rest: the rounds end at the
// cost's own minimum. The result's cost is the exact cost; a cost that declines (> 0)
// runs once as without linearization, to the same bits; of several levels the coarsest is
// linearized only with warp_coarsest.
static void test_linearized_rounds(void **state) {
  double err[2];
  const int rounds[2] = {1, 12};
  for (int k = 0; k < 2; k++) {
    scene s;
    make_scene(&s);
    s.lin_k = 1;
    cr_pose start = perturbed(&s, 2, 2, 3);
    cr_reg_options o = options(&s, "nelder-mead");
    o.levels = 1, o.starts = 1, o.xtol = 1e-4;
    o.linearize = mock_linearize, o.warp_rounds = rounds[k];
    cr_reg_result r;
    assert_int_equal(cr_reg_run(&s.cam, &start, reproj_cost, &s, &o, &r), 0);
    err[k] = sqrt(mean_sq_reproj(&s.cam, &s, &r.final, &s.truth));
    print_message("%d run(s): %d linearizations, reprojection error %.2g px -> %.2g px, "
                  "%d evals\n",
                  rounds[k], s.lin_calls, sqrt(mean_sq_reproj(&s.cam, &s, &start, &s.truth)),
                  err[k], r.evals);
    assert_int_equal(s.lin_off_calls, 1); // ended once, at the end of the level
    assert_int_equal(s.lin, 0);
    assert_true(s.lin_calls >= 2 && s.lin_calls <= rounds[k] + 1);
    assert_int_equal(r.evals, s.calls);
    double exact;
    assert_int_equal(reproj_cost(0, &r.final, &s, &exact), 0);
    assert_true(r.cost == exact); // the result's cost: the exact cost at its pose
  }
  assert_true(err[0] > 0.2);           // one run: about half of the start's error left
  assert_true(err[1] < 0.01 * err[0]); // twelve: the minimum
  // a cost that cannot linearize: one plain run, the same as without linearize
  scene a, b;
  make_scene(&a), make_scene(&b);
  a.lin_answer = 1;
  cr_pose start = perturbed(&a, 2, 2, 3);
  cr_reg_options o = options(&a, "nelder-mead");
  o.levels = 1, o.starts = 1;
  cr_reg_result ra, rb;
  assert_int_equal(cr_reg_run(&b.cam, &start, reproj_cost, &b, &o, &rb), 0);
  o.linearize = mock_linearize, o.warp_rounds = 4;
  assert_int_equal(cr_reg_run(&a.cam, &start, reproj_cost, &a, &o, &ra), 0);
  assert_int_equal(a.lin_calls, 1);
  assert_int_equal(a.lin_off_calls, 0);
  assert_memory_equal(&ra.final, &rb.final, sizeof ra.final);
  assert_true(ra.cost == rb.cost && ra.evals == rb.evals);
  // several levels: not at the coarsest (its runs start from the given pose, maybe far)
  // unless warp_coarsest (the global stage's runs start from refined hypotheses)
  for (int all = 0; all < 2; all++) {
    scene c;
    make_scene(&c);
    c.lin_k = 1;
    cr_reg_options oc = options(&c, "nelder-mead");
    oc.levels = 3, oc.starts = 1, oc.linearize = mock_linearize, oc.warp_rounds = 2;
    oc.warp_coarsest = all;
    cr_reg_result rc;
    assert_int_equal(cr_reg_run(&c.cam, &start, reproj_cost, &c, &oc, &rc), 0);
    assert_true(c.lin_level_calls[0] > 0 && c.lin_level_calls[1] > 0);
    assert_int_equal(c.lin_level_calls[2] > 0, all);
    assert_int_equal(c.lin_off_calls, 2 + all);
  }
}

static void test_bad_options_and_failures(void **state) {
  scene s;
  make_scene(&s);
  cr_reg_options o = options(&s, "powell");
  cr_reg_result r;
  o.pivot_world[2] = 400; // behind the camera (the camera is at z = 190 looking down)
  assert_int_equal(cr_reg_run(&s.cam, &s.truth, reproj_cost, &s, &o, &r), CR_EINVAL);
  assert_non_null(strstr(cr_last_error(), "pivot"));
  o = options(&s, "powell");
  o.levels = 7; // 160 / 64 < 4
  assert_int_equal(cr_reg_run(&s.cam, &s.truth, reproj_cost, &s, &o, &r), CR_EINVAL);
  o = options(&s, "powell");
  o.prior_weight = 1; // without a distance
  assert_int_equal(cr_reg_run(&s.cam, &s.truth, reproj_cost, &s, &o, &r), CR_EINVAL);
  o = options(&s, "powell");
  s.fail_at = 10;
  cr_pose start = perturbed(&s, 5, 5, 0);
  assert_int_equal(cr_reg_run(&s.cam, &start, reproj_cost, &s, &o, &r), CR_EEMPTY);
  assert_int_equal(s.calls, 10);
  assert_string_equal(cr_last_error(), "synthetic failure");
}

int main(void) {
  cr_gsl_quiet();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_optimizer_converges),
      cmocka_unit_test(test_same_seed_same_result),
      cmocka_unit_test(test_multistart_keeps_best),
      cmocka_unit_test(test_working_distance_prior),
      cmocka_unit_test(test_report_json),
      cmocka_unit_test(test_linearized_rounds),
      cmocka_unit_test(test_bad_options_and_failures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
