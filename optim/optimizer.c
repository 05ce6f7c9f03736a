// The optimizer interface: defaults, lookup, option checks and the evaluation wrapper.
#include "optim/optimizer.h"

#include "core/error.h"
#include "optim/opt_eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

cr_opt_options cr_opt_defaults(void) {
  cr_opt_options o = {NULL, 1e-4, 2000, 1, 1e-3, 0};
  return o;
}

const cr_opt_type *cr_opt_lookup(const char *name) {
  static const struct {
    const char *alias;
    const cr_opt_type *const *type;
  } table[] = {{"nelder-mead", &cr_opt_nelder_mead},
               {"nm", &cr_opt_nelder_mead},
               {"simplex", &cr_opt_nelder_mead},
               {"powell", &cr_opt_powell},
               {"cmaes", &cr_opt_cmaes},
               {"cma-es", &cr_opt_cmaes},
               {"cma", &cr_opt_cmaes},
               {"bfgs", &cr_opt_bfgs}};
  for (size_t i = 0; name && i < sizeof table / sizeof table[0]; i++)
    if (strcmp(name, table[i].alias) == 0) return *table[i].type;
  cr_error(CR_EINVAL, "unknown optimizer '%s' (known: %s)", name ? name : "(null)", cr_opt_names());
  return NULL;
}

const char *cr_opt_names(void) {
  return "nelder-mead, powell, cmaes, bfgs";
}

int cr_opt_minimize(const cr_opt_type *type, int n, double *x, cr_opt_cost_fn f, void *ctx,
                    const cr_opt_options *opt, cr_opt_result *res) {
  cr_opt_options o = opt ? *opt : cr_opt_defaults();
  if (!type || !x || !f || n < 1)
    return cr_error(CR_EINVAL, "optimizer: missing type, start point or cost function");
  if (o.max_evals < 1) return cr_error(CR_EINVAL, "optimizer: max_evals must be >= 1");
  if (!(o.xtol >= 0)) return cr_error(CR_EINVAL, "optimizer: xtol must be >= 0");
  if (!(o.fd_step > 0)) o.fd_step = 1e-3;
  for (int i = 0; o.step && i < n; i++)
    if (!(o.step[i] > 0) || !isfinite(o.step[i]))
      return cr_error(CR_EINVAL, "optimizer: step[%d] = %g must be positive", i, o.step[i]);
  for (int i = 0; i < n; i++)
    if (!isfinite(x[i])) return cr_error(CR_EINVAL, "optimizer: start x[%d] is not finite", i);
  cr_opt_result tmp;
  return type->minimize(n, x, f, ctx, &o, res ? res : &tmp);
}

int cr_opt_eval_init(cr_opt_eval *e, int n, cr_opt_cost_fn f, void *ctx, int max_evals) {
  memset(e, 0, sizeof *e);
  e->n = n, e->f = f, e->ctx = ctx, e->max_evals = max_evals;
  e->best_cost = INFINITY;
  e->best_x = calloc((size_t)n, sizeof(double));
  return e->best_x ? 0 : cr_error(CR_ENOMEM, "optimizer: out of memory");
}

void cr_opt_eval_free(cr_opt_eval *e) {
  free(e->best_x);
  e->best_x = NULL;
}

double cr_opt_eval_call(cr_opt_eval *e, const double *x) {
  if (e->status) return CR_OPT_WALL;
  if (e->evals >= e->max_evals) {
    e->exhausted = 1;
    return CR_OPT_WALL;
  }
  double c = CR_OPT_WALL;
  e->evals++;
  int rc = e->f(x, e->ctx, &c);
  if (rc) {
    e->status = rc < 0 ? rc : CR_EINVAL;
    return CR_OPT_WALL;
  }
  if (!isfinite(c) || c > CR_OPT_WALL) c = CR_OPT_WALL;
  if (c < e->best_cost || e->evals == 1) {
    e->best_cost = c;
    memcpy(e->best_x, x, (size_t)e->n * sizeof(double));
  }
  return c;
}

int cr_opt_eval_finish(cr_opt_eval *e, double *x, cr_opt_result *res, int iterations,
                       int converged) {
  if (e->evals > 0) memcpy(x, e->best_x, (size_t)e->n * sizeof(double));
  res->cost = e->evals > 0 ? e->best_cost : NAN;
  res->evals = e->evals;
  res->iterations = iterations;
  res->converged = converged && !e->status;
  int st = e->status;
  cr_opt_eval_free(e);
  return st;
}
