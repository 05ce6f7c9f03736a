// camreg experiment: run an experiment config, merge shard results, print the summary.
#include "cli/command.h"
#include "cli/common.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "experiments/config.h"
#include "experiments/report.h"
#include "experiments/results.h"
#include "experiments/runner.h"

#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "usage: camreg experiment run CONFIG -o DIR [--shard K/N] [--threads T] [--limit N] [--images "
    "N]\n"
    "       camreg experiment merge DIR_OR_CSV... -o DIR\n"
    "       camreg experiment summary DIR_OR_CSV\n"
    "       camreg experiment report DIR_OR_CSV -o report.html [--title T] [--max-images N]\n\n"
    "run      runs the trials of an experiment config (experiments/configs/README.md) in\n"
    "         parallel and appends one row per trial to DIR/results.csv (with --shard K/N:\n"
    "         DIR/results-shardK-of-N.csv, trials t with t %% N == K-1) as each completes;\n"
    "         re-running resumes: completed trials are skipped. DIR/config.cfg keeps the\n"
    "         config. Prints the summary table when done.\n"
    "merge    joins the results of shards into DIR/results.csv, checking one config and\n"
    "         every trial exactly once; a folder stands for its results-shard*.csv files\n"
    "         (or its results.csv if it has none), so 'merge OUT -o OUT' works in place.\n"
    "summary  prints per method: trials, failures, success rate, median and 90th\n"
    "         percentile final mTRE (mm), capture range (mm), median time (s), evaluations.\n"
    "report   writes one self-contained HTML page (no external file or URL): the config,\n"
    "         the summary per method with the depth / in-plane error split, figures (inline\n"
    "         SVG), the photos and registered overlays of trials run with --images (inline\n"
    "         PNG) and a sortable table of every trial. A folder of shards works without\n"
    "         merging (DIR/results.csv if present, else its results-shard*.csv).\n\n"
    "options:\n"
    "  -o, --out DIR        output folder (created if missing)\n"
    "      --shard K/N      run only shard K of N (1-based)\n"
    "      --threads T      trials run in parallel (default: OMP_NUM_THREADS or all cores)\n"
    "      --limit N        stop after N new trials (the rest on a later run)\n"
    "      --images N       registration trials 0..N-1 also write DIR/images/trial_NNNN_photo.png\n"
    "                       and _overlay.png (registered render's edges on the photo): the\n"
    "                       montage of scripts/figures/make_figures.sh and the report; also\n"
    "                       _mask.png (the opening), _pose.txt (registered pose) and\n"
    "                       camera.yml, what camreg overlay needs\n"
    "      --title T        report: page title (default: the folder)\n"
    "      --max-images N   report: embed at most N trials' images (default 24)\n"
    "  -h, --help           this text\n";

typedef struct progress_state {
  double t0;
  long first_done;
  int tty, last_decile;
} progress_state;

static double wall_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

// Progress line with ETA: redrawn on a terminal, every 10% otherwise.
static void progress(long done, long total, void *vctx) {
  progress_state *p = vctx;
  if (p->first_done < 0) p->first_done = done - 1; // rows before it were resumed
  int decile = total ? (int)(10 * done / total) : 10;
  if (!p->tty && decile == p->last_decile && done != total) return;
  p->last_decile = decile;
  double el = wall_s() - p->t0, rate = (done - p->first_done) / (el > 1e-9 ? el : 1e-9);
  long eta = rate > 0 ? (long)((total - done) / rate + 0.5) : 0;
  fprintf(stderr, "%sexperiment: %ld/%ld trials (%.0f%%), ETA %ldm%02lds%s", p->tty ? "\r" : "",
          done, total, total ? 100.0 * done / total : 100.0, eta / 60, eta % 60,
          p->tty && done != total ? "" : "\n");
  fflush(stderr);
}

static int cmp_long(const void *a, const void *b) {
  long x = *(const long *)a, y = *(const long *)b;
  return (x > y) - (x < y);
}

// The smallest trial number that appears more than once, or -1.
static long first_duplicate_trial(const cr_exp_row *rows, long n) {
  long *t = malloc((size_t)(n + 1) * sizeof *t), dup = -1;
  if (!t) return -1;
  for (long i = 0; i < n; i++) t[i] = rows[i].trial;
  qsort(t, (size_t)n, sizeof *t, cmp_long);
  for (long i = 1; i < n && dup < 0; i++)
    if (t[i] == t[i - 1]) dup = t[i];
  free(t);
  return dup;
}

static int print_summary_of(const char *csv) {
  cr_exp_meta meta;
  cr_exp_row *rows;
  long n;
  if (cr_exp_results_read(csv, &meta, &rows, &n, NULL)) return cli_fail_last();
  // A trial counted twice would weigh twice in every rate and median: refused, as run
  // (resume) and merge refuse it.
  long dup = first_duplicate_trial(rows, n);
  if (dup >= 0) {
    free(rows);
    return cli_fail("experiment",
                    "%s: trial %ld appears twice (a file joined by hand? camreg experiment merge "
                    "joins shards)",
                    csv, dup);
  }
  int rc = cr_exp_summary_print(stdout, rows, n);
  free(rows);
  if (rc) return cli_fail_last();
  if (meta.total && n != meta.total)
    printf("(%ld of %ld trials of the experiment in %s)\n", n, meta.total, csv);
  return 0;
}

static int parse_shard(const char *s, int *k, int *n) {
  char tail;
  if (sscanf(s, "%d/%d%c", k, n, &tail) != 2 || *n < 1 || *k < 1 || *k > *n)
    return cli_usage_error("experiment", "--shard expects K/N with 1 <= K <= N, not '%s'", s);
  return 0;
}

static int cmd_run(int argc, char **argv, const char *out) {
  (void)argc;
  static const struct option opts[] = {{"out", required_argument, 0, 'o'},
                                       {"shard", required_argument, 0, 's'},
                                       {"threads", required_argument, 0, 't'},
                                       {"limit", required_argument, 0, 'l'},
                                       {"images", required_argument, 0, 'i'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  cr_exp_run_options ro = cr_exp_run_defaults();
  int c, rc, limit = 0, images = 0;
  while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
    switch (c) {
    case 'o': out = optarg; break;
    case 'i':
      if ((rc = cli_parse_int("experiment", "--images", optarg, 0, 1000000, &images))) return rc;
      break;
    case 's':
      if ((rc = parse_shard(optarg, &ro.shard_k, &ro.shard_n))) return rc;
      break;
    case 't':
      if ((rc = cli_parse_int("experiment", "--threads", optarg, 1, 1024, &ro.threads))) return rc;
      break;
    case 'l':
      if ((rc = cli_parse_int("experiment", "--limit", optarg, 1, 2147483647, &limit))) return rc;
      break;
    case 'h': fputs(usage, stdout); return 0;
    default:
      return cli_usage_error("experiment", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (optind + 1 != argc) return cli_usage_error("experiment", "run takes exactly one CONFIG file");
  if (!out) return cli_usage_error("experiment", "an output folder is required (-o DIR)");
  ro.max_new = limit;
  cr_exp_image_options img = {.n_images = images};
  if (images > 0) {
    snprintf(img.dir, sizeof img.dir, "%s", out);
    ro.trial_ctx = &img;
  }
  cr_exp_config cfg;
  if (cr_exp_config_load(argv[optind], &cfg)) return cli_fail_last();
  progress_state ps = {.t0 = wall_s(), .first_done = -1, .tty = isatty(2), .last_decile = -1};
  ro.progress = progress, ro.progress_ctx = &ps;
  cr_exp_run_stats st;
  double t0 = wall_s();
  if (cr_exp_run(&cfg, out, &ro, &st)) return cli_fail_last();
  fprintf(stderr, "%s: %ld trials run now (%ld failed), %ld resumed, %ld/%ld done in %.1f s\n",
          st.csv_path, st.run, st.failed, st.resumed, st.resumed + st.run, st.total, wall_s() - t0);
  return print_summary_of(st.csv_path);
}

// Adds to list the file `arg`, or for a folder its shard files results-shard*.csv (sorted)
// or, if it has none, its results.csv.
static int collect(const char *arg, char ***list, int *n) {
  struct stat st;
  if (stat(arg, &st)) return cli_fail("experiment", "%s: not found", arg);
  if (!S_ISDIR(st.st_mode)) {
    *list = realloc(*list, (size_t)(*n + 1) * sizeof **list);
    (*list)[(*n)++] = strdup(arg);
    return 0;
  }
  struct dirent **names;
  int m = scandir(arg, &names, NULL, alphasort), found = 0;
  if (m < 0) return cli_fail("experiment", "%s: cannot list folder", arg);
  for (int pass = 0; pass < 2 && !found; pass++)
    for (int i = 0; i < m; i++) {
      const char *nm = names[i]->d_name;
      int take = pass == 0 ? !strncmp(nm, "results-shard", 13) && cr_path_has_suffix(nm, ".csv")
                           : !strcmp(nm, "results.csv");
      if (!take) continue;
      *list = realloc(*list, (size_t)(*n + 1) * sizeof **list);
      size_t len = strlen(arg) + strlen(nm) + 2;
      (*list)[*n] = malloc(len);
      snprintf((*list)[(*n)++], len, "%s/%s", arg, nm);
      found++;
    }
  for (int i = 0; i < m; i++) free(names[i]);
  free(names);
  return found ? 0
               : cli_fail("experiment", "%s: no results-shard*.csv or results.csv in this folder",
                          arg);
}

static int cmd_merge(int argc, char **argv, const char *out) {
  static const struct option opts[] = {
      {"out", required_argument, 0, 'o'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
    if (c == 'o')
      out = optarg;
    else if (c == 'h')
      return fputs(usage, stdout), 0;
    else
      return cli_usage_error("experiment", "unknown or incomplete option '%s'", argv[optind - 1]);
  }
  if (!out) return cli_usage_error("experiment", "an output folder is required (-o DIR)");
  if (optind >= argc) return cli_usage_error("experiment", "merge needs result folders or files");
  char **list = NULL, dst[4200];
  int n = 0, rc = 0;
  for (int i = optind; i < argc && !rc; i++) rc = collect(argv[i], &list, &n);
  if (!rc && mkdir(out, 0777) && !(access(out, W_OK) == 0))
    rc = cli_fail("experiment", "%s: cannot create folder", out);
  snprintf(dst, sizeof dst, "%s/results.csv", out);
  if (!rc && cr_exp_merge((const char *const *)list, n, dst)) rc = cli_fail_last();
  if (!rc) {
    // Keep the config beside the merged results (from the first input folder having one).
    for (int i = optind; i < argc; i++) {
      char src[4200], cdst[4200];
      snprintf(src, sizeof src, "%s/config.cfg", argv[i]);
      snprintf(cdst, sizeof cdst, "%s/config.cfg", out);
      if (cr_file_exists(src) && strcmp(src, cdst)) {
        if (cr_exp_copy_file(src, cdst)) rc = cli_fail_last();
        break;
      }
    }
    if (!rc) fprintf(stderr, "wrote %s (%d input files)\n", dst, n);
  }
  for (int i = 0; i < n; i++) free(list[i]);
  free(list);
  return rc;
}

static int cmd_summary(int argc, char **argv) {
  if (argc != 2) return cli_usage_error("experiment", "summary takes one results folder or CSV");
  char csv[4200];
  struct stat st;
  if (stat(argv[1], &st)) return cli_fail("experiment", "%s: not found", argv[1]);
  if (S_ISDIR(st.st_mode)) {
    snprintf(csv, sizeof csv, "%s/results.csv", argv[1]);
    if (!cr_file_exists(csv))
      return cli_fail("experiment",
                      "%s: no results.csv (for shards, run 'camreg experiment merge' first)",
                      argv[1]);
  } else
    snprintf(csv, sizeof csv, "%s", argv[1]);
  return print_summary_of(csv);
}

static int cmd_report(int argc, char **argv) {
  static const struct option opts[] = {{"out", required_argument, 0, 'o'},
                                       {"title", required_argument, 0, 't'},
                                       {"max-images", required_argument, 0, 'm'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  cr_exp_report_options ro = cr_exp_report_defaults();
  const char *out = NULL;
  int c, rc;
  while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
    switch (c) {
    case 'o': out = optarg; break;
    case 't': ro.title = optarg; break;
    case 'm':
      if ((rc = cli_parse_int("experiment", "--max-images", optarg, 0, 100000, &ro.max_images)))
        return rc;
      break;
    case 'h': fputs(usage, stdout); return 0;
    default:
      return cli_usage_error("experiment", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (!out) return cli_usage_error("experiment", "report needs an output file (-o report.html)");
  if (optind + 1 != argc)
    return cli_usage_error("experiment", "report takes exactly one results folder or CSV");
  if (!cr_path_has_suffix(out, ".html") && !cr_path_has_suffix(out, ".htm"))
    return cli_usage_error("experiment", "-o %s: the report is an .html file", out);
  if (cr_exp_report_write(argv[optind], out, &ro)) return cli_fail_last();
  fprintf(stderr, "wrote %s\n", out);
  return 0;
}

static int run(int argc, char **argv) {
  optind = 1;
  opterr = 0;
  if (argc < 2) return cli_usage_error("experiment", "expects run, merge, summary or report");
  const char *sub = argv[1];
  if (!strcmp(sub, "-h") || !strcmp(sub, "--help")) return fputs(usage, stdout), 0;
  for (int i = 2; i < argc; i++)
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) return fputs(usage, stdout), 0;
  // getopt sees the arguments after the subcommand name.
  if (!strcmp(sub, "run")) return cmd_run(argc - 1, argv + 1, NULL);
  if (!strcmp(sub, "merge")) return cmd_merge(argc - 1, argv + 1, NULL);
  if (!strcmp(sub, "summary")) return cmd_summary(argc - 1, argv + 1);
  if (!strcmp(sub, "report")) return cmd_report(argc - 1, argv + 1);
  return cli_usage_error("experiment", "unknown subcommand '%s' (run, merge, summary, report)",
                         sub);
}

const cr_command cr_command_experiment = {
    "experiment", "run experiment configs, merge shards, summarize results, write the HTML report",
    run};
