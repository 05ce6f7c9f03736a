// Optimizers: minima of analytic functions, budget, determinism, error propagation.
#include "testutil.h"

#include "core/error.h"
#include "optim/optimizer.h"

#include <math.h>
#include <string.h>

static const char *const names[] = {"nelder-mead", "powell", "cmaes", "bfgs"};
#define NOPT 4

typedef struct counter {
  int calls, fail_at;
} counter;

// (x - c)^T A (x - c) with a fixed SPD A (diagonal 1..6 plus a coupling band): min 0 at c.
static int quad6(const double *x, void *ctx, double *cost) {
  static const double c[6] = {1.5, -2.0, 0.7, 3.0, -1.1, 0.25};
  counter *k = ctx;
  k->calls++;
  if (k->fail_at && k->calls >= k->fail_at) return CR_EINVAL;
  double d[6], s = 0;
  for (int i = 0; i < 6; i++) d[i] = x[i] - c[i];
  for (int i = 0; i < 6; i++) {
    s += (i + 1) * d[i] * d[i];
    if (i + 1 < 6) s += 0.8 * d[i] * d[i + 1];
  }
  *cost = s;
  return 0;
}

static int n_rosen;
static int rosenbrock(const double *x, void *ctx, double *cost) {
  counter *k = ctx;
  k->calls++;
  double s = 0;
  for (int i = 0; i + 1 < n_rosen; i++)
    s += 100 * (x[i + 1] - x[i] * x[i]) * (x[i + 1] - x[i] * x[i]) + (1 - x[i]) * (1 - x[i]);
  *cost = s;
  return 0;
}

static void test_lookup(void **state) {
  for (int i = 0; i < NOPT; i++) {
    const cr_opt_type *t = cr_opt_lookup(names[i]);
    assert_non_null(t);
    assert_string_equal(t->name, names[i]);
  }
  assert_null(cr_opt_lookup("simulated-annealing"));
  assert_non_null(strstr(cr_last_error(), "simulated-annealing"));
}

static void test_quadratic_6d(void **state) {
  static const double c[6] = {1.5, -2.0, 0.7, 3.0, -1.1, 0.25};
  for (int o = 0; o < NOPT; o++) {
    double x[6] = {0}, step[6] = {1, 1, 1, 1, 1, 1};
    cr_opt_options opt = cr_opt_defaults();
    opt.step = step, opt.xtol = 1e-7, opt.max_evals = 20000;
    counter k = {0, 0};
    cr_opt_result r;
    assert_int_equal(cr_opt_minimize(cr_opt_lookup(names[o]), 6, x, quad6, &k, &opt, &r), 0);
    print_message("%-12s quad6: evals %d cost %.3g\n", names[o], r.evals, r.cost);
    for (int i = 0; i < 6; i++) assert_near(x[i], c[i], 1e-3);
    assert_true(r.cost < 1e-6);
    assert_int_equal(r.evals, k.calls);
  }
}

static void rosen_case(int n, double tol) {
  n_rosen = n;
  for (int o = 0; o < NOPT; o++) {
    double x[4] = {-1.2, 1, -1.2, 1}, step[4] = {0.5, 0.5, 0.5, 0.5};
    cr_opt_options opt = cr_opt_defaults();
    opt.step = step, opt.xtol = 1e-8, opt.max_evals = 40000;
    counter k = {0, 0};
    cr_opt_result r;
    assert_int_equal(cr_opt_minimize(cr_opt_lookup(names[o]), n, x, rosenbrock, &k, &opt, &r), 0);
    print_message("%-12s rosenbrock %dD: evals %d cost %.3g\n", names[o], n, r.evals, r.cost);
    for (int i = 0; i < n; i++) assert_near(x[i], 1.0, tol);
  }
}
static void test_rosenbrock_2d(void **state) {
  rosen_case(2, 1e-3);
}
static void test_rosenbrock_4d(void **state) {
  rosen_case(4, 1e-3);
}

static void test_budget_respected(void **state) {
  for (int o = 0; o < NOPT; o++)
    for (int budget = 1; budget <= 61; budget += 15) {
      double x[6] = {0};
      cr_opt_options opt = cr_opt_defaults();
      opt.xtol = 0, opt.max_evals = budget;
      counter k = {0, 0};
      cr_opt_result r;
      assert_int_equal(cr_opt_minimize(cr_opt_lookup(names[o]), 6, x, quad6, &k, &opt, &r), 0);
      assert_true(k.calls <= budget);
      assert_int_equal(r.evals, k.calls);
      assert_false(r.converged);
      // The returned point is the best evaluated one: its cost is r.cost.
      double c;
      counter k2 = {0, 0};
      quad6(x, &k2, &c);
      assert_true(c == r.cost);
    }
}

static void test_same_seed_same_result(void **state) {
  n_rosen = 4;
  for (int o = 0; o < NOPT; o++) {
    double x1[4] = {-1.2, 1, -1.2, 1}, x2[4] = {-1.2, 1, -1.2, 1};
    cr_opt_options opt = cr_opt_defaults();
    opt.max_evals = 3000, opt.seed = 1234;
    counter k1 = {0, 0}, k2 = {0, 0};
    cr_opt_result r1, r2;
    const cr_opt_type *t = cr_opt_lookup(names[o]);
    assert_int_equal(cr_opt_minimize(t, 4, x1, rosenbrock, &k1, &opt, &r1), 0);
    assert_int_equal(cr_opt_minimize(t, 4, x2, rosenbrock, &k2, &opt, &r2), 0);
    assert_memory_equal(x1, x2, sizeof x1);
    assert_int_equal(r1.evals, r2.evals);
  }
  // CMA-ES really uses the seed: another seed gives another search path.
  double x1[4] = {-1.2, 1, -1.2, 1}, x2[4] = {-1.2, 1, -1.2, 1};
  cr_opt_options opt = cr_opt_defaults();
  opt.max_evals = 200;
  counter k = {0, 0};
  opt.seed = 1;
  cr_opt_minimize(cr_opt_cmaes, 4, x1, rosenbrock, &k, &opt, NULL);
  opt.seed = 2;
  cr_opt_minimize(cr_opt_cmaes, 4, x2, rosenbrock, &k, &opt, NULL);
  assert_true(memcmp(x1, x2, sizeof x1) != 0);
}

static void test_cost_failure_propagates(void **state) {
  for (int o = 0; o < NOPT; o++) {
    double x[6] = {0};
    counter k = {0, 25};
    cr_opt_result r;
    int rc = cr_opt_minimize(cr_opt_lookup(names[o]), 6, x, quad6, &k, NULL, &r);
    assert_int_equal(rc, CR_EINVAL);
    assert_int_equal(k.calls, 25); // no call after the failure
  }
}

static void test_bad_options(void **state) {
  double x[2] = {0, 0}, step[2] = {1, -1};
  cr_opt_options opt = cr_opt_defaults();
  counter k = {0, 0};
  opt.step = step;
  assert_int_equal(cr_opt_minimize(cr_opt_powell, 2, x, quad6, &k, &opt, NULL), CR_EINVAL);
  opt.step = NULL, opt.max_evals = 0;
  assert_int_equal(cr_opt_minimize(cr_opt_powell, 2, x, quad6, &k, &opt, NULL), CR_EINVAL);
  assert_int_equal(k.calls, 0);
}

int main(void) {
  cr_gsl_quiet();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lookup),
      cmocka_unit_test(test_quadratic_6d),
      cmocka_unit_test(test_rosenbrock_2d),
      cmocka_unit_test(test_rosenbrock_4d),
      cmocka_unit_test(test_budget_respected),
      cmocka_unit_test(test_same_seed_same_result),
      cmocka_unit_test(test_cost_failure_propagates),
      cmocka_unit_test(test_bad_options),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
