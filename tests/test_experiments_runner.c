// The runner: rows independent of thread count and shard split, resume after a crash
// (truncated CSV) gives every trial exactly once, merge checks.
#include "testutil.h"

#include "core/atomic_file.h"
#include "core/error.h"
#include "experiments/config.h"
#include "experiments/results.h"
#include "experiments/runner.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char cfg_text[] = "trials = 12;\nseed = 7;\n"
                               "registration = { max_evals = 400; levels = 1; };\n"
                               "methods = ( { name = \"powell\"; optimizer = \"powell\"; }, { name "
                               "= \"nm\"; optimizer = \"nelder-mead\"; } );\n"
                               "start = { bins_mm = [0.0, 2.0, 8.0]; };\n";

static void load(const char *name, const char *text, cr_exp_config *cfg) {
  const char *path = cr_test_path(name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
  assert_int_equal(cr_exp_config_load(path, cfg), 0);
}

// Runs into folder `dir` and returns the stats.
static cr_exp_run_stats run(const cr_exp_config *cfg, const char *dir, int threads, int k, int n,
                            long max_new) {
  cr_exp_run_options o = cr_exp_run_defaults();
  o.threads = threads, o.shard_k = k, o.shard_n = n, o.max_new = max_new;
  cr_exp_run_stats st;
  int rc = cr_exp_run(cfg, cr_test_path(dir), &o, &st);
  if (rc) print_error("%s\n", cr_last_error());
  assert_int_equal(rc, 0);
  return st;
}

static int by_trial(const void *a, const void *b) {
  long x = ((const cr_exp_row *)a)->trial, y = ((const cr_exp_row *)b)->trial;
  return (x > y) - (x < y);
}

// The rows of a CSV sorted by trial, with the time column zeroed (the only column that
// may differ between runs), formatted into one string.
static char *canonical(const char *csv, long *n_rows) {
  cr_exp_meta m;
  cr_exp_row *rows;
  long n;
  assert_int_equal(cr_exp_results_read(csv, &m, &rows, &n, NULL), 0);
  qsort(rows, (size_t)n, sizeof *rows, by_trial);
  char *s = calloc((size_t)n + 1, CR_EXP_CSV_LINE_MAX);
  assert_non_null(s);
  for (long i = 0; i < n; i++) {
    rows[i].time_s = 0;
    assert_true(cr_exp_row_format(&rows[i], s + strlen(s), CR_EXP_CSV_LINE_MAX) > 0);
  }
  free(rows);
  *n_rows = n;
  return s;
}

static void test_threads_do_not_change_rows(void **state) {
  (void)state;
  cr_exp_config cfg;
  load("t.cfg", cfg_text, &cfg);
  cr_exp_run_stats a = run(&cfg, "t1", 1, 1, 1, 0), b = run(&cfg, "t2", 2, 1, 1, 0);
  assert_int_equal(a.run, 24);
  assert_int_equal(b.run, 24);
  long na, nb;
  char *sa = canonical(a.csv_path, &na), *sb = canonical(b.csv_path, &nb);
  assert_int_equal(na, 24);
  assert_int_equal(nb, 24);
  assert_string_equal(sa, sb);
  // Trials are distinct (not one trial repeated), and optimizing helped on average.
  cr_exp_meta m;
  cr_exp_row *rows;
  long n;
  assert_int_equal(cr_exp_results_read(a.csv_path, &m, &rows, &n, NULL), 0);
  double init = 0, fin = 0;
  for (long i = 0; i < n; i++) {
    init += rows[i].init_mtre_mm, fin += rows[i].final_mtre_mm;
    assert_int_equal(rows[i].status, 0);
    assert_int_equal(rows[i].success, rows[i].final_mtre_mm < 2.0);
    for (long j = 0; j < i; j++)
      if (rows[j].sample != rows[i].sample) assert_true(rows[j].gt_tvec[2] != rows[i].gt_tvec[2]);
  }
  assert_true(fin < 0.5 * init);
  assert_int_equal(m.total, 24);
  assert_true(m.config_hash == cfg.hash);
  free(rows);
  free(sa);
  free(sb);
}

static void test_shards_merge_to_the_unsharded_run(void **state) {
  (void)state;
  cr_exp_config cfg;
  load("s.cfg", cfg_text, &cfg);
  cr_exp_run_stats full = run(&cfg, "full", 2, 1, 1, 0);
  cr_exp_run_stats s1 = run(&cfg, "shards", 2, 1, 2, 0), s2 = run(&cfg, "shards", 1, 2, 2, 0);
  assert_int_equal(s1.run + s2.run, 24);
  const char *in[2] = {s2.csv_path, s1.csv_path};
  const char *merged = cr_test_path("merged.csv");
  assert_int_equal(cr_exp_merge(in, 2, merged), 0);
  long nf, nm;
  char *sf = canonical(full.csv_path, &nf), *sm = canonical(merged, &nm);
  assert_string_equal(sf, sm);
  // The merged file is sorted by trial.
  cr_exp_meta m;
  cr_exp_row *rows;
  long n;
  assert_int_equal(cr_exp_results_read(merged, &m, &rows, &n, NULL), 0);
  for (long i = 0; i < n; i++) assert_int_equal(rows[i].trial, i);
  free(rows);
  // A missing shard or a duplicated one is an error naming the trial.
  assert_int_equal(cr_exp_merge(in, 1, cr_test_path("bad.csv")), CR_EFORMAT);
  assert_non_null(strstr(cr_last_error(), "trial 0 is missing"));
  const char *dup[3] = {s1.csv_path, s2.csv_path, s1.csv_path};
  assert_int_equal(cr_exp_merge(dup, 3, cr_test_path("bad.csv")), CR_EFORMAT);
  assert_non_null(strstr(cr_last_error(), "more than once"));
  assert_false(cr_file_exists(cr_test_path("bad.csv")));
  // Results of another config do not merge.
  cr_exp_config other;
  load("o.cfg",
       "trials = 12;\nseed = 8;\nregistration = { max_evals = 400; levels = 1; };\n"
       "methods = ( { name = \"powell\"; optimizer = \"powell\"; }, { name = \"nm\"; optimizer = "
       "\"nelder-mead\"; } );\n"
       "start = { bins_mm = [0.0, 2.0, 8.0]; };\n",
       &other);
  cr_exp_run_stats o2 = run(&other, "other", 2, 2, 2, 0);
  const char *mixed[2] = {s1.csv_path, o2.csv_path};
  assert_int_equal(cr_exp_merge(mixed, 2, cr_test_path("bad.csv")), CR_EFORMAT);
  assert_non_null(strstr(cr_last_error(), "another experiment"));
  free(sf);
  free(sm);
}

static void test_resume_after_crash(void **state) {
  (void)state;
  cr_exp_config cfg;
  load("r.cfg", cfg_text, &cfg);
  cr_exp_run_stats ref = run(&cfg, "ref", 2, 1, 1, 0);
  cr_exp_run_stats a = run(&cfg, "crash", 2, 1, 1, 9);
  assert_int_equal(a.run, 9);
  // A crash in the middle of writing a row: a partial line at the end.
  FILE *f = fopen(a.csv_path, "a");
  assert_non_null(f);
  fputs("23,11,nm,0,2,8,5.1234", f);
  fclose(f);
  cr_exp_meta m;
  cr_exp_row *rows;
  long n;
  int trunc;
  assert_int_equal(cr_exp_results_read(a.csv_path, &m, &rows, &n, &trunc), 0);
  assert_int_equal(n, 9);
  assert_int_equal(trunc, 1);
  free(rows);
  cr_exp_run_stats b = run(&cfg, "crash", 1, 1, 1, 0);
  assert_int_equal(b.resumed, 9);
  assert_int_equal(b.run, 15);
  assert_int_equal(cr_exp_results_read(b.csv_path, &m, &rows, &n, &trunc), 0);
  assert_int_equal(trunc, 0);
  assert_int_equal(n, 24);
  int seen[24] = {0};
  for (long i = 0; i < n; i++) seen[rows[i].trial]++;
  for (int t = 0; t < 24; t++) assert_int_equal(seen[t], 1);
  free(rows);
  long nr, nc;
  char *sr = canonical(ref.csv_path, &nr), *sc = canonical(b.csv_path, &nc);
  assert_string_equal(sr, sc);
  free(sr);
  free(sc);
  // A complete run re-run does nothing.
  cr_exp_run_stats c = run(&cfg, "crash", 2, 1, 1, 0);
  assert_int_equal(c.run, 0);
  assert_int_equal(c.resumed, 24);
}

static void test_resume_refuses_another_config(void **state) {
  (void)state;
  cr_exp_config cfg, changed;
  load("c1.cfg", cfg_text, &cfg);
  run(&cfg, "cc", 1, 1, 1, 3);
  load("c2.cfg", "trials = 12;\nseed = 9;\n", &changed);
  cr_exp_run_options o = cr_exp_run_defaults();
  cr_exp_run_stats st;
  assert_int_equal(cr_exp_run(&changed, cr_test_path("cc"), &o, &st), CR_EINVAL);
  assert_non_null(strstr(cr_last_error(), "another config"));
  // The same config as another shard split is refused too.
  o.shard_k = 1, o.shard_n = 1;
  assert_int_equal(cr_exp_run(&cfg, cr_test_path("cc"), &o, &st), 0); // same: resumes
  assert_int_equal(st.resumed, 3);
  o.shard_k = 2, o.shard_n = 1;
  assert_int_equal(cr_exp_run(&cfg, cr_test_path("cc"), &o, &st), CR_EINVAL);
}

static void test_identity_trial_keeps_the_start(void **state) {
  (void)state;
  cr_exp_config cfg;
  load("i.cfg",
       "trial = \"identity\";\ntrials = 10;\nstart = { rotation_deg = 3.0; translation_mm = 3.0; "
       "};\n",
       &cfg);
  cr_exp_run_stats st = run(&cfg, "ident", 2, 1, 1, 0);
  cr_exp_meta m;
  cr_exp_row *rows;
  long n;
  assert_int_equal(cr_exp_results_read(st.csv_path, &m, &rows, &n, NULL), 0);
  assert_int_equal(n, 10);
  for (long i = 0; i < n; i++) {
    assert_near(rows[i].final_mtre_mm, rows[i].init_mtre_mm, 1e-9 * rows[i].init_mtre_mm);
    assert_int_equal(rows[i].evals, 0);
    assert_int_equal(rows[i].success, rows[i].init_mtre_mm < 2.0);
    // Range mode: 2 mm bins around the drawn initial mTRE.
    assert_true(rows[i].bin_lo_mm <= rows[i].init_mtre_mm &&
                rows[i].init_mtre_mm < rows[i].bin_hi_mm);
    assert_near(rows[i].bin_hi_mm - rows[i].bin_lo_mm, 2.0, 0);
  }
  free(rows);
}

int main(void) {
  cr_gsl_quiet();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_threads_do_not_change_rows),
      cmocka_unit_test(test_shards_merge_to_the_unsharded_run),
      cmocka_unit_test(test_resume_after_crash),
      cmocka_unit_test(test_resume_refuses_another_config),
      cmocka_unit_test(test_identity_trial_keeps_the_start),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
