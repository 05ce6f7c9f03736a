// Nelder-Mead through GSL's nmsimplex2, with the shared evaluation wrapper.
#include "core/error.h"
#include "optim/opt_eval.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>

static double nm_f(const gsl_vector *v, void *params) {
  cr_opt_eval *e = params;
  return cr_opt_eval_call(e, v->data); // GSL vectors from _alloc are contiguous
}

static int nm_minimize(int n, double *x, cr_opt_cost_fn f, void *ctx, const cr_opt_options *opt,
                       cr_opt_result *res) {
  cr_opt_eval e;
  int rc = cr_opt_eval_init(&e, n, f, ctx, opt->max_evals);
  if (rc) return rc;
  gsl_vector *x0 = gsl_vector_alloc((size_t)n), *ss = gsl_vector_alloc((size_t)n);
  gsl_multimin_fminimizer *s =
      gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, (size_t)n);
  if (!x0 || !ss || !s) {
    rc = cr_error(CR_ENOMEM, "nelder-mead: out of memory");
    goto done;
  }
  for (int i = 0; i < n; i++) {
    gsl_vector_set(x0, (size_t)i, x[i]);
    gsl_vector_set(ss, (size_t)i, opt->step ? opt->step[i] : 1.0);
  }
  gsl_multimin_function fn = {nm_f, (size_t)n, &e};
  int iter = 0, converged = 0;
  if (gsl_multimin_fminimizer_set(s, &fn, x0, ss) == GSL_SUCCESS) {
    while (!cr_opt_eval_stop(&e)) {
      iter++;
      if (gsl_multimin_fminimizer_iterate(s) != GSL_SUCCESS) break;
      if (gsl_multimin_fminimizer_size(s) < opt->xtol) {
        converged = 1;
        break;
      }
    }
  }
  rc = cr_opt_eval_finish(&e, x, res, iter, converged);
  e.best_x = NULL;
done:
  cr_opt_eval_free(&e);
  gsl_multimin_fminimizer_free(s);
  gsl_vector_free(x0);
  gsl_vector_free(ss);
  return rc;
}

static const cr_opt_type nm_type = {"nelder-mead", nm_minimize};
const cr_opt_type *const cr_opt_nelder_mead = &nm_type;
