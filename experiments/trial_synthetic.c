// Trial kind "synthetic": the method's optimizer on the exact reprojection cost of the
// targets (no rendering): exercises optimizers and evaluation.
#include "experiments/trial_kinds.h"

#include "experiments/evaluate.h"
#include "optim/optimizer.h"
#include "registration/param.h"

typedef struct synth_ctx {
  const cr_exp_scene *scene;
  const cr_exp_trial *trial;
  cr_reg_param par;
} synth_ctx;

static int reprojection_cost(const double *x, void *vctx, double *cost) {
  const synth_ctx *c = vctx;
  cr_pose p = cr_reg_param_to_pose(&c->par, x);
  double d;
  if (cr_exp_projection_distance(&c->scene->camera, &p, &c->trial->gt,
                                 (const double(*)[3])c->trial->targets, c->trial->n_targets, &d,
                                 NULL))
    d = 1e6; // every target behind the camera: a wall
  *cost = d;
  return 0;
}

int cr_exp_trial_synthetic(const cr_exp_config *cfg, const cr_exp_scene *scene,
                           const cr_exp_trial *trial, void *ctx, cr_exp_outcome *out) {
  const cr_exp_method *m = &cfg->methods[trial->method];
  const cr_opt_type *type = m->reg.optimizer;
  synth_ctx c = {.scene = scene, .trial = trial};
  cr_reg_param_init(&c.par, &trial->start, trial->pivot);
  double x[CR_REG_NPARAM] = {0}, step[CR_REG_NPARAM] = {2, 2, 2, 2, 2, 2};
  cr_opt_options o = cr_opt_defaults();
  o.step = step;
  o.max_evals = m->reg.max_evals * m->reg.levels;
  o.seed = (unsigned long)trial->method_seed;
  o.xtol = 1e-5;
  cr_opt_result r;
  int rc = cr_opt_minimize(type, CR_REG_NPARAM, x, reprojection_cost, &c, &o, &r);
  out->final = cr_reg_param_to_pose(&c.par, x);
  out->evals = r.evals;
  return rc;
}
