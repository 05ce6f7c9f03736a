// Registration acceptance on the phantom (issue 7): photos made by the synthetic
// appearance model (experiments/synth.c: colour, near-coaxial light with highlights,
// cavity-darkened sulci, vessels, noise, JPEG, opening, instrument) are registered by
// the surface renderer + NGF, which shares none of that model (no inverse crime).
// The working-distance prior is on, at the true focus distance of the pivot: a single
// narrow-field view fixes depth only weakly (README, "Depth").
// test-links: experiments registration optim
#include "phantom_scene.h"
#include "testutil.h"

#include "core/error.h"

#include "core/mat.h"
#include "core/phantom.h"
#include "core/rng.h"
#include "experiments/synth.h"
#include "optim/optimizer.h"
#include "registration/param.h"
#include "registration/pipeline.h"

#include <math.h>
#include <omp.h>
#include <string.h>

static cr_volume *vol;
static cr_camera cam;
static cr_pose truth;
static const double pivot[3] = {10, 20, 55}, target[3] = {10, 20, 50};
static cr_image *photo, *mask;
static double targets[64][3];
static int n_targets;

static int setup(void **state) {
  cr_phantom_options pp;
  if (cr_test_phantom_scene(target, &pp, &vol, &cam, &truth, &photo, &mask)) return -1;
  // Targets: a grid of surface points around the pivot (world), as the mTRE of docs/design.md.
  for (int i = -3; i <= 4 && n_targets < 64; i++)
    for (int j = -3; j <= 4 && n_targets < 64; j++) {
      double p[3] = {pivot[0] + 4 * i, pivot[1] + 4 * j, 0};
      p[2] = pivot[2] - cr_phantom_surface_distance(&pp, (double[3]){p[0], p[1], pivot[2]});
      memcpy(targets[n_targets++], p, sizeof p);
    }
  return 0;
}

static int teardown(void **state) {
  cr_volume_free(vol), cr_image_free(photo), cr_image_free(mask);
  return 0;
}

// A start pose: rotation of deg about a seeded random axis through the pivot and a
// translation of mm in a seeded random direction (camera frame), as mk.py did.
static cr_pose start_pose(double deg, double mm, unsigned seed) {
  double a[3], d[3];
  cr_rng rng = cr_rng_make(seed, 0);
  cr_rng_unit_vector(&rng, a), cr_rng_unit_vector(&rng, d);
  cr_reg_param par;
  cr_reg_param_init(&par, &truth, pivot);
  double x[6] = {a[0] * deg, a[1] * deg, a[2] * deg, d[0] * mm, d[1] * mm, d[2] * mm};
  return cr_reg_param_to_pose(&par, x);
}

static double register_from(const cr_pose *start, const cr_opt_type *opt, int max_evals, int starts,
                            cr_pose *final) {
  cr_reg_method m = cr_reg_method_defaults();
  if (opt) m.optimizer = opt;
  if (max_evals) m.max_evals = max_evals;
  if (starts) m.starts = starts; // 0: the default (3)
  m.prior_weight = 0.01;
  cr_reg_view view = cr_reg_view_mono(&cam, photo, mask);
  cr_reg_cost *cost;
  assert_int_equal(cr_status_of(cost = cr_reg_cost_new(&m, vol, NULL, &view, 1)), 0);
  cr_reg_register_options ro = cr_reg_register_defaults();
  ro.have_pivot = 1;
  memcpy(ro.pivot_world, pivot, sizeof pivot);
  double pc[3];
  cr_pose_apply(&truth, pivot, pc);
  ro.prior_distance_mm = pc[2];
  cr_reg_result res;
  assert_int_equal(cr_reg_register(cost, &m, start, &ro, &res), 0);
  cr_reg_cost_free(cost);
  if (final) *final = res.final;
  return cr_reg_mtre(&res.final, &truth, (const double(*)[3])targets, n_targets);
}

static void test_default_from_5mm_5deg(void **state) {
  for (unsigned seed = 1; seed <= 2; seed++) {
    cr_pose s = start_pose(5, 5, seed);
    double m0 = cr_reg_mtre(&s, &truth, (const double(*)[3])targets, n_targets);
    double m1 = register_from(&s, NULL, 0, 1, NULL);
    print_message("nelder-mead 5/5 seed %u: mTRE %.3f -> %.3f mm\n", seed, m0, m1);
    assert_true(m0 > 3);
    assert_true(m1 < 0.5);
  }
}

static void test_default_from_10mm_10deg(void **state) {
  for (unsigned seed = 1; seed <= 1; seed++) {
    cr_pose s = start_pose(10, 10, seed);
    double m0 = cr_reg_mtre(&s, &truth, (const double(*)[3])targets, n_targets);
    double m1 = register_from(&s, NULL, 0, 0, NULL);
    print_message("default settings 10/10 seed %u: mTRE %.3f -> %.3f mm\n", seed, m0, m1);
    assert_true(m0 > 6);
    assert_true(m1 < 0.5);
  }
}

// The other optimizers need a larger budget (1000 evaluations at the coarsest level).
// On the photo of the image-space appearance model Powell and CMA-ES reached 0.5 mm here;
// on the surface-attached model (larger opening, sulci darkened by ambient occlusion) this
// start ends at 0.71 mm (Powell), 1.62 mm (CMA-ES) and 0.52 mm (BFGS), while Nelder-Mead,
// the default, stays under 0.4 mm (README, "Registration accuracy"). Powell's line searches
// along single parameters stop in the shallow coupled rotation/translation valley; CMA-ES
// spends its budget on the coarsest level's population. BFGS differentiates the render
// cost by finite differences and stalls on its sub-voxel roughness (over other phantom
// seeds above 0.5 mm in about half the starts). So the bounds are 1 mm for Powell and BFGS
// (half the 2 mm success threshold) and the success threshold itself for CMA-ES.
static void test_other_optimizers_from_5mm_5deg(void **state) {
  const cr_opt_type *opts[3] = {cr_opt_powell, cr_opt_cmaes, cr_opt_bfgs};
  const double bound_mm[3] = {1.0, 2.0, 1.0};
  for (int k = 0; k < 3; k++) {
    cr_pose s = start_pose(5, 5, 2);
    double m0 = cr_reg_mtre(&s, &truth, (const double(*)[3])targets, n_targets);
    double m1 = register_from(&s, opts[k], 1000, 1, NULL);
    print_message("%s 5/5: mTRE %.3f -> %.3f mm (bound %.1f)\n", opts[k]->name, m0, m1,
                  bound_mm[k]);
    assert_true(m0 > 3);
    assert_true(m1 < bound_mm[k]);
  }
}

static void test_same_result_for_any_thread_count(void **state) {
  cr_pose s = start_pose(5, 5, 3), a, b;
  omp_set_num_threads(1);
  register_from(&s, NULL, 0, 1, &a);
  omp_set_num_threads(2);
  register_from(&s, NULL, 0, 1, &b);
  assert_memory_equal(&a, &b, sizeof a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_default_from_5mm_5deg),
      cmocka_unit_test(test_default_from_10mm_10deg),
      cmocka_unit_test(test_other_optimizers_from_5mm_5deg),
      cmocka_unit_test(test_same_result_for_any_thread_count),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
