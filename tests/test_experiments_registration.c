// The registration trial end to end on a small phantom (synthetic photo -> render cost ->
// registration loop): runs without error, stays inside its budget, and gives the same
// rows for 1 and 2 threads (the renderer's and metrics' own OpenMP included), a two-view
// (stereo) method included.
#include "testutil.h"

#include "core/error.h"
#include "experiments/config.h"
#include "experiments/results.h"
#include "experiments/runner.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int by_trial(const void *a, const void *b) {
  long x = ((const cr_exp_row *)a)->trial, y = ((const cr_exp_row *)b)->trial;
  return (x > y) - (x < y);
}

static cr_exp_row *run_rows(const cr_exp_config *cfg, const char *dir, int threads, long *n) {
  cr_exp_run_options o = cr_exp_run_defaults();
  o.threads = threads;
  cr_exp_run_stats st;
  int rc = cr_exp_run(cfg, cr_test_path(dir), &o, &st);
  if (rc) print_error("%s\n", cr_last_error());
  assert_int_equal(rc, 0);
  cr_exp_meta m;
  cr_exp_row *rows;
  assert_int_equal(cr_exp_results_read(st.csv_path, &m, &rows, n, NULL), 0);
  qsort(rows, (size_t)*n, sizeof *rows, by_trial);
  return rows;
}

static void test_registration_trial_on_phantom(void **state) {
  (void)state;
  cr_volume *vol = cr_test_small_phantom("RAS", 0);
  assert_non_null(vol);
  const char *nii = cr_test_path("phantom.nii.gz");
  assert_int_equal(cr_volume_save(nii, vol), 0);
  cr_volume_free(vol);
  const char *cfg_path = cr_test_path("reg.cfg");
  FILE *f = fopen(cfg_path, "w");
  assert_non_null(f);
  fprintf(f,
          "trial = \"registration\";\nvolume = { file = \"%s\"; threshold = 100.0; };\n"
          "camera = { width = 96; height = 72; fov_deg = 40.0; };\n"
          "views = { distance_mm = [150.0, 180.0]; opening_mm = 50.0; targets = 32; };\n"
          "photo = { supersample = 1; jpeg_quality = 0; occluders = 0; noise = 1.0; };\n"
          "registration = { mode = \"probe\"; metric = \"ncc\"; optimizer = \"powell\"; levels = 1;"
          " max_evals = 40; starts = 1; };\n"
          "methods = ( { name = \"probe\"; }, { name = \"mesh\"; mode = \"mesh\"; metric = "
          "\"ngf\"; },\n { name = \"stereo\"; view_set = \"stereo\"; baseline_mm = 25.0; } );\n"
          "start = { bins_mm = [2.0, 3.0]; };\ntrials = 2;\nseed = 4;\n",
          nii);
  fclose(f);
  cr_exp_config cfg;
  assert_int_equal(cr_exp_config_load(cfg_path, &cfg), 0);
  long n1, n2;
  cr_exp_row *a = run_rows(&cfg, "r1", 1, &n1), *b = run_rows(&cfg, "r2", 2, &n2);
  assert_int_equal(n1, 6); // 2 samples x 3 methods (ray-cast probe, mesh raster, stereo)
  assert_int_equal(n2, 6);
  int mesh_rows = 0;
  for (long i = 0; i < n1; i++) {
    if (a[i].status) print_error("trial %ld: status %d\n", a[i].trial, a[i].status);
    assert_int_equal(a[i].status, 0);
    assert_true(a[i].evals > 0 && a[i].evals <= 40);
    assert_true(a[i].init_mtre_mm >= 2.0 - 1e-9 && a[i].init_mtre_mm <= 3.0 + 1e-9);
    assert_true(isfinite(a[i].final_mtre_mm));
    mesh_rows += !strcmp(a[i].method, "mesh");
    a[i].time_s = b[i].time_s = 0;
    char la[CR_EXP_CSV_LINE_MAX], lb[CR_EXP_CSV_LINE_MAX];
    assert_true(cr_exp_row_format(&a[i], la, sizeof la) > 0);
    assert_true(cr_exp_row_format(&b[i], lb, sizeof lb) > 0);
    assert_string_equal(la, lb);
  }
  assert_int_equal(mesh_rows, 2);
  // The stereo method's evaluations count both views' renders as one cost evaluation.
  assert_true(a[2].evals > 0 && !strcmp(a[2].method, "stereo"));
  free(a);
  free(b);
}

int main(void) {
  cr_gsl_quiet();
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_registration_trial_on_phantom)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
