// The multi-resolution, multi-start registration loop (see register.h).
#include "registration/register.h"

#include "core/error.h"
#include "core/mat.h"
#include "core/rng.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

cr_reg_options cr_reg_defaults(void) {
  cr_reg_options o;
  memset(&o, 0, sizeof o);
  o.optimizer = NULL;
  o.levels = 3;
  o.step_deg = 2, o.step_mm = 2, o.xtol = 0.01, o.max_evals = 400;
  o.starts = 3, o.start_rot_deg = 5, o.start_trans_mm = 5, o.seed = 1;
  o.fd_step = 0.25;
  return o;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

typedef struct level_ctx {
  cr_reg_cost_fn cost;
  void *ctx;
  int level;
  cr_reg_param par;
  const cr_reg_options *opt;
} level_ctx;

static double prior_penalty(const cr_reg_options *o, const cr_pose *pose) {
  if (!(o->prior_weight > 0)) return 0;
  double pc[3];
  cr_pose_apply(pose, o->pivot_world, pc);
  double d = pc[2] - o->prior_distance_mm;
  return o->prior_weight * d * d;
}

static int param_cost(const double *x, void *vctx, double *cost) {
  level_ctx *c = vctx;
  cr_pose pose = cr_reg_param_to_pose(&c->par, x);
  double v = 0;
  int rc = c->cost(c->level, &pose, c->ctx, &v);
  if (rc) return rc;
  *cost = v + prior_penalty(c->opt, &pose);
  return 0;
}

static int check_options(const cr_camera *camera, const cr_pose *init, const cr_reg_options *o) {
  int rc = cr_camera_validate(camera);
  if (rc) return rc;
  if (o->levels < 1 || o->levels > CR_REG_MAX_LEVELS)
    return cr_error(CR_EINVAL, "levels %d not in 1..%d", o->levels, CR_REG_MAX_LEVELS);
  cr_camera top = cr_reg_level_camera(camera, o->levels - 1);
  if (top.width < 4 || top.height < 4)
    return cr_error(CR_EINVAL, "levels %d: the coarsest image would be %dx%d (< 4x4)", o->levels,
                    top.width, top.height);
  if (!(o->step_deg > 0) || !(o->step_mm > 0))
    return cr_error(CR_EINVAL, "step must be positive (deg %g, mm %g)", o->step_deg, o->step_mm);
  if (!(o->xtol >= 0)) return cr_error(CR_EINVAL, "xtol must be >= 0");
  if (o->max_evals < 1) return cr_error(CR_EINVAL, "max_evals must be >= 1");
  if (o->starts < 1) return cr_error(CR_EINVAL, "starts must be >= 1");
  if (!(o->prior_weight >= 0) || (o->prior_weight > 0 && !(o->prior_distance_mm > 0)))
    return cr_error(CR_EINVAL, "working-distance prior needs weight >= 0 and distance > 0");
  double pc[3];
  cr_pose_apply(init, o->pivot_world, pc);
  if (!(pc[2] > 0))
    return cr_error(CR_EINVAL, "pivot (%g, %g, %g) is behind the initial camera (z %g mm)",
                    o->pivot_world[0], o->pivot_world[1], o->pivot_world[2], pc[2]);
  return 0;
}

// Start parameters: 0 for start 0, else a rotation of start_rot_deg about a random axis
// and a translation of start_trans_mm in a random direction, drawn from sub-stream k of
// `starts`: start k is a pure function of (seed, k).
static void start_params(const cr_rng *starts, int k, const cr_reg_options *o, double p[6]) {
  double axis[3], dir[3];
  cr_rng rng = cr_rng_split(starts, (uint64_t)k);
  cr_rng_unit_vector(&rng, axis);
  cr_rng_unit_vector(&rng, dir);
  for (int i = 0; i < 3; i++) {
    p[i] = k == 0 ? 0 : axis[i] * o->start_rot_deg;
    p[3 + i] = k == 0 ? 0 : dir[i] * o->start_trans_mm;
  }
}

// Runs one optimization at a level from parameters x (in/out).
static int run_once(level_ctx *lc, const cr_reg_options *o, double x[6], cr_opt_result *r) {
  double s = ldexp(1.0, lc->level);
  double step[6] = {o->step_deg * s, o->step_deg * s, o->step_deg * s,
                    o->step_mm * s,  o->step_mm * s,  o->step_mm * s};
  cr_opt_options oo = cr_opt_defaults();
  int budget = o->max_evals >> (o->levels - 1 - lc->level);
  if (budget < 40) budget = o->max_evals < 40 ? o->max_evals : 40;
  oo.step = step, oo.xtol = o->xtol * s, oo.max_evals = budget, oo.seed = o->seed;
  oo.fd_step = o->fd_step > 0 ? o->fd_step : 0.25;
  const cr_opt_type *opt = o->optimizer ? o->optimizer : cr_opt_nelder_mead;
  if (!o->linearize || o->warp_rounds < 1 ||
      (lc->level == o->levels - 1 && o->levels > 1 && !o->warp_coarsest))
    return cr_opt_minimize(opt, CR_REG_NPARAM, x, param_cost, lc, &oo, r);
  // Runs on the warped render (registration/warp.h): linearized at the start, minimized;
  // linearized at the result, whose cost there (no motion: the render's own) must be
  // lower than at the last linearization, else the last one is kept; the next run starts
  // there with half the step. The result's cost comes from a render at its pose.
  int evals = 0, rc = 0;
  double best_x[CR_REG_NPARAM], best = INFINITY;
  memcpy(best_x, x, sizeof best_x);
  for (int round = 0; round <= o->warp_rounds && !rc; round++) {
    cr_pose at = cr_reg_param_to_pose(&lc->par, x);
    int lin = o->linearize(lc->level, &at, lc->ctx);
    if (lin < 0) return lin;
    if (lin > 0) { // the cost renders every pose: one plain run from the best so far
      memcpy(x, best_x, sizeof best_x);
      rc = cr_opt_minimize(opt, CR_REG_NPARAM, x, param_cost, lc, &oo, r);
      r->evals += evals;
      return rc;
    }
    double here;
    if ((rc = param_cost(x, lc, &here))) break;
    evals++;
    if (!(here < best)) break; // the last run did not lower the cost: keep its start
    best = here, memcpy(best_x, x, sizeof best_x);
    if (round == o->warp_rounds) break;
    if (round > 0)
      for (int i = 0; i < CR_REG_NPARAM; i++) step[i] *= 0.5;
    rc = cr_opt_minimize(opt, CR_REG_NPARAM, x, param_cost, lc, &oo, r);
    evals += r->evals;
    if (!rc && !(r->cost < here)) break; // no lower cost predicted
  }
  int off = o->linearize(lc->level, NULL, lc->ctx);
  memcpy(x, best_x, sizeof best_x);
  if (!rc) rc = off < 0 ? off : param_cost(x, lc, &r->cost);
  r->evals = evals + 1;
  return rc;
}

// One level: all `starts` from `pose` (only at the coarsest level), keeps the best.
static int run_level(const cr_camera *camera, int level, int starts, const cr_rng *rng,
                     cr_reg_cost_fn cost, void *ctx, const cr_reg_options *o, cr_pose *pose,
                     cr_reg_result *res, cr_reg_level_stats *st) {
  cr_camera cam = cr_reg_level_camera(camera, level);
  level_ctx lc;
  memset(&lc, 0, sizeof lc);
  lc.cost = cost, lc.ctx = ctx, lc.level = level, lc.opt = o;
  cr_reg_param_init(&lc.par, pose, o->pivot_world);
  double t0 = now_s(), best = INFINITY, best_x[6] = {0};
  st->level = level, st->width = cam.width, st->height = cam.height, st->evals = 0;
  for (int k = 0; k < starts; k++) {
    double x[6];
    start_params(rng, k, o, x);
    cr_opt_result r;
    int rc = run_once(&lc, o, x, &r);
    st->evals += r.evals, res->evals += r.evals;
    if (rc) return rc;
    if (r.cost < best) {
      best = r.cost, memcpy(best_x, x, sizeof x);
      if (starts > 1) res->best_start = k;
    }
    if (o->progress) o->progress(o->progress_ctx, level, k, res->evals, r.cost);
  }
  *pose = cr_reg_param_to_pose(&lc.par, best_x);
  st->seconds = now_s() - t0, st->cost = best;
  return 0;
}

int cr_reg_run(const cr_camera *camera, const cr_pose *init, cr_reg_cost_fn cost, void *ctx,
               const cr_reg_options *opt, cr_reg_result *res) {
  cr_reg_options o = opt ? *opt : cr_reg_defaults();
  memset(res, 0, sizeof *res);
  int rc = check_options(camera, init, &o);
  if (rc) return rc;
  if (!cost) return cr_error(CR_EINVAL, "registration: no cost function");
  const cr_rng starts = cr_rng_make(o.seed, 0x737461727473ull /* "starts" */), *rng = &starts;
  res->start = *init;
  memcpy(res->pivot_world, o.pivot_world, sizeof o.pivot_world);
  snprintf(res->optimizer, sizeof res->optimizer, "%s",
           (o.optimizer ? o.optimizer : cr_opt_nelder_mead)->name);
  double t0 = now_s();
  cr_pose pose = *init;
  for (int l = o.levels - 1; l >= 0 && !rc; l--) {
    cr_reg_level_stats *st = &res->level[res->nlevels++];
    rc = run_level(camera, l, l == o.levels - 1 ? o.starts : 1, rng, cost, ctx, &o, &pose, res, st);
  }
  res->seconds = now_s() - t0;
  res->final = pose;
  if (rc) return rc;
  res->cost = res->level[res->nlevels - 1].cost;
  res->prior_penalty = prior_penalty(&o, &pose);
  if (cr_reg_pose_change_split(camera, &res->start, &res->final, o.pivot_world, &res->inplane_px,
                               &res->along_mm))
    res->inplane_px = res->along_mm = NAN; // the pivot went behind the camera
  return 0;
}
