// Powell's method (conjugate directions, Numerical-Recipes style direction replacement)
// with golden-ratio bracketing and GSL Brent line searches.
#include "core/error.h"
#include "optim/opt_eval.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_min.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct line_ctx {
  cr_opt_eval *e;
  const double *x, *d;
  double *tmp;
  int n;
} line_ctx;

static double line_f(double a, void *params) {
  line_ctx *c = params;
  for (int i = 0; i < c->n; i++) c->tmp[i] = c->x[i] + a * c->d[i];
  return cr_opt_eval_call(c->e, c->tmp);
}

// Minimizes along x + a d from a = 0 (where the cost is *fx); moves x and updates *fx.
// `tol_a` is the tolerance on a.
static void line_min(line_ctx *c, double *x, double *fx, double tol_a, gsl_min_fminimizer *brent) {
  const double gold = 1.618034;
  double a = 0, fa = *fx, b = 1, fb = line_f(b, c);
  if (fb > fa) {
    double t = a;
    a = b, b = t;
    t = fa;
    fa = fb, fb = t;
  }
  double cc = b + gold * (b - a), fc = line_f(cc, c);
  // Expansion stops at 10 initial steps: on image costs a far bracket lands in another
  // basin; a longer way is still made over several iterations.
  for (int k = 0; k < 40 && fb > fc && fabs(cc) < 10 && !cr_opt_eval_stop(c->e); k++) {
    a = b, fa = fb, b = cc, fb = fc;
    cc = b + gold * (b - a);
    fc = line_f(cc, c);
  }
  double best_a = b, best_f = fb;
  double lo = fmin(a, cc), hi = fmax(a, cc), flo = a < cc ? fa : fc, fhi = a < cc ? fc : fa;
  if (!cr_opt_eval_stop(c->e) && fb < fa && fb < fc) {
    gsl_function F = {line_f, c};
    if (gsl_min_fminimizer_set_with_values(brent, &F, b, fb, lo, flo, hi, fhi) == GSL_SUCCESS) {
      // Brent does not sample closer than ~sqrt(eps)|a| to its best point: stop there too.
      for (int it = 0; it < 100 && !cr_opt_eval_stop(c->e); it++) {
        if (gsl_min_fminimizer_iterate(brent) != GSL_SUCCESS) break;
        double l = gsl_min_fminimizer_x_lower(brent), u = gsl_min_fminimizer_x_upper(brent);
        double m = gsl_min_fminimizer_x_minimum(brent);
        if (u - l < tol_a + 3e-8 * fabs(m)) break;
      }
      best_a = gsl_min_fminimizer_x_minimum(brent);
      best_f = gsl_min_fminimizer_f_minimum(brent);
    }
  }
  if (best_f < *fx) {
    for (int i = 0; i < c->n; i++) x[i] += best_a * c->d[i];
    *fx = best_f;
  }
}

static double max_abs(const double *v, int n) {
  double m = 0;
  for (int i = 0; i < n; i++) m = fmax(m, fabs(v[i]));
  return m;
}

// One Powell iteration over all directions plus the direction replacement.
static void powell_iteration(line_ctx *c, double *x, double *fx, double *dirs, double *x0,
                             double *xe, double xtol, gsl_min_fminimizer *brent) {
  int n = c->n, ibig = 0;
  double f0 = *fx, big = 0;
  memcpy(x0, x, (size_t)n * sizeof(double));
  for (int i = 0; i < n && !cr_opt_eval_stop(c->e); i++) {
    double fprev = *fx;
    c->d = dirs + (size_t)i * n;
    line_min(c, x, fx, 0.1 * xtol / fmax(max_abs(c->d, n), 1e-300), brent);
    if (fprev - *fx > big) big = fprev - *fx, ibig = i;
  }
  double *dnew = c->tmp + n; // second half of the scratch buffer
  for (int i = 0; i < n; i++) dnew[i] = x[i] - x0[i], xe[i] = 2 * x[i] - x0[i];
  if (cr_opt_eval_stop(c->e) || max_abs(dnew, n) < xtol) return;
  double fe = cr_opt_eval_call(c->e, xe);
  if (fe >= f0) return;
  double t =
      2 * (f0 - 2 * *fx + fe) * (f0 - *fx - big) * (f0 - *fx - big) - big * (f0 - fe) * (f0 - fe);
  if (t >= 0) return;
  memcpy(dirs + (size_t)ibig * n, dirs + (size_t)(n - 1) * n, (size_t)n * sizeof(double));
  memcpy(dirs + (size_t)(n - 1) * n, dnew, (size_t)n * sizeof(double));
  c->d = dirs + (size_t)(n - 1) * n;
  line_min(c, x, fx, 0.1 * xtol / fmax(max_abs(c->d, n), 1e-300), brent);
}

static int powell_minimize(int n, double *x, cr_opt_cost_fn f, void *ctx, const cr_opt_options *opt,
                           cr_opt_result *res) {
  cr_opt_eval e;
  int rc = cr_opt_eval_init(&e, n, f, ctx, opt->max_evals);
  if (rc) return rc;
  double *buf = calloc((size_t)n * (size_t)(n + 5), sizeof(double));
  gsl_min_fminimizer *brent = gsl_min_fminimizer_alloc(gsl_min_fminimizer_brent);
  if (!buf || !brent) {
    cr_opt_eval_free(&e);
    free(buf);
    gsl_min_fminimizer_free(brent);
    return cr_error(CR_ENOMEM, "powell: out of memory");
  }
  double *dirs = buf, *xc = buf + (size_t)n * n, *x0 = xc + n, *xe = x0 + n, *tmp = xe + n;
  memcpy(xc, x, (size_t)n * sizeof(double));
  for (int i = 0; i < n; i++) dirs[(size_t)i * n + i] = opt->step ? opt->step[i] : 1.0;
  line_ctx c = {&e, xc, NULL, tmp, n};
  double fx = cr_opt_eval_call(&e, xc);
  int iter = 0, converged = 0;
  while (!cr_opt_eval_stop(&e)) {
    iter++;
    powell_iteration(&c, xc, &fx, dirs, x0, xe, opt->xtol, brent);
    double move = 0;
    for (int i = 0; i < n; i++) move = fmax(move, fabs(xc[i] - x0[i]));
    if (move < opt->xtol) {
      converged = 1;
      break;
    }
  }
  rc = cr_opt_eval_finish(&e, x, res, iter, converged);
  gsl_min_fminimizer_free(brent);
  free(buf);
  return rc;
}

static const cr_opt_type powell_type = {"powell", powell_minimize};
const cr_opt_type *const cr_opt_powell = &powell_type;
