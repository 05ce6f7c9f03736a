// CMA-ES, (mu/mu_w, lambda) with cumulative step-size adaptation and rank-one plus
// rank-mu covariance updates (Hansen, "The CMA Evolution Strategy: A Tutorial", 2016).
// It works in scaled coordinates y = x / step with sigma0 = 1; all draws come from the
// generator (opt->seed, "cmaes") of core/rng.h, so a run is a pure function of its inputs.
#include "core/error.h"
#include "core/rng.h"
#include "optim/opt_eval.h"

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_matrix.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct cma {
  int n, lambda, mu;
  double mueff, cc, cs, c1, cmu, damps, chin, sigma;
  double *w, *m, *mold, *ps, *pc, *C, *B, *D, *Y, *fit, *tmp, *xs;
  int *idx;
  const double *step;
  gsl_matrix *cm, *evec;
  gsl_vector *eval;
  gsl_eigen_symmv_workspace *ws;
  cr_rng rng;
} cma;

static void cma_free(cma *s) {
  free(s->w), free(s->idx);
  gsl_matrix_free(s->cm), gsl_matrix_free(s->evec), gsl_vector_free(s->eval);
  gsl_eigen_symmv_free(s->ws);
}

static int cma_init(cma *s, int n, const double *x, const cr_opt_options *opt) {
  memset(s, 0, sizeof *s);
  s->n = n, s->step = opt->step, s->sigma = 1;
  s->lambda = opt->popsize >= 2 ? opt->popsize : 4 + (int)floor(3 * log((double)n));
  s->mu = s->lambda / 2;
  size_t nn = (size_t)n, L = (size_t)s->lambda;
  s->w = calloc(L + 6 * nn + 2 * nn * nn + L * nn + L + nn, sizeof(double));
  s->idx = calloc(L, sizeof(int));
  s->cm = gsl_matrix_alloc(nn, nn), s->evec = gsl_matrix_alloc(nn, nn);
  s->eval = gsl_vector_alloc(nn), s->ws = gsl_eigen_symmv_alloc(nn);
  s->rng = cr_rng_make(opt->seed, 0x636d616573ull /* "cmaes" */);
  if (!s->w || !s->idx || !s->cm || !s->evec || !s->eval || !s->ws) {
    cma_free(s);
    return cr_error(CR_ENOMEM, "cmaes: out of memory");
  }
  s->m = s->w + L, s->mold = s->m + nn, s->ps = s->mold + nn, s->pc = s->ps + nn;
  s->D = s->pc + nn, s->tmp = s->D + nn, s->C = s->tmp + nn, s->B = s->C + nn * nn;
  s->Y = s->B + nn * nn, s->fit = s->Y + L * nn, s->xs = s->fit + L;
  double sw = 0, sw2 = 0;
  for (int i = 0; i < s->mu; i++) s->w[i] = log(s->mu + 0.5) - log(i + 1.0), sw += s->w[i];
  for (int i = 0; i < s->mu; i++) s->w[i] /= sw, sw2 += s->w[i] * s->w[i];
  s->mueff = 1 / sw2;
  double dn = n, me = s->mueff;
  s->cc = (4 + me / dn) / (dn + 4 + 2 * me / dn);
  s->cs = (me + 2) / (dn + me + 5);
  s->c1 = 2 / ((dn + 1.3) * (dn + 1.3) + me);
  s->cmu = fmin(1 - s->c1, 2 * (me - 2 + 1 / me) / ((dn + 2) * (dn + 2) + me));
  s->damps = 1 + 2 * fmax(0, sqrt((me - 1) / (dn + 1)) - 1) + s->cs;
  s->chin = sqrt(dn) * (1 - 1 / (4 * dn) + 1 / (21 * dn * dn));
  for (int i = 0; i < n; i++) {
    s->m[i] = x[i] / (s->step ? s->step[i] : 1.0);
    s->C[i * n + i] = s->B[i * n + i] = s->D[i] = 1;
  }
  return 0;
}

static double cma_eval_y(cma *s, cr_opt_eval *e, const double *y) {
  for (int i = 0; i < s->n; i++) s->xs[i] = y[i] * (s->step ? s->step[i] : 1.0);
  return cr_opt_eval_call(e, s->xs);
}

static void cma_eigen(cma *s) {
  int n = s->n;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++)
      gsl_matrix_set(s->cm, i, j, 0.5 * (s->C[i * n + j] + s->C[j * n + i]));
  gsl_eigen_symmv(s->cm, s->eval, s->evec, s->ws);
  for (int i = 0; i < n; i++) {
    s->D[i] = sqrt(fmax(gsl_vector_get(s->eval, i), 1e-30));
    for (int j = 0; j < n; j++) s->B[i * n + j] = gsl_matrix_get(s->evec, i, j);
  }
}

static int fit_less(const cma *s, int a, int b) {
  return s->fit[a] < s->fit[b] || (s->fit[a] == s->fit[b] && a < b);
}

// Samples lambda points, evaluates them and sorts idx by cost (insertion sort: stable).
static void cma_sample(cma *s, cr_opt_eval *e) {
  int n = s->n;
  for (int k = 0; k < s->lambda; k++) {
    double *y = s->Y + (size_t)k * n;
    for (int j = 0; j < n; j++) s->tmp[j] = s->D[j] * cr_rng_gaussian(&s->rng);
    for (int i = 0; i < n; i++) {
      double v = 0;
      for (int j = 0; j < n; j++) v += s->B[i * n + j] * s->tmp[j];
      y[i] = s->m[i] + s->sigma * v;
    }
    s->fit[k] = cma_eval_y(s, e, y);
    s->idx[k] = k;
  }
  for (int k = 1; k < s->lambda; k++)
    for (int j = k; j > 0 && fit_less(s, s->idx[j], s->idx[j - 1]); j--) {
      int t = s->idx[j];
      s->idx[j] = s->idx[j - 1], s->idx[j - 1] = t;
    }
}

static void cma_update(cma *s, int gen) {
  int n = s->n;
  memcpy(s->mold, s->m, (size_t)n * sizeof(double));
  for (int i = 0; i < n; i++) {
    s->m[i] = 0;
    for (int k = 0; k < s->mu; k++) s->m[i] += s->w[k] * s->Y[(size_t)s->idx[k] * n + i];
  }
  // ps update with C^-1/2 (m - mold) / sigma = B D^-1 B^T dm
  for (int j = 0; j < n; j++) {
    double v = 0;
    for (int i = 0; i < n; i++) v += s->B[i * n + j] * (s->m[i] - s->mold[i]) / s->sigma;
    s->tmp[j] = v / s->D[j];
  }
  double k_s = sqrt(s->cs * (2 - s->cs) * s->mueff), psn = 0;
  for (int i = 0; i < n; i++) {
    double v = 0;
    for (int j = 0; j < n; j++) v += s->B[i * n + j] * s->tmp[j];
    s->ps[i] = (1 - s->cs) * s->ps[i] + k_s * v;
    psn += s->ps[i] * s->ps[i];
  }
  psn = sqrt(psn);
  int hsig = psn / sqrt(1 - pow(1 - s->cs, 2.0 * (gen + 1))) / s->chin < 1.4 + 2.0 / (n + 1);
  double k_c = hsig * sqrt(s->cc * (2 - s->cc) * s->mueff);
  for (int i = 0; i < n; i++)
    s->pc[i] = (1 - s->cc) * s->pc[i] + k_c * (s->m[i] - s->mold[i]) / s->sigma;
  double a = 1 - s->c1 - s->cmu, dh = (1 - hsig) * s->cc * (2 - s->cc);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      double r = 0;
      for (int k = 0; k < s->mu; k++) {
        const double *y = s->Y + (size_t)s->idx[k] * n;
        r += s->w[k] * (y[i] - s->mold[i]) * (y[j] - s->mold[j]);
      }
      s->C[i * n + j] = a * s->C[i * n + j] + s->c1 * (s->pc[i] * s->pc[j] + dh * s->C[i * n + j]) +
                        s->cmu * r / (s->sigma * s->sigma);
    }
  s->sigma *= exp(s->cs / s->damps * (psn / s->chin - 1));
}

static int cmaes_minimize(int n, double *x, cr_opt_cost_fn f, void *ctx, const cr_opt_options *opt,
                          cr_opt_result *res) {
  cma s;
  cr_opt_eval e;
  int rc = cma_init(&s, n, x, opt);
  if (rc) return rc;
  if ((rc = cr_opt_eval_init(&e, n, f, ctx, opt->max_evals))) {
    cma_free(&s);
    return rc;
  }
  double smax = 1;
  if (opt->step) {
    smax = opt->step[0];
    for (int i = 1; i < n; i++) smax = fmax(smax, opt->step[i]);
  }
  cma_eval_y(&s, &e, s.m); // the start point always counts as a candidate
  int gen = 0, converged = 0;
  while (!cr_opt_eval_stop(&e)) {
    cma_sample(&s, &e);
    if (cr_opt_eval_stop(&e) && e.exhausted) break;
    cma_update(&s, gen++);
    cma_eigen(&s);
    double dmax = 0;
    for (int i = 0; i < n; i++) dmax = fmax(dmax, s.D[i]);
    if (s.sigma * dmax * smax < opt->xtol) {
      converged = 1;
      break;
    }
  }
  cma_eval_y(&s, &e, s.m); // the final mean is usually better than any sample
  rc = cr_opt_eval_finish(&e, x, res, gen, converged);
  cma_free(&s);
  return rc;
}

static const cr_opt_type cmaes_type = {"cmaes", cmaes_minimize};
const cr_opt_type *const cr_opt_cmaes = &cmaes_type;
