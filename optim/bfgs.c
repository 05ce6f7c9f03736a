// Quasi-Newton minimization: GSL's vector_bfgs2 with central finite-difference gradients,
// in scaled coordinates y = x / step so that one unit is one initial step on every axis.
#include "core/error.h"
#include "optim/opt_eval.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct bfgs_ctx {
  cr_opt_eval *e;
  const double *step;
  double h; // finite-difference step in y units
  double *xs, *yp;
  int n;
} bfgs_ctx;

static double by_f(const gsl_vector *y, void *params) {
  bfgs_ctx *c = params;
  for (int i = 0; i < c->n; i++) c->xs[i] = gsl_vector_get(y, i) * (c->step ? c->step[i] : 1.0);
  return cr_opt_eval_call(c->e, c->xs);
}

static void by_df(const gsl_vector *y, void *params, gsl_vector *g) {
  bfgs_ctx *c = params;
  for (int i = 0; i < c->n; i++) c->yp[i] = gsl_vector_get(y, i);
  gsl_vector_view yv = gsl_vector_view_array(c->yp, (size_t)c->n);
  for (int i = 0; i < c->n; i++) {
    double y0 = c->yp[i];
    c->yp[i] = y0 + c->h;
    double fp = by_f(&yv.vector, c);
    c->yp[i] = y0 - c->h;
    double fm = by_f(&yv.vector, c);
    c->yp[i] = y0;
    // A refused call (budget) returns the wall: report a zero slope, the loop stops.
    gsl_vector_set(g, i, (fp >= CR_OPT_WALL || fm >= CR_OPT_WALL) ? 0 : (fp - fm) / (2 * c->h));
  }
}

static void by_fdf(const gsl_vector *y, void *params, double *f, gsl_vector *g) {
  *f = by_f(y, params);
  by_df(y, params, g);
}

static int bfgs_minimize(int n, double *x, cr_opt_cost_fn f, void *ctx, const cr_opt_options *opt,
                         cr_opt_result *res) {
  cr_opt_eval e;
  int rc = cr_opt_eval_init(&e, n, f, ctx, opt->max_evals);
  if (rc) return rc;
  double *buf = calloc(3 * (size_t)n, sizeof(double));
  gsl_vector *y0 = gsl_vector_alloc((size_t)n);
  gsl_multimin_fdfminimizer *s =
      gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, (size_t)n);
  if (!buf || !y0 || !s) {
    rc = cr_error(CR_ENOMEM, "bfgs: out of memory");
    cr_opt_eval_free(&e);
    goto done;
  }
  bfgs_ctx c = {&e, opt->step, opt->fd_step, buf, buf + n, n};
  double *prev = buf + 2 * n;
  for (int i = 0; i < n; i++) gsl_vector_set(y0, i, x[i] / (opt->step ? opt->step[i] : 1.0));
  gsl_multimin_function_fdf fn = {by_f, by_df, by_fdf, (size_t)n, &c};
  int iter = 0, converged = 0;
  if (gsl_multimin_fdfminimizer_set(s, &fn, y0, 1.0, 0.1) == GSL_SUCCESS) {
    while (!cr_opt_eval_stop(&e)) {
      for (int i = 0; i < n; i++) prev[i] = gsl_vector_get(s->x, i);
      iter++;
      if (gsl_multimin_fdfminimizer_iterate(s) != GSL_SUCCESS) break;
      double move = 0;
      for (int i = 0; i < n; i++)
        move =
            fmax(move, fabs(gsl_vector_get(s->x, i) - prev[i]) * (opt->step ? opt->step[i] : 1.0));
      if (move < opt->xtol) {
        converged = 1;
        break;
      }
    }
  }
  rc = cr_opt_eval_finish(&e, x, res, iter, converged);
done:
  gsl_multimin_fdfminimizer_free(s);
  gsl_vector_free(y0);
  free(buf);
  return rc;
}

static const cr_opt_type bfgs_type = {"bfgs", bfgs_minimize};
const cr_opt_type *const cr_opt_bfgs = &bfgs_type;
