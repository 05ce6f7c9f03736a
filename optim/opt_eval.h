// Private to optim/: a counting, budget-enforcing, best-tracking wrapper of the
// cost function shared by all algorithms.
#ifndef CR_OPTIM_OPT_EVAL_H
#define CR_OPTIM_OPT_EVAL_H

#include "optim/optimizer.h"

#define CR_OPT_WALL 1e300

typedef struct cr_opt_eval {
  int n;
  cr_opt_cost_fn f;
  void *ctx;
  int evals, max_evals;
  int status;    // first negative status of f (then every call returns the wall)
  int exhausted; // a call was refused because the budget is used up
  double best_cost;
  double *best_x; // n values, owned
} cr_opt_eval;

int cr_opt_eval_init(cr_opt_eval *e, int n, cr_opt_cost_fn f, void *ctx, int max_evals);
void cr_opt_eval_free(cr_opt_eval *e);
// The cost of x (counted), or CR_OPT_WALL if refused (budget, earlier failure).
double cr_opt_eval_call(cr_opt_eval *e, const double *x);
// True when the algorithm must stop (budget used up or cost function failed).
static inline int cr_opt_eval_stop(const cr_opt_eval *e) {
  return e->exhausted || e->status || e->evals >= e->max_evals;
}
// Copies the best point into x, fills res and returns the final status.
int cr_opt_eval_finish(cr_opt_eval *e, double *x, cr_opt_result *res, int iterations,
                       int converged);

#endif
