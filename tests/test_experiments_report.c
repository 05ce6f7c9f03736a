// The HTML experiment report: one self-contained file (no external URL, every image a
// data: URL) that headless Chromium opens and draws: the summary table has a row per
// method, every figure and every embedded image is on the screenshot and not blank
// (method colours inside each figure's box, pixel variance inside each image's box).
// Sharded runs report without merging; bad input leaves no file.
#include "testutil.h"

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/image.h"
#include "experiments/report.h"
#include "experiments/results.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define N_TRIALS 24

static const char cfg_text[] = "trials = 12;\nsuccess_mm = 3.0;\n"
                               "methods = ( { name = \"alpha\"; }, { name = \"beta\"; } );\n";

// Trial t of a made-up run: two methods, errors growing with the start error.
static cr_exp_row make_row(long t) {
  cr_exp_row r;
  memset(&r, 0, sizeof r);
  r.trial = t, r.sample = t / 2;
  snprintf(r.method, sizeof r.method, "%s", t % 2 ? "beta" : "alpha");
  r.bin_lo_mm = (double)(t / 2 % 3) * 5, r.bin_hi_mm = r.bin_lo_mm + 5;
  r.init_mtre_mm = r.bin_lo_mm + 0.4 * (double)(t % 5) + 0.3;
  r.final_mtre_mm = 0.2 + 0.15 * (double)t * (t % 2 ? 1.5 : 1.0);
  r.success = r.final_mtre_mm < 3;
  r.depth_err_mm = 0.8 * r.final_mtre_mm, r.inplane_err_mm = 0.3 * r.final_mtre_mm;
  r.inplane_err_px = 2 * r.inplane_err_mm;
  r.evals = 100 + t, r.time_s = 0.5 + 0.05 * (double)t;
  r.status = t == 23 ? CR_EEMPTY : 0; // one failed trial
  return r;
}

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

// Writes the rows t with t % n == k - 1 as a results file of shard k/n into dir.
static void write_results(const char *dir, int k, int n, uint64_t hash) {
  cr_exp_meta meta = {.config_hash = hash, .total = N_TRIALS, .shard_k = k, .shard_n = n};
  snprintf(meta.version, sizeof meta.version, "test");
  snprintf(meta.config_path, sizeof meta.config_path, "test.cfg");
  char path[PATH_MAX + 64];
  if (n == 1)
    snprintf(path, sizeof path, "%s/results.csv", dir);
  else
    snprintf(path, sizeof path, "%s/results-shard%d-of-%d.csv", dir, k, n);
  unsigned char done[N_TRIALS];
  long n_done;
  cr_exp_results *res;
  assert_int_equal(cr_exp_results_open(path, &meta, done, &n_done, &res), 0);
  for (long t = k - 1; t < N_TRIALS; t += n) {
    cr_exp_row r = make_row(t);
    char line[CR_EXP_CSV_LINE_MAX];
    assert_true(cr_exp_row_format(&r, line, sizeof line) > 0);
    assert_int_equal(cr_exp_results_append(res, line), 0);
  }
  assert_int_equal(cr_exp_results_close(res), 0);
}

// A colourful photo and an overlay for trial t.
static void write_images(const char *dir, long t) {
  char path[PATH_MAX + 64];
  snprintf(path, sizeof path, "%s/images", dir);
  mkdir(path, 0777);
  cr_image *img = cr_image_new(64, 48, 3);
  assert_non_null(img);
  for (int v = 0; v < 48; v++)
    for (int u = 0; u < 64; u++) {
      float *p = cr_image_px(img, u, v);
      p[0] = (float)(4 * u), p[1] = (float)(5 * v), p[2] = (float)((u * v) % 256);
    }
  snprintf(path, sizeof path, "%s/images/trial_%04ld_photo.png", dir, t);
  assert_int_equal(cr_image_write(path, img, 8), 0);
  snprintf(path, sizeof path, "%s/images/trial_%04ld_overlay.png", dir, t);
  assert_int_equal(cr_image_write(path, img, 8), 0);
  cr_image_free(img);
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = malloc((size_t)n + 1);
  assert_non_null(s);
  assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
  s[n] = 0;
  fclose(f);
  return s;
}

static int count(const char *s, const char *what) {
  int n = 0;
  for (const char *p = s; (p = strstr(p, what)); p += strlen(what)) n++;
  return n;
}

// One file: no URL of any scheme but data:, no external script, style or frame.
static void check_self_contained(const char *html) {
  assert_null(strstr(html, "http://"));
  assert_null(strstr(html, "https://"));
  assert_null(strstr(html, "<link"));
  assert_null(strstr(html, "<iframe"));
  assert_null(strstr(html, "url("));
  for (const char *p = html; (p = strstr(p, "src=")); p += 4) {
    const char q = p[4];
    assert_true(q == '\'' || q == '"');
    assert_int_equal(strncmp(p + 5, "data:", 5), 0);
  }
  assert_null(strstr(html, "href="));
}

static int chromium_available(void) {
  return cr_test_system("command -v chromium >/dev/null 2>&1") == 0;
}

// Headless Chromium on the report: the DOM after its scripts ran into dom_path.
static int chromium_dom(const char *html, const char *dom_path) {
  return cr_test_system("chromium --headless --no-sandbox --disable-gpu --hide-scrollbars "
                        "--disable-dev-shm-usage --virtual-time-budget=3000 --user-data-dir='%s' "
                        "--window-size=1400,1200 --dump-dom 'file://%s' >'%s' 2>/dev/null",
                        cr_test_path("chrome-profile"), html, dom_path);
}

// A screenshot 1400 x height of the report into shot_path.
static int chromium_shot(const char *html, const char *shot_path, int height) {
  return cr_test_system("chromium --headless --no-sandbox --disable-gpu --hide-scrollbars "
                        "--disable-dev-shm-usage --virtual-time-budget=3000 --user-data-dir='%s' "
                        "--window-size=1400,%d --screenshot='%s' 'file://%s' >/dev/null 2>&1",
                        cr_test_path("chrome-profile"), height, shot_path, html);
}

// The x,y,w,h of the n-th element of the dumped DOM whose opening tag starts with `tag`.
static int rect_of(const char *dom, const char *tag, int n, int r[4]) {
  const char *p = dom;
  for (int i = 0; i <= n; i++) {
    if (!(p = strstr(p, tag))) return -1;
    if (i < n) p += strlen(tag);
  }
  const char *end = strchr(p, '>'), *d = strstr(p, "data-rect=\"");
  if (!d || d > end) return -1;
  return sscanf(d + 11, "%d,%d,%d,%d", &r[0], &r[1], &r[2], &r[3]) == 4 ? 0 : -1;
}

// Pixels inside rect r of the screenshot that are strongly coloured (max - min channel
// > 90: the method colours; axes, grid and text are grey), and the grey-level variance.
static void region_stats(const cr_image *img, const int r[4], long *coloured, double *variance) {
  double s = 0, s2 = 0;
  long n = 0;
  *coloured = 0;
  for (int v = r[1]; v < r[1] + r[3] && v < img->height; v++)
    for (int u = r[0]; u < r[0] + r[2] && u < img->width; u++) {
      const float *p = cr_image_px(img, u, v);
      float mx = fmaxf(p[0], fmaxf(p[1], p[2])), mn = fminf(p[0], fminf(p[1], p[2]));
      *coloured += mx - mn > 90;
      double g = (p[0] + p[1] + p[2]) / 3.0;
      s += g, s2 += g * g, n++;
    }
  *variance = n ? s2 / (double)n - (s / (double)n) * (s / (double)n) : 0;
}

static void test_report_in_chromium(void **state) {
  (void)state;
  char dir[PATH_MAX];
  assert_non_null(realpath(cr_test_dir(), dir));
  strcat(dir, "/run");
  mkdir(dir, 0777);
  char path[PATH_MAX + 64], html[PATH_MAX + 64];
  snprintf(path, sizeof path, "%s/config.cfg", dir);
  write_text(path, cfg_text);
  write_results(dir, 1, 1, 0x1234);
  write_images(dir, 0);
  write_images(dir, 3);
  snprintf(html, sizeof html, "%s/report.html", dir);
  cr_exp_report_options o = cr_exp_report_defaults();
  assert_int_equal(cr_exp_report_write(dir, html, &o), 0);
  char *text = slurp(html);
  assert_non_null(text);
  check_self_contained(text);
  assert_non_null(strstr(text, "success: final mTRE &lt; 3 mm")); // from config.cfg
  assert_non_null(strstr(text, "24 of 24 trials from 1 results file"));
  free(text);

  if (!chromium_available()) {
    fprintf(stderr, "SKIP: chromium is not installed (apt-get install chromium), the report "
                    "was checked as text only\n");
    exit(CR_TEST_SKIP);
  }
  const char *dom_path = cr_test_path("dom.html"), *shot_path = cr_test_path("shot.png");
  assert_int_equal(chromium_dom(html, dom_path), 0);
  char *dom = slurp(dom_path);
  assert_non_null(dom);
  // the scripts ran (the geometry is in the DOM) and the summary has a row per method
  const char *body = strstr(dom, "data-height=\"");
  assert_non_null(body);
  int height = atoi(body + 13);
  assert_true(height > 1000 && height < 30000);
  const char *sum = strstr(dom, "id=\"summary\""), *sum_end = sum ? strstr(sum, "</table>") : NULL;
  assert_non_null(sum_end);
  int rows_in_summary = 0;
  for (const char *p = sum; (p = strstr(p, "<tr")) && p < sum_end; p += 3) rows_in_summary++;
  assert_int_equal(rows_in_summary, 3); // header + alpha + beta
  const char *trials = strstr(dom, "id=\"trials\"");
  assert_non_null(trials);
  assert_int_equal(count(trials, "<tr"), N_TRIALS + 1);
  const char *figs[] = {
      "<figure class=\"fig\" id=\"fig-scatter\"", "<figure class=\"fig\" id=\"fig-success\"",
      "<figure class=\"fig\" id=\"fig-split\"", "<figure class=\"fig\" id=\"fig-time\""};
  assert_int_equal(count(dom, "<figure class=\"fig\""), 4);
  assert_int_equal(count(dom, "<img class=\"shot-img\""), 4); // two trials, photo + overlay

  assert_int_equal(chromium_shot(html, shot_path, height), 0);
  cr_image *shot = NULL;
  assert_int_equal(cr_image_read(shot_path, &shot, NULL), 0);
  assert_true(shot->channels >= 3);
  assert_int_equal(shot->height, height);
  for (int i = 0; i < 4; i++) {
    int r[4];
    long coloured;
    double var;
    assert_int_equal(rect_of(dom, figs[i], 0, r), 0);
    assert_true(r[2] > 200 && r[3] > 150);
    region_stats(shot, r, &coloured, &var);
    // the legend is in the method colours too: what counts is outside it
    const char *fig = strstr(dom, figs[i]), *fig_end = strstr(fig, "</figure>");
    const char *leg = strstr(fig, "<g class=\"legend\"");
    if (leg && leg < fig_end) {
      int lr[4];
      long lc;
      double lv;
      assert_int_equal(rect_of(leg, "<g class=\"legend\"", 0, lr), 0);
      region_stats(shot, lr, &lc, &lv);
      coloured -= lc;
    }
    int marks = 0;
    for (const char *p = fig; (p = strstr(p, "class=\"mark\"")) && p < fig_end; p++) marks++;
    if (coloured < 100 || marks < 4)
      print_error("%s: %d marks, %ld coloured pixels outside the legend\n", figs[i], marks,
                  coloured);
    assert_true(marks >= 4);
    assert_true(coloured >= 100); // data marks drawn in the method colours
  }
  for (int i = 0; i < 4; i++) {
    int r[4];
    long coloured;
    double var;
    assert_int_equal(rect_of(dom, "<img class=\"shot-img\"", i, r), 0);
    assert_true(r[2] >= 300 && r[3] >= 200); // decoded and laid out at 320 px
    region_stats(shot, r, &coloured, &var);
    assert_true(var > 100); // the gradient image, not an empty box
  }
  cr_image_free(shot);
  free(dom);
}

static void test_report_of_shards(void **state) {
  (void)state;
  char dir[PATH_MAX], html[PATH_MAX + 64];
  assert_non_null(realpath(cr_test_dir(), dir));
  strcat(dir, "/shards");
  mkdir(dir, 0777);
  write_results(dir, 1, 2, 0x99);
  snprintf(html, sizeof html, "%s/r.html", dir);
  // one shard of two: an incomplete run still reports
  assert_int_equal(cr_exp_report_write(dir, html, NULL), 0);
  char *text = slurp(html);
  assert_non_null(strstr(text, "12 of 24 trials from 1 results file (incomplete run)"));
  free(text);
  write_results(dir, 2, 2, 0x99);
  assert_int_equal(cr_exp_report_write(dir, html, NULL), 0);
  text = slurp(html);
  assert_non_null(strstr(text, "24 of 24 trials from 2 results files"));
  assert_null(strstr(text, "(incomplete run)"));
  check_self_contained(text);
  free(text);
  cr_exp_meta meta;
  cr_exp_row *rows;
  long n;
  assert_int_equal(cr_exp_results_load_dir(dir, &meta, &rows, &n, NULL), 0);
  assert_int_equal(n, N_TRIALS);
  for (long i = 0; i < n; i++) assert_int_equal(rows[i].trial, i); // sorted
  free(rows);
}

static void test_report_bad_input(void **state) {
  (void)state;
  char dir[PATH_MAX], html[PATH_MAX + 64];
  assert_non_null(realpath(cr_test_dir(), dir));
  strcat(dir, "/bad");
  mkdir(dir, 0777);
  snprintf(html, sizeof html, "%s/r.html", dir);
  // no results at all
  assert_int_equal(cr_exp_report_write(dir, html, NULL), CR_EIO);
  assert_non_null(strstr(cr_last_error(), "no results.csv"));
  assert_false(cr_file_exists(html));
  // shards of two different experiments
  write_results(dir, 1, 2, 0x1);
  write_results(dir, 2, 2, 0x2);
  assert_int_equal(cr_exp_report_write(dir, html, NULL), CR_EFORMAT);
  assert_non_null(strstr(cr_last_error(), "results-shard2-of-2.csv"));
  assert_false(cr_file_exists(html));
  // an output folder that does not exist
  assert_int_not_equal(cr_exp_report_write(dir, "/nonexistent/dir/r.html", NULL), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_report_of_shards),
      cmocka_unit_test(test_report_bad_input),
      cmocka_unit_test(test_report_in_chromium),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
