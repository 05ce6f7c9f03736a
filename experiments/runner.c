// The experiment runner: trials in parallel (OpenMP over trials), rows appended as they
// complete, resume, built-in trial functions.
#include "experiments/runner.h"

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/version.h"
#include "experiments/evaluate.h"
#include "optim/optimizer.h"
#include "registration/param.h"

#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int cr_exp_trial_identity(const cr_exp_config *cfg, const cr_exp_scene *scene,
                          const cr_exp_trial *trial, void *ctx, cr_exp_outcome *out) {
  out->final = trial->start;
  out->evals = 0;
  return 0;
}

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
                                 (const double(*)[3])c->trial->targets, c->trial->n_targets, &d, NULL))
    d = 1e6; // every target behind the camera: a wall
  *cost = d;
  return 0;
}

int cr_exp_trial_synthetic(const cr_exp_config *cfg, const cr_exp_scene *scene,
                           const cr_exp_trial *trial, void *ctx, cr_exp_outcome *out) {
  const cr_exp_method *m = &cfg->methods[trial->method];
  const cr_opt_type *type = cr_opt_lookup(m->optimizer);
  if (!type) return CR_EINVAL;
  synth_ctx c = {.scene = scene, .trial = trial};
  cr_reg_param_init(&c.par, &trial->start, trial->pivot);
  double x[CR_REG_NPARAM] = {0}, step[CR_REG_NPARAM] = {2, 2, 2, 2, 2, 2};
  cr_opt_options o = cr_opt_defaults();
  o.step = step;
  o.max_evals = m->max_evals * m->levels;
  o.seed = (unsigned long)trial->method_seed;
  o.xtol = 1e-5;
  cr_opt_result r;
  int rc = cr_opt_minimize(type, CR_REG_NPARAM, x, reprojection_cost, &c, &o, &r);
  out->final = cr_reg_param_to_pose(&c.par, x);
  out->evals = r.evals;
  return rc;
}

int cr_exp_trial_lookup(const char *kind, cr_exp_trial_fn *fn) {
  if (!strcmp(kind, "identity")) *fn = cr_exp_trial_identity;
  else if (!strcmp(kind, "synthetic")) *fn = cr_exp_trial_synthetic;
  else if (!strcmp(kind, "registration")) *fn = cr_exp_trial_registration;
  else return cr_error(CR_EINVAL, "unknown trial kind '%s'", kind);
  return 0;
}

void cr_exp_evaluate_row(const cr_exp_config *cfg, const cr_exp_scene *scene,
                         const cr_exp_trial *t, int status, const cr_exp_outcome *out,
                         double time_s, cr_exp_row *row) {
  memset(row, 0, sizeof *row);
  row->trial = t->index, row->sample = t->sample;
  snprintf(row->method, sizeof row->method, "%s", cfg->methods[t->method].name);
  row->status = status;
  row->bin_lo_mm = t->bin_lo_mm, row->bin_hi_mm = t->bin_hi_mm;
  const cr_pose *fin = status ? &t->start : &out->final;
  const double(*X)[3] = (const double(*)[3])t->targets;
  row->init_mtre_mm = cr_reg_mtre(&t->start, &t->gt, X, t->n_targets);
  row->final_mtre_mm = cr_reg_mtre(fin, &t->gt, X, t->n_targets);
  if (cr_exp_projection_distance(&scene->camera, &t->start, &t->gt, X, t->n_targets, &row->init_proj_px, NULL))
    row->init_proj_px = NAN;
  if (cr_exp_projection_distance(&scene->camera, fin, &t->gt, X, t->n_targets, &row->final_proj_px, NULL))
    row->final_proj_px = NAN;
  cr_exp_pose_errors(fin, &t->gt, &row->rot_err_deg, &row->trans_err_mm);
  row->success = !status && row->final_mtre_mm < cfg->success_mm;
  row->evals = status ? 0 : out->evals;
  row->time_s = time_s;
  cr_pose_to_rvec_tvec(&t->gt, row->gt_rvec, row->gt_tvec);
  cr_pose_to_rvec_tvec(fin, row->final_rvec, row->final_tvec);
}

cr_exp_run_options cr_exp_run_defaults(void) {
  return (cr_exp_run_options){.shard_k = 1, .shard_n = 1};
}

void cr_exp_results_path(const char *dir, int k, int n, char *out, size_t cap) {
  if (n <= 1) snprintf(out, cap, "%s/results.csv", dir);
  else snprintf(out, cap, "%s/results-shard%d-of-%d.csv", dir, k, n);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int cr_exp_copy_file(const char *src, const char *dst) {
  FILE *in = fopen(src, "rb");
  if (!in) return cr_error(CR_EIO, "%s: cannot open: %s", src, strerror(errno));
  cr_atomic_file af;
  int rc = cr_atomic_begin(&af, dst, 1);
  if (!rc) {
    char buf[8192];
    size_t n;
    int bad = 0;
    while (!bad && (n = fread(buf, 1, sizeof buf, in)) > 0) bad = fwrite(buf, 1, n, af.fp) != n;
    if (bad || ferror(in)) {
      cr_atomic_abort(&af);
      rc = cr_error(CR_EIO, "%s: copy failed", dst);
    } else rc = cr_atomic_commit(&af);
  }
  fclose(in);
  return rc;
}

static int copy_config(const char *src, const char *dir) {
  char dst[CR_EXP_PATH_MAX + 16];
  snprintf(dst, sizeof dst, "%s/config.cfg", dir);
  return cr_exp_copy_file(src, dst);
}

static int prepare_dir(const char *dir) {
  if (mkdir(dir, 0777) && errno != EEXIST)
    return cr_error(CR_EIO, "%s: cannot create folder: %s", dir, strerror(errno));
  struct stat st;
  if (stat(dir, &st) || !S_ISDIR(st.st_mode)) return cr_error(CR_EIO, "%s: not a folder", dir);
  return 0;
}

typedef struct run_state {
  const cr_exp_config *cfg;
  const cr_exp_scene *scene;
  const cr_exp_run_options *opt;
  cr_exp_trial_fn fn;
  cr_exp_results *res;
  long done, total, added, failed;
  int error; // first append error (message kept by the thread that hit it)
  char error_msg[512];
} run_state;

// One trial, then its row appended under a lock. Called from the parallel loop.
static void run_one(run_state *s, long index) {
  cr_exp_trial t;
  cr_exp_outcome out = {.final = cr_pose_identity()};
  cr_exp_row row;
  char line[CR_EXP_CSV_LINE_MAX];
  double t0 = now_s();
  int status = cr_exp_trial_make(s->cfg, s->scene, index, &t);
  if (status) { // cannot draw: record the failure with what is known
    t.index = index, t.sample = index / s->cfg->n_methods, t.method = (int)(index % s->cfg->n_methods);
    t.n_targets = 0, t.gt = t.start = cr_pose_identity();
  } else status = s->fn(s->cfg, s->scene, &t, s->opt->trial_ctx, &out);
  cr_exp_evaluate_row(s->cfg, s->scene, &t, status, &out, now_s() - t0, &row);
  int len = cr_exp_row_format(&row, line, sizeof line);
#pragma omp critical(cr_exp_append)
  {
    if (!s->error && (s->opt->max_new <= 0 || s->added < s->opt->max_new)) {
      int rc = len < 0 ? cr_error(CR_EFORMAT, "row too long") : cr_exp_results_append(s->res, line);
      if (rc) {
#pragma omp atomic write
        s->error = rc;
        snprintf(s->error_msg, sizeof s->error_msg, "%s", cr_last_error());
      } else {
        s->added++, s->done++;
        s->failed += status != 0;
        if (s->opt->progress) s->opt->progress(s->done, s->total, s->opt->progress_ctx);
      }
    }
  }
}

int cr_exp_run(const cr_exp_config *cfg, const char *out_dir, const cr_exp_run_options *opt,
               cr_exp_run_stats *stats) {
  memset(stats, 0, sizeof *stats);
  if (opt->shard_n < 1 || opt->shard_k < 1 || opt->shard_k > opt->shard_n)
    return cr_error(CR_EINVAL, "shard %d/%d: expects K/N with 1 <= K <= N", opt->shard_k, opt->shard_n);
  run_state s = {.cfg = cfg, .opt = opt, .fn = opt->trial_fn};
  int rc = s.fn ? 0 : cr_exp_trial_lookup(cfg->trial_kind, &s.fn);
  if (!rc && s.fn == cr_exp_trial_registration && !cfg->volume_path[0])
    rc = cr_error(CR_EINVAL, "%s: trial kind 'registration' needs a volume", cfg->path);
  if (!rc) rc = prepare_dir(out_dir);
  if (!rc) rc = copy_config(cfg->path, out_dir);
  if (rc) return rc;
  cr_exp_meta meta = {.config_hash = cfg->hash, .total = cr_exp_config_units(cfg),
                      .shard_k = opt->shard_k, .shard_n = opt->shard_n};
  snprintf(meta.version, sizeof meta.version, "%s", CR_VERSION_STRING);
  snprintf(meta.config_path, sizeof meta.config_path, "%s", cfg->path);
  cr_exp_results_path(out_dir, opt->shard_k, opt->shard_n, stats->csv_path, sizeof stats->csv_path);
  unsigned char *done = malloc((size_t)meta.total);
  long *todo = malloc((size_t)meta.total * sizeof *todo), n_todo = 0, n_done = 0;
  cr_exp_scene *scene = NULL;
  if (!done || !todo) rc = cr_error(CR_ENOMEM, "out of memory");
  if (!rc) rc = cr_exp_results_open(stats->csv_path, &meta, done, &n_done, &s.res);
  if (!rc) rc = cr_exp_scene_new(cfg, &scene);
  if (!rc) {
    for (long t = opt->shard_k - 1; t < meta.total; t += opt->shard_n)
      if (!done[t]) todo[n_todo++] = t;
    s.scene = scene;
    s.total = n_todo + n_done, s.done = n_done;
    stats->total = s.total, stats->resumed = n_done;
    int threads = opt->threads > 0 ? opt->threads : omp_get_max_threads();
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (long i = 0; i < n_todo; i++) {
      int stop;
#pragma omp atomic read
      stop = s.error;
      if (!stop && (opt->max_new <= 0 || i < opt->max_new)) run_one(&s, todo[i]);
    }
    stats->run = s.added, stats->failed = s.failed;
    if (s.error) rc = cr_error(s.error, "%s", s.error_msg);
  }
  int rc_close = cr_exp_results_close(s.res);
  if (!rc) rc = rc_close;
  cr_exp_scene_free(scene);
  free(done);
  free(todo);
  return rc;
}
