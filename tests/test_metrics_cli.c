// `camreg metric` and `camreg bench-metrics`: values match the library, errors are clear.
#include "testutil.h"

#include "core/error.h"
#include "core/image.h"
#include "metrics/metric.h"
#include "metrics/pattern.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// Runs a command, captures stdout+stderr into out, returns the exit status.
static int run_capture(char *out, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int run_capture(char *out, size_t len, const char *fmt, ...) {
  char cmd[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  strncat(cmd, " 2>&1", sizeof cmd - strlen(cmd) - 1);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  size_t n = fread(out, 1, len - 1, p);
  out[n] = 0;
  int rc = pclose(p);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static const char *exe;

static void write_inputs(void) {
  cr_image *f = cr_metrics_pattern(48, 40, 0, 0, 0, 1),
           *g = cr_metrics_pattern(48, 40, 1, 1, 0.05, 1);
  cr_image *rgb = cr_image_new(48, 40, 3), *mask = cr_image_new(48, 40, 1);
  for (int y = 0; y < 40; y++)
    for (int x = 0; x < 48; x++) {
      float *p = cr_image_px(rgb, x, y);
      p[0] = 1000.0f, p[1] = 60000.0f * cr_image_row(f, y)[x], p[2] = 5.0f; // green: the pattern
      cr_image_row(mask, y)[x] = (x > 5 && x < 40 && y > 4) ? 255.0f : 0.0f;
    }
  assert_int_equal(cr_image_write(cr_test_path("f.tif"), f, 32), 0);
  // (16-bit PNG: OpenCV stores 3-channel float TIFF lossily, with LogLuv compression)
  assert_int_equal(cr_image_write(cr_test_path("rgb.png"), rgb, 16), 0);
  assert_int_equal(cr_image_write(cr_test_path("g.tif"), g, 32), 0);
  assert_int_equal(cr_image_write(cr_test_path("g.nii"), g, 32), 0);
  assert_int_equal(cr_image_write(cr_test_path("mask.png"), mask, 8), 0);
  cr_image_free(f), cr_image_free(g), cr_image_free(rgb), cr_image_free(mask);
}

// The library's value for fixed = `fixed_path` (channel `channel`) and the moving pattern.
static double library_value(const cr_metric_type *t, int masked, const char *fixed_path,
                            int channel) {
  cr_image *rd, *g = cr_metrics_pattern(48, 40, 1, 1, 0.05, 1);
  assert_int_equal(cr_image_read(fixed_path, &rd, NULL), 0);
  cr_image *f = cr_image_to_grey(rd, channel, NULL);
  cr_image_free(rd);
  cr_image *mask = cr_image_new(48, 40, 1);
  for (int y = 0; y < 40; y++)
    for (int x = 0; x < 48; x++)
      cr_image_row(mask, y)[x] = (x > 5 && x < 40 && y > 4) ? 1.0f : 0.0f;
  cr_metric *m = cr_metric_new(t, f, masked ? mask : NULL, NULL);
  double v = NAN;
  assert_int_equal(cr_metric_eval(m, g, &v), 0);
  cr_metric_free(m);
  cr_image_free(f), cr_image_free(g), cr_image_free(mask);
  return v;
}

static void test_metric_values_match_library(void **state) {
  (void)state;
  char out[8192], name[32], dir[32];
  double v;
  write_inputs();
  // a colour fixed image reduced to its green channel, NIfTI moving, PNG mask
  assert_int_equal(
      run_capture(out, sizeof out, "%s metric %s %s --mask %s --metric all --channel g", exe,
                  cr_test_path("rgb.png"), cr_test_path("g.nii"), cr_test_path("mask.png")),
      0);
  const char *p = out;
  int lines = 0, consumed;
  while (sscanf(p, "%31s %lf (%31s is better)\n%n", name, &v, dir, &consumed) == 3) {
    const cr_metric_type *t = cr_metric_find(name);
    assert_non_null(t);
    assert_string_equal(dir, t->larger_is_better ? "larger" : "smaller");
    assert_near(v, library_value(t, 1, cr_test_path("rgb.png"), 1), 1e-9 * (1 + fabs(v)));
    p += consumed, lines++;
  }
  assert_int_equal(lines, 11);
  assert_int_equal(run_capture(out, sizeof out, "%s metric %s %s --metric ncc", exe,
                               cr_test_path("f.tif"), cr_test_path("g.tif")),
                   0);
  assert_int_equal(sscanf(out, "ncc %lf", &v), 1);
  assert_near(v, library_value(cr_metric_ncc, 0, cr_test_path("f.tif"), 0), 1e-9);
}

static void test_metric_errors(void **state) {
  (void)state;
  char out[8192];
  write_inputs();
  cr_image *small = cr_image_new(20, 20, 1);
  assert_int_equal(cr_image_write(cr_test_path("small.tif"), small, 32), 0);
  cr_image_free(small);
  const char *f = cr_test_path("f.tif"), *g = cr_test_path("g.tif");
  assert_int_equal(
      run_capture(out, sizeof out, "%s metric %s /nonexistent/x.png --metric ncc", exe, f), 1);
  assert_non_null(strstr(out, "/nonexistent/x.png"));
  assert_int_equal(run_capture(out, sizeof out, "%s metric %s %s --metric ncc", exe, f,
                               cr_test_path("small.tif")),
                   1);
  assert_non_null(strstr(out, "same size"));
  assert_int_equal(run_capture(out, sizeof out, "%s metric %s %s --mask %s --metric ncc", exe, f, g,
                               cr_test_path("small.tif")),
                   1);
  assert_non_null(strstr(out, "mask"));
  assert_int_equal(run_capture(out, sizeof out, "%s metric %s %s --metric bogus", exe, f, g), 2);
  assert_non_null(strstr(out, "unknown metric 'bogus'"));
  assert_int_equal(run_capture(out, sizeof out, "%s metric %s %s", exe, f, g), 2);
  assert_int_equal(run_capture(out, sizeof out, "%s metric %s --metric ncc", exe, f), 2);
  assert_int_equal(run_capture(out, sizeof out, "%s metric %s %s --metric mi --bins 1", exe, f, g),
                   2);
  assert_non_null(strstr(out, "--bins"));
  assert_int_equal(
      run_capture(out, sizeof out, "%s metric %s %s --metric ncc --channel x", exe, f, g), 2);
  assert_int_equal(run_capture(out, sizeof out, "%s metric %s %s --metric ncc --channel 3", exe,
                               cr_test_path("rgb.png"), g),
                   1);
  assert_non_null(strstr(out, "channel 3"));
  assert_int_equal(run_capture(out, sizeof out, "%s metric --help", exe), 0);
  assert_non_null(strstr(out, "usage: camreg metric"));
}

static void test_bench_runs(void **state) {
  (void)state;
  char out[8192];
  assert_int_equal(run_capture(out, sizeof out, "%s bench-metrics --size 32 --min-time 0.001", exe),
                   0);
  for (int i = 0; cr_metric_types[i]; i++) {
    char key[16];
    snprintf(key, sizeof key, "\n%-5s ", cr_metric_types[i]->name);
    assert_non_null(strstr(out, key));
  }
  assert_int_equal(run_capture(out, sizeof out, "%s bench-metrics --size 3", exe), 2);
  assert_int_equal(run_capture(out, sizeof out, "%s bench-metrics --metric nope", exe), 2);
}

int main(void) {
  exe = cr_test_camreg();
  if (access(exe, X_OK) != 0) {
    fprintf(stderr, "SKIP: camreg executable '%s' not built\n", exe);
    return CR_TEST_SKIP;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_metric_values_match_library),
      cmocka_unit_test(test_metric_errors),
      cmocka_unit_test(test_bench_runs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
