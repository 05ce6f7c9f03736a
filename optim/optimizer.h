// Derivative-free and quasi-Newton minimizers behind one interface (GSL style: each
// algorithm is a const type table you pass in, or look up by name).
//
//   const cr_opt_type *T = cr_opt_lookup("powell");
//   cr_opt_options o = cr_opt_defaults();  o.step = scales;  o.max_evals = 500;
//   cr_opt_result r;
//   int rc = cr_opt_minimize(T, n, x, cost, ctx, &o, &r);   // x: start in, best out
//
// Every algorithm counts calls of the cost function and never exceeds max_evals; the
// returned x is the best point ever evaluated (so a stop on budget still returns the
// best found). Costs that are NaN or infinite count as 1e300 (a wall). Algorithms are
// deterministic: CMA-ES draws from core/rng.h seeded with `seed`; the others draw nothing.
#ifndef CR_OPTIM_OPTIMIZER_H
#define CR_OPTIM_OPTIMIZER_H

#ifdef __cplusplus
extern "C" {
#endif

// The function to minimize: writes the cost of x (n values) into *cost and returns 0,
// or returns a negative cr_status to abort the minimization (the status is passed on).
typedef int (*cr_opt_cost_fn)(const double *x, void *ctx, double *cost);

typedef struct cr_opt_options {
  const double *step; // n initial step sizes (parameter units), NULL = all 1
  double xtol;        // stop when the parameter change (per iteration, max over
                      // coordinates, parameter units) falls below this (default 1e-4)
  int max_evals;      // cost-function budget (default 2000)
  unsigned long seed; // random seed (CMA-ES)
  double fd_step;     // BFGS: finite-difference step as a fraction of step (default 1e-3)
  int popsize;        // CMA-ES population (0 = 4 + 3 ln n)
} cr_opt_options;

typedef struct cr_opt_result {
  double cost;    // best cost found (at the returned x)
  int evals;      // cost-function calls made
  int iterations; // algorithm iterations
  int converged;  // 1 if stopped by xtol, 0 if by budget or stalled
} cr_opt_result;

// The defaults named above.
cr_opt_options cr_opt_defaults(void);

typedef struct cr_opt_type {
  const char *name;
  // Minimizes f from x (in: start, out: best). See cr_opt_minimize.
  int (*minimize)(int n, double *x, cr_opt_cost_fn f, void *ctx, const cr_opt_options *opt,
                  cr_opt_result *res);
} cr_opt_type;

// Nelder-Mead simplex (GSL nmsimplex2): xtol applies to the simplex size.
extern const cr_opt_type *const cr_opt_nelder_mead;
// Powell's conjugate directions with bracketed Brent line searches (GSL brent).
extern const cr_opt_type *const cr_opt_powell;
// CMA-ES (mu/mu_w, lambda) with rank-one and rank-mu updates; xtol applies to
// sigma * sqrt(largest eigenvalue of C) * step.
extern const cr_opt_type *const cr_opt_cmaes;
// Quasi-Newton BFGS (GSL vector_bfgs2) with central finite-difference gradients
// (2n calls per gradient).
extern const cr_opt_type *const cr_opt_bfgs;

// The type named "nelder-mead", "powell", "cmaes" or "bfgs" (also "nm", "cma-es",
// "cma"); NULL with a message listing the names if unknown.
const cr_opt_type *cr_opt_lookup(const char *name);
// The names, comma separated, for help texts.
const char *cr_opt_names(void);

// Minimizes f over n >= 1 parameters from x. Returns 0 (also when the budget ran out:
// see res->converged), CR_EINVAL on bad options, CR_ENOMEM, or the cost function's
// negative status (x then holds the best point before the failure).
int cr_opt_minimize(const cr_opt_type *type, int n, double *x, cr_opt_cost_fn f, void *ctx,
                    const cr_opt_options *opt, cr_opt_result *res);

#ifdef __cplusplus
}
#endif
#endif
