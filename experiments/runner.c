// The experiment runner: trials in parallel (OpenMP over trials), rows appended as they
// complete, resume.
#include "experiments/runner.h"

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/version.h"
#include "experiments/evaluate.h"

#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

cr_exp_run_options cr_exp_run_defaults(void) {
  return (cr_exp_run_options){.shard_k = 1, .shard_n = 1};
}

void cr_exp_results_path(const char *dir, int k, int n, char *out, size_t cap) {
  if (n <= 1)
    snprintf(out, cap, "%s/results.csv", dir);
  else
    snprintf(out, cap, "%s/results-shard%d-of-%d.csv", dir, k, n);
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
    } else
      rc = cr_atomic_commit(&af);
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
    t.index = index, t.sample = index / s->cfg->n_methods,
    t.method = (int)(index % s->cfg->n_methods);
    t.n_targets = 0, t.gt = t.start = cr_pose_identity();
  } else
    status = s->fn(s->cfg, s->scene, &t, s->opt->trial_ctx, &out);
  double wall = now_s() - t0;
  cr_exp_evaluate_row(s->cfg, s->scene, &t, status, &out, out.seconds > 0 ? out.seconds : wall,
                      &row);
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
    return cr_error(CR_EINVAL, "shard %d/%d: expects K/N with 1 <= K <= N", opt->shard_k,
                    opt->shard_n);
  run_state s = {.cfg = cfg, .opt = opt, .fn = opt->trial_fn};
  int rc = s.fn ? 0 : cr_exp_trial_lookup(cfg->trial_kind, &s.fn);
  if (!rc && s.fn == cr_exp_trial_registration && !cfg->volume_path[0])
    rc = cr_error(CR_EINVAL, "%s: trial kind 'registration' needs a volume", cfg->path);
  // The scene (volume, mesh, ...) first: a config whose volume cannot be loaded leaves
  // no folder, config copy or header-only results file that would refuse the corrected
  // config as "another config".
  cr_exp_scene *scene = NULL;
  if (!rc) rc = cr_status_of(scene = cr_exp_scene_new(cfg));
  if (!rc) rc = prepare_dir(out_dir);
  if (!rc) rc = copy_config(cfg->path, out_dir);
  if (rc) {
    cr_exp_scene_free(scene);
    return rc;
  }
  cr_exp_meta meta = {.config_hash = cfg->hash,
                      .total = cr_exp_config_units(cfg),
                      .shard_k = opt->shard_k,
                      .shard_n = opt->shard_n};
  snprintf(meta.version, sizeof meta.version, "%s", CR_VERSION_STRING);
  snprintf(meta.config_path, sizeof meta.config_path, "%s", cfg->path);
  cr_exp_results_path(out_dir, opt->shard_k, opt->shard_n, stats->csv_path, sizeof stats->csv_path);
  unsigned char *done = malloc((size_t)meta.total);
  long *todo = malloc((size_t)meta.total * sizeof *todo), n_todo = 0, n_done = 0;
  if (!done || !todo) rc = cr_error(CR_ENOMEM, "out of memory");
  if (!rc) rc = cr_exp_results_open(stats->csv_path, &meta, done, &n_done, &s.res);
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
