// camreg bench-metrics: evaluations per second of every metric on a synthetic pair.
#include "cli/command.h"
#include "cli/common.h"
#include "core/error.h"
#include "core/rng.h"
#include "metrics/metric.h"
#include "metrics/pattern.h"

#include <getopt.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char usage[] =
    "usage: camreg bench-metrics [options]\n\n"
    "Times cr_metric_new and cr_metric_eval for each metric on a textured synthetic\n"
    "image pair (the fixed pattern and a shifted, rotated copy) with a disc mask and a\n"
    "NaN background in the moving image, and prints ms per evaluation and evaluations\n"
    "per second (wall clock), and CPU ms per evaluation (all threads; on a busy\n"
    "machine wall time includes waiting for a core). Target: <= 1 ms per evaluation at 256x256 for "
    "all but lncc and edge.\n\n"
    "options:\n"
    "      --size N        image width = height (default 256)\n"
    "      --metric NAME   only this metric (default: all)\n"
    "      --min-time S    seconds of evaluations per metric (default 0.5)\n"
    "      --threads N     OpenMP threads (default: OMP_NUM_THREADS / all cores)\n"
    "      --bins N        mi/nmi bins (default 32)\n"
    "      --landscape     instead of timing: for each metric and each 2-D motion\n"
    "                      parameter (shift x, shift y px, rotation deg, scale %%) print\n"
    "                      where the metric is best over -3..3 in steps of 0.25\n"
    "      --parallel-min PX  use OpenMP for images of at least PX pixels (default\n"
    "                      131072; 0 = always)\n"
    "  -h, --help          this text\n";

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

// Process CPU time (all threads): on a busy machine wall time includes waiting.
static double cpu_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

// Fixed pattern, moved copy with NaN outside a disc (a render's miss), mask disc.
static int make_pair(int n, cr_image **f, cr_image **mv, cr_image **mask) {
  *f = cr_metrics_pattern(n, n, 0, 0, 0, 1);
  *mv = cr_metrics_pattern(n, n, 0.02 * n, -0.01 * n, 0.05, 1.02);
  *mask = cr_image_new(n, n, 1);
  if (!*f || !*mv || !*mask) return CR_ENOMEM;
  double c = 0.5 * (n - 1);
  for (int y = 0; y < n; y++)
    for (int x = 0; x < n; x++) {
      double r2 = (x - c) * (x - c) + (y - c) * (y - c);
      cr_image_row(*mask, y)[x] = r2 < 0.45 * n * 0.45 * n ? 1.0f : 0.0f;
      if (r2 > 0.48 * n * 0.48 * n) cr_image_row(*mv, y)[x] = NAN;
    }
  return CR_OK;
}

static int bench_one(const cr_metric_type *t, const cr_image *f, const cr_image *mask,
                     const cr_image *mv, const cr_metric_options *o, double min_time) {
  double t0 = now_s();
  cr_metric *m = cr_metric_new(t, f, mask, o);
  double t_create = now_s() - t0;
  if (!m) return cli_fail_last();
  double v = 0;
  if (cr_metric_eval(m, mv, &v)) { // warm-up
    cr_metric_free(m);
    return cli_fail_last();
  }
  long evals = 0;
  t0 = now_s();
  double c0 = cpu_s(), elapsed = 0;
  while (elapsed < min_time) {
    for (int i = 0; i < 5; i++) cr_metric_eval(m, mv, &v);
    evals += 5;
    elapsed = now_s() - t0;
  }
  double ms = 1e3 * elapsed / evals, cpu_ms = 1e3 * (cpu_s() - c0) / evals;
  int exempt = !strcmp(t->name, "lncc") || !strcmp(t->name, "edge");
  printf("%-5s %10.3f %10.4f %10.4f %10.0f %16.8g  %s\n", t->name, 1e3 * t_create, ms, cpu_ms,
         evals / elapsed, v,
         exempt          ? "(exempt)"
         : ms <= 1.0     ? "ok"
         : cpu_ms <= 1.0 ? "ok (cpu; wall includes waiting)"
                         : "OVER 1 ms");
  cr_metric_free(m);
  return 0;
}

// The best offset of each metric along each motion parameter (truth: 0) for a fixed
// image with a photometric change (gain 0.8, offset 0.05) and uniform noise (+-0.03).
static int landscape(int n, const cr_image *f0, const cr_image *mask, const cr_metric_options *o) {
  enum { NS = 25 };
  cr_image *f = cr_image_clone(f0);
  if (!f) return cli_fail_last();
  cr_rng rng = cr_rng_make(1, 0x62656e6368ull /* "bench" */);
  for (size_t i = 0; i < (size_t)n * n; i++)
    f->data[i] = 0.8f * f->data[i] + 0.05f + (float)cr_rng_uniform_range(&rng, -0.03, 0.03);
  cr_image *mv[4][NS] = {{0}};
  int rc = 0;
  for (int p = 0; p < 4 && !rc; p++)
    for (int i = 0; i < NS && !rc; i++) {
      double s = 0.25 * (i - NS / 2);
      mv[p][i] = cr_metrics_pattern(n, n, p == 0 ? s : 0, p == 1 ? s : 0,
                                    p == 2 ? s * M_PI / 180 : 0, p == 3 ? 1 + s / 100 : 1);
      if (!mv[p][i]) rc = cli_fail_last();
    }
  printf("# best offset along each parameter (truth 0, step 0.25)\n");
  printf("%-5s %8s %8s %8s %8s\n", "name", "tx_px", "ty_px", "rot_deg", "scale_%");
  for (int k = 0; cr_metric_types[k] && !rc; k++) {
    cr_metric *m = cr_metric_new(cr_metric_types[k], f, mask, o);
    if (!m) rc = cli_fail_last();
    printf("%-5s", cr_metric_types[k]->name);
    for (int p = 0; p < 4 && !rc; p++) {
      double vals[NS];
      if (cr_metric_eval_many(m, (const cr_image *const *)mv[p], NS, vals))
        rc = cli_fail_last();
      else
        printf(" %8.2f", 0.25 * (cr_metric_best_index(cr_metric_types[k], vals, NS) - NS / 2));
    }
    printf("\n");
    cr_metric_free(m);
  }
  for (int p = 0; p < 4; p++)
    for (int i = 0; i < NS; i++) cr_image_free(mv[p][i]);
  cr_image_free(f);
  return rc;
}

static int run(int argc, char **argv) {
  static const struct option opts[] = {{"size", required_argument, 0, 's'},
                                       {"metric", required_argument, 0, 'm'},
                                       {"min-time", required_argument, 0, 't'},
                                       {"threads", required_argument, 0, 'j'},
                                       {"bins", required_argument, 0, 'B'},
                                       {"parallel-min", required_argument, 0, 'p'},
                                       {"landscape", no_argument, 0, 'l'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  int n = 256, threads = 0, c, rc, do_landscape = 0;
  double min_time = 0.5;
  const char *only = NULL;
  cr_metric_options o = cr_metric_defaults();
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 's':
      if ((rc = cli_parse_int("bench-metrics", "--size", optarg, 16, 8192, &n))) return rc;
      break;
    case 'm': only = optarg; break;
    case 't':
      if ((rc = cli_parse_double("bench-metrics", "--min-time", optarg, &min_time))) return rc;
      if (!(min_time > 0 && min_time <= 600))
        return cli_usage_error("bench-metrics", "--min-time must be in (0, 600] s");
      break;
    case 'j':
      if ((rc = cli_parse_int("bench-metrics", "--threads", optarg, 1, 256, &threads))) return rc;
      break;
    case 'B':
      if ((rc = cli_parse_int("bench-metrics", "--bins", optarg, 4, 256, &o.bins))) return rc;
      break;
    case 'p': {
      int px;
      if ((rc = cli_parse_int("bench-metrics", "--parallel-min", optarg, 0, 1 << 30, &px)))
        return rc;
      o.parallel_min_px = px;
      break;
    }
    case 'l': do_landscape = 1; break;
    case 'h': fputs(usage, stdout); return 0;
    default:
      return cli_usage_error("bench-metrics", "unknown or incomplete option '%s'",
                             argv[optind - 1]);
    }
  }
  if (optind < argc)
    return cli_usage_error("bench-metrics", "unexpected argument '%s'", argv[optind]);
  if (only && !cr_metric_find(only))
    return cli_usage_error("bench-metrics", "unknown metric '%s'", only);
  if (threads) omp_set_num_threads(threads);
  cr_image *f, *mv, *mask;
  if (make_pair(n, &f, &mv, &mask))
    rc = cli_fail_last();
  else if (do_landscape) {
    rc = landscape(n, f, mask, &o);
  } else {
    printf("# %dx%d, %d OpenMP threads (used when >= %ld px), mi/nmi %d bins\n", n, n,
           omp_get_max_threads(), o.parallel_min_px, o.bins);
    printf("%-5s %10s %10s %10s %10s %16s  %s\n", "name", "create_ms", "ms/eval", "cpu_ms",
           "evals/s", "value", "<=1ms");
    rc = 0;
    for (int i = 0; cr_metric_types[i] && !rc; i++)
      if (!only || !strcmp(only, cr_metric_types[i]->name))
        rc = bench_one(cr_metric_types[i], f, mask, mv, &o, min_time);
  }
  cr_image_free(f), cr_image_free(mv), cr_image_free(mask);
  return rc;
}

const cr_command cr_command_bench_metrics = {"bench-metrics",
                                             "time every similarity metric (evaluations/s)", run};
