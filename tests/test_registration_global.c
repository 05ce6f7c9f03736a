// The global stage (registration/global.h) on the phantom, photos by the synthetic
// appearance model (no inverse crime): from a start 25 mm and 20 deg off in the image plane
// the local pipeline ends in another gyrus while the global stage finds the pose; a fixed
// seed gives the same pose with 1 and 2 threads; depth restarts run (one view) or not (two
// views, or switched off); the look-at start looks at its point
// along the outward normal; bad inputs (empty box, look-at point outside the volume or on no
// surface, no focus distance) give clear errors.
// test-links: experiments registration optim
#include "phantom_scene.h"
#include "testutil.h"

#include "core/error.h"
#include "core/mat.h"
#include "core/phantom.h"
#include "experiments/synth.h"
#include "registration/feature_hyp.h"
#include "registration/global.h"
#include "registration/param.h"
#include "registration/pipeline.h"

#include <math.h>
#include <omp.h>
#include <string.h>

static cr_volume *vol;
static cr_phantom_options pp;
static cr_camera cam;
static cr_pose truth;
static const double target[3] = {10, 20, 50};
static double pivot[3];
static cr_image *photo, *mask;
static double targets[64][3];
static int n_targets;

static int setup(void **state) {
  cr_gsl_quiet();
  if (cr_test_phantom_scene(target, &pp, &vol, &cam, &truth, &photo, &mask)) return -1;
  // Targets: surface points on a 4 mm grid about the target (mTRE, docs/design.md).
  for (int i = -3; i <= 4 && n_targets < 64; i++)
    for (int j = -3; j <= 4 && n_targets < 64; j++) {
      double p[3] = {target[0] + 4 * i, target[1] + 4 * j, 0};
      p[2] = target[2] + 5 - cr_phantom_surface_distance(&pp, (double[3]){p[0], p[1], 55});
      memcpy(targets[n_targets++], p, sizeof p);
    }
  for (int k = 0; k < n_targets; k++)
    for (int a = 0; a < 3; a++) pivot[a] += targets[k][a] / n_targets;
  return 0;
}

static int teardown(void **state) {
  cr_volume_free(vol), cr_image_free(photo), cr_image_free(mask);
  return 0;
}

static double mtre(const cr_pose *p) {
  return cr_reg_mtre(p, &truth, (const double(*)[3])targets, n_targets);
}

// Registers from `start` with the focus distance of the true pose (sigma 0.5 mm), the
// pivot automatic (from the start); with `look_at` non-NULL from that point instead.
static int run(cr_reg_method *m, const cr_pose *start, const double *look_at,
               cr_reg_global_result *g, cr_reg_result *res) {
  cr_reg_view view = cr_reg_view_mono(&cam, photo, mask);
  cr_reg_cost *cost;
  assert_int_equal(cr_status_of(cost = cr_reg_cost_new(m, vol, NULL, &view, 1)), 0);
  cr_reg_register_options ro = cr_reg_register_defaults();
  assert_int_equal(cr_reg_cost_focus_distance(cost, &truth, &ro.focus_distance_mm), 0);
  ro.focus_sigma_mm = 0.5;
  ro.global = g;
  cr_pose s = start ? *start : truth;
  int rc = 0;
  if (look_at) {
    double iso, normal[3];
    assert_int_equal(cr_reg_cost_iso(cost, &iso), 0);
    rc = cr_reg_look_at_start(vol, iso, look_at, ro.focus_distance_mm, &s, normal);
    ro.look_at = 1, ro.have_pivot = 1, ro.look_at_cone_deg = 0;
    memcpy(ro.pivot_world, look_at, sizeof ro.pivot_world);
  }
  if (!rc) rc = cr_reg_register(cost, m, &s, &ro, res);
  cr_reg_cost_free(cost);
  return rc;
}

// 25 mm and 20 deg of roll off in the image plane (param.h, about the targets' centroid).
static cr_pose far_start(void) {
  cr_reg_param par;
  cr_reg_param_init(&par, &truth, pivot);
  const double x[6] = {0, 0, 20, 15, -20, 0};
  return cr_reg_param_to_pose(&par, x);
}

static void test_global_finds_pose_local_does_not(void **state) {
  cr_pose s = far_start();
  cr_reg_method m = cr_reg_method_defaults();
  cr_reg_result local, global;
  cr_reg_global_result g;
  assert_int_equal(run(&m, &s, NULL, NULL, &local), 0);
  m.global = 1;
  assert_int_equal(run(&m, &s, NULL, &g, &global), 0);
  print_message("start mTRE %.2f mm: local %.2f mm, global %.2f mm (%ld grid poses on %dx%d, "
                "winner %d of %d)\n",
                mtre(&s), mtre(&local.final), mtre(&global.final), g.n_grid, g.width, g.height,
                g.winner, g.n);
  assert_true(mtre(&s) > 20);
  assert_true(mtre(&local.final) > 2);
  assert_true(mtre(&global.final) < 1);
  // the report's facts: the start first, then hypotheses sorted by score, the search on
  // coarse views
  assert_true(g.n >= 2 && g.width <= 48 && g.start_kept);
  double p0[6];
  cr_reg_param par;
  cr_reg_param_init(&par, &s, global.pivot_world);
  cr_reg_param_from_pose(&par, &g.hyp[0].grid, p0);
  for (int a = 0; a < 5; a++) assert_true(fabs(p0[a]) < 1e-9); // depth: from the focus
  for (int k = 2; k < g.n; k++) assert_true(g.hyp[k - 1].score <= g.hyp[k].score);
}

// The grid sampler (a render per grid pose) finds the pose too, at many more renders.
static void test_grid_sampler(void **state) {
  cr_pose s = far_start();
  cr_reg_method m = cr_reg_method_defaults();
  m.global = 1, m.global_tilt_deg = 0; // roll and translation only: 1575 renders
  assert_int_equal(cr_reg_method_set(&m, "global-sampler", "grid"), 0);
  cr_reg_result res;
  cr_reg_global_result g;
  assert_int_equal(run(&m, &s, NULL, &g, &res), 0);
  print_message("grid sampler: mTRE %.2f mm (%ld grid poses, %ld evaluations)\n", mtre(&res.final),
                g.n_grid, g.evals);
  assert_true(mtre(&res.final) < 1);
  assert_int_equal(cr_reg_method_set(&m, "global-sampler", "bank"), CR_EINVAL);
  assert_non_null(strstr(cr_last_error(), "use shift or grid"));
}

static void test_same_pose_one_and_two_threads(void **state) {
  cr_pose s = far_start();
  cr_reg_method m = cr_reg_method_defaults();
  m.global = 1, m.global_keep = 2, m.global_box_deg = 10, m.global_box_mm = 8;
  m.global_evals = 40, m.max_evals = 100, m.global_depth_mm = 4;
  cr_reg_result r1, r2;
  cr_reg_global_result g1, g2;
  omp_set_num_threads(1);
  assert_int_equal(run(&m, &s, NULL, &g1, &r1), 0);
  omp_set_num_threads(2); // the hypotheses are refined side by side, one cost per thread
  assert_int_equal(run(&m, &s, NULL, &g2, &r2), 0);
  assert_memory_equal(&r1.final, &r2.final, sizeof r1.final);
  assert_int_equal(r1.evals, r2.evals);
  assert_int_equal(g1.n, g2.n);
  assert_true(g1.n >= 2);
  assert_int_equal(g1.winner, g2.winner);
  for (int k = 0; k < g1.n; k++) { // every hypothesis' runs, not only the winner's
    assert_memory_equal(&g1.hyp[k].refined, &g2.hyp[k].refined, sizeof g1.hyp[k].refined);
    assert_true(g1.hyp[k].refined_cost == g2.hyp[k].refined_cost);
    assert_true(g1.hyp[k].level_cost == g2.hyp[k].level_cost ||
                (isnan(g1.hyp[k].level_cost) && isnan(g2.hyp[k].level_cost)));
  }
  assert_int_equal(g1.n_depth, 5); // and the depth restarts, side by side too
  assert_int_equal(g2.n_depth, 5);
  assert_int_equal(g1.depth_winner, g2.depth_winner);
  for (int i = 0; i < g1.n_depth; i++) assert_true(g1.depth_cost[i] == g2.depth_cost[i]);
}

// Depth restarts (one view, global_depth_mm 4): the winner moved 0, -4, +4, -8, +8 mm
// along its axis runs at the next finer level and the lowest cost continues. The unmoved
// restart is the run the stage makes at that level without restarts (two paths: a side-by-
// side refinement and the pyramid's own run), so its cost is that run's to the bit; the
// restarts are a level of their own in the result, between the method's coarsest level and
// the finest. On by default (4 mm), none with 0 or with two views (the second pins depth).
static void test_depth_restarts(void **state) {
  cr_pose s = far_start();
  cr_reg_method m = cr_reg_method_defaults();
  m.global = 1, m.global_keep = 2, m.global_box_deg = 10, m.global_box_mm = 8;
  m.global_evals = 40, m.max_evals = 100;
  assert_int_equal(m.levels, 3);
  cr_reg_result r, off;
  cr_reg_global_result g;
  assert_near(m.global_depth_mm, 4, 0); // on by default; 0 turns them off
  m.global_depth_mm = 0;
  assert_int_equal(run(&m, &s, NULL, &g, &off), 0);
  assert_int_equal(g.n_depth, 0);
  assert_int_equal(off.nlevels, 4); // search, levels 2, 1, 0
  assert_true(off.level[1].cost == g.hyp[g.winner].level_cost);
  const double winner_cost = g.hyp[g.winner].level_cost;
  m.global_depth_mm = 4;
  assert_int_equal(run(&m, &s, NULL, &g, &r), 0);
  assert_int_equal(g.n_depth, 5);
  assert_int_equal(g.depth_level, 1);
  assert_true(g.hyp[g.winner].level_cost == winner_cost); // the same search and level 2
  const double want[5] = {0, -4, 4, -8, 8};
  double lowest = INFINITY;
  int evals = 0;
  for (int i = 0; i < 5; i++) {
    assert_near(g.depth_mm[i], want[i], 0);
    assert_true(g.depth_evals[i] > 0 && g.depth_evals[i] <= m.max_evals / 2);
    if (g.depth_cost[i] < lowest) lowest = g.depth_cost[i];
    evals += g.depth_evals[i];
  }
  print_message("depth restarts: without %.5f, restarts %.5f %.5f %.5f %.5f %.5f\n",
                off.level[2].cost, g.depth_cost[0], g.depth_cost[1], g.depth_cost[2],
                g.depth_cost[3], g.depth_cost[4]);
  assert_true(g.depth_cost[0] == off.level[2].cost); // the unmoved restart: the plain run
  assert_true(g.depth_cost[g.depth_winner] == lowest);
  assert_int_equal(r.nlevels, 4); // search, level 2, the restarts at level 1, level 0
  assert_int_equal(r.level[1].level, 2);
  assert_true(r.level[1].cost == winner_cost);
  assert_int_equal(r.level[2].level, 1);
  assert_int_equal(r.level[2].width, off.level[2].width);
  assert_true(r.level[2].cost == lowest); // the level's cost: the restarts' best
  assert_int_equal(r.level[2].evals, evals);
  assert_int_equal(r.level[3].level, 0);
  assert_true(r.level[3].evals <= m.max_evals / 4); // the finest level: a quarter
  assert_true(r.cost == r.level[3].cost);
  // two views: the reference photo twice (the second camera at the first's place)
  cr_reg_view views[2] = {cr_reg_view_mono(&cam, photo, mask), cr_reg_view_mono(&cam, photo, mask)};
  cr_reg_cost *cost;
  assert_int_equal(cr_status_of(cost = cr_reg_cost_new(&m, vol, NULL, views, 2)), 0);
  cr_reg_register_options ro = cr_reg_register_defaults();
  ro.global = &g;
  assert_int_equal(cr_reg_register(cost, &m, &s, &ro, &r), 0);
  cr_reg_cost_free(cost);
  assert_int_equal(g.n_depth, 0);
}

// The search level: the coarsest at most global_width wide, finer while the mask's
// equivalent diameter there is under global_mask_px (a small opening in a wide photo).
static void test_search_level_follows_the_mask(void **state) {
  cr_pose s = far_start();
  cr_reg_method m = cr_reg_method_defaults();
  m.global = 1, m.global_keep = 2, m.global_box_deg = 10, m.global_box_mm = 8;
  m.global_evals = 20, m.max_evals = 40, m.levels = 2;
  m.global_mask_px = 0;
  cr_reg_result r;
  cr_reg_global_result g0, g1;
  assert_int_equal(run(&m, &s, NULL, &g0, &r), 0);
  long n = 0; // the mask's pixels at the search level: the test photo's mask, area-resized
  cr_reg_view view = cr_reg_view_mono(&cam, photo, mask);
  cr_reg_cost *cost = cr_reg_cost_new(&m, vol, NULL, &view, 1);
  assert_non_null(cost);
  const cr_image *ml = cr_reg_cost_mask(cost, 0, g0.level);
  for (int y = 0; y < g0.height; y++)
    for (int x = 0; x < g0.width; x++) n += !ml || *cr_image_px(ml, x, y) != 0;
  cr_reg_cost_free(cost);
  const double d = 2 * sqrt((double)n / M_PI);
  m.global_mask_px = d + 0.5; // just more than the mask spans there: one level finer
  assert_int_equal(run(&m, &s, NULL, &g1, &r), 0);
  print_message("search level %d (%dx%d, mask %.1f px across), then %d (%dx%d)\n", g0.level,
                g0.width, g0.height, d, g1.level, g1.width, g1.height);
  assert_true(g0.width <= 48 && g0.level > 0);
  assert_int_equal(g1.level, g0.level - 1);
  assert_true(g1.width >= 2 * g0.width - 1);
  m.global_mask_px = d - 0.5; // spanned: the coarse level stays
  assert_int_equal(run(&m, &s, NULL, &g1, &r), 0);
  assert_int_equal(g1.level, g0.level);
}

// The feature hypothesis (registration/feature_hyp.h) where photo and render are one
// modality: the photo is the method's own render at the truth (prepared as a photo is),
// so the matches are right up to a keypoint's pixel or so, and PnP must give the truth
// back from a start 5.5 mm off to within the success threshold: a narrow field pins
// depth weakly, so ~1 px of keypoint noise is ~1.6 mm there; refinement removes it.
static void test_feature_hypothesis(void **state) {
  cr_reg_method m = cr_reg_method_defaults();
  cr_reg_view view = cr_reg_view_mono(&cam, photo, mask);
  cr_reg_cost *cost = cr_reg_cost_new(&m, vol, NULL, &view, 1);
  assert_non_null(cost);
  cr_image *render = cr_image_new(cam.width, cam.height, 1);
  assert_int_equal(cr_reg_cost_render_camera(cost, 0, &cam, &truth, render), 0);
  cr_reg_cost_free(cost);
  for (int y = 0; y < cam.height; y++)
    for (int x = 0; x < cam.width; x++)
      if (!isfinite(*cr_image_px(render, x, y))) *cr_image_px(render, x, y) = 0;
  view = cr_reg_view_mono(&cam, render, mask);
  assert_non_null(cost = cr_reg_cost_new(&m, vol, NULL, &view, 1));
  cr_reg_param par;
  cr_reg_param_init(&par, &truth, pivot);
  const double x[6] = {5, -4, 3, 4, -3, 2};
  const cr_pose start = cr_reg_param_to_pose(&par, x);
  cr_reg_feature_result fr;
  assert_int_equal(cr_reg_feature_hypothesis(cost, &start, pivot, 10, 10, &fr), 0);
  print_message("features: start mTRE %.2f mm; %d matches, %d inliers (%.2f px): mTRE %.3f mm\n",
                mtre(&start), fr.matches, fr.inliers, fr.rms_px, fr.found ? mtre(&fr.pose) : NAN);
  assert_true(fr.found && fr.inliers >= 10);
  assert_true(mtre(&fr.pose) < 2 && mtre(&fr.pose) < 0.5 * mtre(&start));
  // bad arguments
  assert_int_equal(cr_reg_feature_hypothesis(cost, &start, pivot, -1, 10, &fr), CR_EINVAL);
  assert_int_equal(cr_reg_feature_hypothesis(cost, &start, pivot, 10, 3, &fr), CR_EINVAL);
  cr_reg_cost_free(cost);
  cr_image_free(render);
}

// The look-at start: at the focus distance from its point along the outward normal (on
// the phantom's top, +z), looking at it; then the look-at search (the test's grid: any roll
// every 20 deg, no tilt; the camera looks straight down at the truth).
static void test_look_at(void **state) {
  double iso = cr_render_auto_iso(vol), normal[3];
  cr_pose s;
  double x[3] = {target[0] + 3, target[1], 0};
  x[2] = 55 - cr_phantom_surface_distance(&pp, (double[3]){x[0], x[1], 55});
  assert_int_equal(cr_reg_look_at_start(vol, iso, x, 180, &s, normal), 0);
  double xc[3], c[3];
  cr_pose_apply(&s, x, xc);
  cr_pose_camera_centre(&s, c);
  assert_true(fabs(xc[0]) < 1e-9 && fabs(xc[1]) < 1e-9 && fabs(xc[2] - 180) < 1e-9);
  assert_true(normal[2] > 0.8); // the top of the phantom faces +z
  assert_true(c[2] > x[2] + 140);
  cr_reg_method m = cr_reg_method_defaults();
  m.global = 1, m.global_step_deg = 20; // a smaller grid for the test: rolls only
  cr_reg_result res;
  cr_reg_global_result g;
  assert_int_equal(run(&m, NULL, x, &g, &res), 0);
  print_message("look-at 3 mm off: mTRE %.2f mm (%ld grid poses, %.2f s)\n", mtre(&res.final),
                g.n_grid, res.seconds);
  assert_true(mtre(&res.final) < 2);
}

static void test_bad_inputs(void **state) {
  double iso = cr_render_auto_iso(vol), normal[3];
  cr_pose s;
  const double outside[3] = {0, 0, 500}, empty[3] = {0, 0, 71}; // 13 mm above the top: no surface
  assert_int_equal(cr_reg_look_at_start(vol, iso, outside, 180, &s, normal), CR_EINVAL);
  assert_non_null(strstr(cr_last_error(), "outside the volume"));
  assert_int_equal(cr_reg_look_at_start(vol, iso, empty, 180, &s, normal), CR_EINVAL);
  assert_non_null(strstr(cr_last_error(), "on no surface"));
  assert_int_equal(cr_reg_look_at_start(vol, iso, target, 0, &s, normal), CR_EINVAL);
  cr_reg_method m = cr_reg_method_defaults();
  assert_int_equal(cr_reg_method_set(&m, "global", "1"), 0);
  assert_int_equal(cr_reg_method_set(&m, "global-box", "0,0"), 0);
  assert_int_equal(cr_reg_method_check(&m), CR_EINVAL);
  assert_non_null(strstr(cr_last_error(), "search box is empty"));
  assert_int_equal(cr_reg_method_set(&m, "global-box", "-1,5"), CR_EINVAL);
  assert_int_equal(cr_reg_method_set(&m, "global-keep", "0"), CR_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bad_inputs),
      cmocka_unit_test(test_global_finds_pose_local_does_not),
      cmocka_unit_test(test_grid_sampler),
      cmocka_unit_test(test_same_pose_one_and_two_threads),
      cmocka_unit_test(test_depth_restarts),
      cmocka_unit_test(test_look_at),
      cmocka_unit_test(test_search_level_follows_the_mask),
      cmocka_unit_test(test_feature_hypothesis),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
