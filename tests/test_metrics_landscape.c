// Landscapes: each metric, evaluated along each motion parameter around the true one
// (2-D stand-ins for the pose parameters: shift x, shift y, rotation, scale), has its
// optimum within one step of the truth. The fixed image carries noise and a mask.
#include "testutil.h"

#include "core/error.h"
#include "core/rng.h"
#include "metrics/metric.h"
#include "metrics/pattern.h"

#include <math.h>

#define N 96
#define STEPS 11 // -5..5

static void test_landscape_optimum_at_truth(void **state) {
  (void)state;
  cr_image *f = cr_metrics_pattern(N, N, 0, 0, 0, 1), *mask = cr_image_new(N, N, 1);
  cr_rng rng = cr_rng_make(1, 0);
  for (int y = 0; y < N; y++)
    for (int x = 0; x < N; x++) {
      cr_image_row(f, y)[x] += 0.03f * (float)(cr_rng_uniform(&rng) - 0.5);
      double u = x - 47.5, v = y - 47.5;
      cr_image_row(mask, y)[x] = u * u + v * v < 44.0 * 44.0 ? 1.0f : 0.0f;
    }
  // moving images: param p in {tx px, ty px, angle deg, scale %}, value -5..5
  const cr_image *mv[4][STEPS];
  for (int p = 0; p < 4; p++)
    for (int i = 0; i < STEPS; i++) {
      double s = i - 5;
      mv[p][i] = cr_metrics_pattern(N, N, p == 0 ? s : 0, p == 1 ? s : 0,
                                    p == 2 ? s * M_PI / 180 : 0, p == 3 ? 1 + s / 100 : 1);
    }
  for (int k = 0; cr_metric_types[k]; k++) {
    const cr_metric_type *t = cr_metric_types[k];
    cr_metric *m = cr_metric_new(t, f, mask, NULL);
    assert_non_null(m);
    for (int p = 0; p < 4; p++) {
      double vals[STEPS];
      assert_int_equal(cr_metric_eval_many(m, mv[p], STEPS, vals), 0);
      int best = cr_metric_best_index(t, vals, STEPS);
      if (best < 4 || best > 6) {
        print_error("%s, parameter %d: optimum at step %d of -5..5\n", t->name, p, best - 5);
        fail();
      }
      // and the landscape falls off: the ends are worse than the optimum
      assert_true(cr_metric_cost(t, vals[best]) < cr_metric_cost(t, vals[0]));
      assert_true(cr_metric_cost(t, vals[best]) < cr_metric_cost(t, vals[STEPS - 1]));
    }
    cr_metric_free(m);
  }
  for (int p = 0; p < 4; p++)
    for (int i = 0; i < STEPS; i++) cr_image_free((cr_image *)mv[p][i]);
  cr_image_free(f), cr_image_free(mask);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_landscape_optimum_at_truth)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
