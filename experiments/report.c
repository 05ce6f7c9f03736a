// The experiment report: results of a run folder (merged or sharded) -> one HTML file
// with everything inline (CSS, JS, SVG figures, base64 PNG images).
#include "experiments/report.h"
#include "experiments/report_internal.h"

#include "core/atomic_file.h"
#include "core/error.h"

#include <dirent.h>
#include <libconfig.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

cr_exp_report_options cr_exp_report_defaults(void) {
  return (cr_exp_report_options){.success_mm = 2, .max_images = 24, .title = NULL};
}

static int by_trial(const void *a, const void *b) {
  long x = ((const cr_exp_row *)a)->trial, y = ((const cr_exp_row *)b)->trial;
  return (x > y) - (x < y);
}

// Appends the rows of one file to *rows, checking that it belongs to the same run.
static int append_file(const char *path, int first, cr_exp_meta *meta, cr_exp_row **rows, long *n) {
  cr_exp_meta m;
  cr_exp_row *r;
  long k;
  int rc = cr_exp_results_read(path, &m, &r, &k, NULL);
  if (rc) return rc;
  if (first)
    *meta = m;
  else if (m.config_hash != meta->config_hash || m.total != meta->total) {
    free(r);
    return cr_error(CR_EFORMAT,
                    "%s: another experiment (config hash or trial count differs from "
                    "the first results file)",
                    path);
  }
  cr_exp_row *all = realloc(*rows, (size_t)(*n + k + 1) * sizeof *all);
  if (!all) {
    free(r);
    return cr_error(CR_ENOMEM, "out of memory");
  }
  memcpy(all + *n, r, (size_t)k * sizeof *r);
  *rows = all, *n += k;
  free(r);
  return 0;
}

int cr_exp_results_load_dir(const char *dir, cr_exp_meta *meta, cr_exp_row **rows, long *n_rows,
                            int *n_files) {
  *rows = NULL, *n_rows = 0;
  if (n_files) *n_files = 0;
  memset(meta, 0, sizeof *meta);
  struct stat st;
  if (stat(dir, &st)) return cr_error(CR_EIO, "%s: not found", dir);
  char path[4200];
  int nf = 0, rc = 0;
  snprintf(path, sizeof path, "%s/results.csv", dir);
  if (!S_ISDIR(st.st_mode) || cr_file_exists(path)) {
    rc = append_file(S_ISDIR(st.st_mode) ? path : dir, 1, meta, rows, n_rows);
    nf = 1;
  } else {
    struct dirent **names;
    int m = scandir(dir, &names, NULL, alphasort);
    if (m < 0) return cr_error(CR_EIO, "%s: cannot list the folder", dir);
    for (int i = 0; i < m; i++) {
      const char *nm = names[i]->d_name;
      if (!rc && !strncmp(nm, "results-shard", 13) && cr_path_has_suffix(nm, ".csv")) {
        snprintf(path, sizeof path, "%s/%s", dir, nm);
        rc = append_file(path, nf == 0, meta, rows, n_rows);
        nf++;
      }
      free(names[i]);
    }
    free(names);
    if (!rc && nf == 0)
      rc = cr_error(CR_EIO, "%s: no results.csv or results-shard*.csv in this folder", dir);
  }
  if (!rc) {
    qsort(*rows, (size_t)*n_rows, sizeof **rows, by_trial);
    for (long i = 1; i < *n_rows && !rc; i++)
      if ((*rows)[i].trial == (*rows)[i - 1].trial)
        rc = cr_error(CR_EFORMAT, "%s: trial %ld appears twice in its results files", dir,
                      (*rows)[i].trial);
  }
  if (rc) free(*rows), *rows = NULL, *n_rows = 0;
  if (n_files) *n_files = rc ? 0 : nf;
  return rc;
}

void cr_exp_html_escape(FILE *f, const char *s) {
  for (; *s; s++) switch (*s) {
    case '&': fputs("&amp;", f); break;
    case '<': fputs("&lt;", f); break;
    case '>': fputs("&gt;", f); break;
    case '\'': fputs("&#39;", f); break;
    case '"': fputs("&quot;", f); break;
    default: fputc(*s, f);
    }
}

// The file's bytes as base64 (RFC 4648) to f. CR_EIO if it cannot be read.
static int put_base64_file(FILE *f, const char *path) {
  static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  FILE *in = fopen(path, "rb");
  if (!in) return cr_error(CR_EIO, "%s: cannot read", path);
  unsigned char b[3];
  size_t k;
  while ((k = fread(b, 1, 3, in)) > 0) {
    if (k < 3) memset(b + k, 0, 3 - k);
    char q[4] = {b64[b[0] >> 2], b64[((b[0] & 3) << 4) | (b[1] >> 4)],
                 k > 1 ? b64[((b[1] & 15) << 2) | (b[2] >> 6)] : '=', k > 2 ? b64[b[2] & 63] : '='};
    fwrite(q, 1, 4, f);
  }
  int err = ferror(in);
  fclose(in);
  return err ? cr_error(CR_EIO, "%s: read error", path) : 0;
}

// The config file's text (NULL if absent) and its success threshold if it sets one.
static char *read_config(const char *dir, double *success_mm) {
  char path[4400];
  snprintf(path, sizeof path, "%.4096s/config.cfg", dir);
  FILE *in = fopen(path, "rb");
  if (!in) return NULL;
  char *text = NULL;
  size_t n = 0, cap = 0, k;
  char buf[4096];
  while ((k = fread(buf, 1, sizeof buf, in)) > 0) {
    if (n + k + 1 > cap) {
      char *t = realloc(text, cap = 2 * (n + k + 1));
      if (!t) break;
      text = t;
    }
    memcpy(text + n, buf, k), n += k;
  }
  fclose(in);
  if (text) text[n] = 0;
  config_t c;
  config_init(&c);
  double v;
  if (text && config_read_string(&c, text) == CONFIG_TRUE &&
      config_lookup_float(&c, "success_mm", &v) == CONFIG_TRUE && v > 0)
    *success_mm = v;
  config_destroy(&c);
  return text;
}

static const char css[] =
    "body{font-family:sans-serif;margin:20px;max-width:1500px;color:#222}"
    "table{border-collapse:collapse;font-size:13px;margin:8px 0}"
    "th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}"
    "th{background:#eee}td.l,th.l{text-align:left}"
    "#trials th{cursor:pointer}#trials th:hover{background:#dde}"
    "pre{background:#f6f6f6;padding:8px;font-size:12px;max-height:400px;overflow:auto}"
    ".figs{display:flex;flex-wrap:wrap;gap:12px}figure.fig{margin:0;border:1px solid #ddd}"
    ".shot{display:inline-block;margin:6px;vertical-align:top;font-size:12px}"
    ".shot img{display:block;width:320px;border:1px solid #ccc}"
    "tr.fail td{color:#a00}";

// Sorting the per-trial table by a click on a header (numbers numerically), and the
// page geometry for tests (data-rect on each figure and image, data-height on body).
static const char js[] =
    "function sortBy(th){var t=th.closest('table'),b=t.tBodies[0],i=th.cellIndex,"
    "d=th.dataset.dir==='a'?'d':'a';th.dataset.dir=d;var r=Array.from(b.rows);"
    "r.sort(function(x,y){var p=x.cells[i].textContent,q=y.cells[i].textContent,"
    "a=parseFloat(p),c=parseFloat(q),v=(isNaN(a)||isNaN(c))?p.localeCompare(q):a-c;"
    "return d==='a'?v:-v});r.forEach(function(e){b.appendChild(e)})}"
    "window.addEventListener('load',function(){"
    "document.querySelectorAll('#trials th').forEach(function(th){"
    "th.addEventListener('click',function(){sortBy(th)})});"
    "document.querySelectorAll('figure.fig,img.shot-img,g.legend').forEach(function(e){"
    "var r=e.getBoundingClientRect();e.dataset.rect=[Math.round(r.left+scrollX),"
    "Math.round(r.top+scrollY),Math.round(r.width),Math.round(r.height)].join(',')});"
    "document.body.dataset.height=document.documentElement.scrollHeight});";

static void summary_table(FILE *f, const cr_exp_method_summary *m, int nm) {
  fputs("<table id='summary'><thead><tr><th class='l'>method</th><th>trials</th><th>failed</th>"
        "<th>success</th><th>median mTRE (mm)</th><th>p90 (mm)</th><th>median depth error "
        "(mm)</th><th>median in-plane error (mm)</th><th>median in-plane error (px)</th>"
        "<th>capture range (mm)</th><th>median time (s)</th><th>evaluations</th></tr></thead>"
        "<tbody>\n",
        f);
  for (int k = 0; k < nm; k++) {
    fprintf(f, "<tr><td class='l'><span style='color:%s'>&#9679;</span> ", cr_exp_report_colour(k));
    cr_exp_html_escape(f, m[k].method);
    fprintf(f,
            "</td><td>%ld</td><td>%ld</td><td>%.1f %%</td><td>%.3f</td><td>%.3f</td><td>%.3f</td>"
            "<td>%.3f</td><td>%.2f</td><td>%.1f</td><td>%.3f</td><td>%.0f</td></tr>\n",
            m[k].trials, m[k].failed, m[k].success_pct, m[k].median_mm, m[k].p90_mm,
            m[k].median_depth_mm, m[k].median_inplane_mm, m[k].median_inplane_px, m[k].capture_mm,
            m[k].median_s, m[k].mean_evals);
  }
  fputs("</tbody></table>\n<p>Medians over all trials of a method; a failed trial (status "
        "&ne; 0) counts as infinitely wrong. Depth error: mean |displacement| of the targets "
        "along the true optical axis; in-plane: across it (docs/design.md, error split). "
        "Capture range: upper edge of the largest initial-mTRE bin up to which every bin "
        "reaches 95 % success.</p>\n",
        f);
}

static void trial_table(FILE *f, const cr_exp_row *rows, long n) {
  static const char *const head[] = {"trial",         "sample",        "method",     "status",
                                     "bin (mm)",      "init mTRE",     "final mTRE", "depth (mm)",
                                     "in-plane (mm)", "in-plane (px)", "proj (px)",  "rot (deg)",
                                     "trans (mm)",    "success",       "evals",      "time (s)"};
  fputs("<p>Click a column header to sort.</p><table id='trials'><thead><tr>", f);
  for (size_t i = 0; i < sizeof head / sizeof *head; i++)
    fprintf(f, "<th%s>%s</th>", i == 2 ? " class='l'" : "", head[i]);
  fputs("</tr></thead><tbody>\n", f);
  for (long i = 0; i < n; i++) {
    const cr_exp_row *r = &rows[i];
    fprintf(f, "<tr%s><td>%ld</td><td>%ld</td><td class='l'>", r->status ? " class='fail'" : "",
            r->trial, r->sample);
    cr_exp_html_escape(f, r->method);
    fprintf(f,
            "</td><td>%d</td><td>%g-%g</td><td>%.3f</td><td>%.3f</td><td>%.3f</td><td>%.3f</td>"
            "<td>%.2f</td><td>%.2f</td><td>%.3f</td><td>%.3f</td><td>%d</td><td>%ld</td>"
            "<td>%.2f</td></tr>\n",
            r->status, r->bin_lo_mm, r->bin_hi_mm, r->init_mtre_mm, r->final_mtre_mm,
            r->depth_err_mm, r->inplane_err_mm, r->inplane_err_px, r->final_proj_px, r->rot_err_deg,
            r->trans_err_mm, r->success, r->evals, r->time_s);
  }
  fputs("</tbody></table>\n", f);
}

// Trials with saved images: photo and overlay inline, with the error split.
static int images_section(FILE *f, const char *dir, const cr_exp_row *rows, long n, int max) {
  int shown = 0, rc = 0;
  for (long i = 0; i < n && shown < max && !rc; i++) {
    char photo[4400], overlay[4400];
    snprintf(photo, sizeof photo, "%.4096s/images/trial_%04ld_photo.png", dir, rows[i].trial);
    snprintf(overlay, sizeof overlay, "%.4096s/images/trial_%04ld_overlay.png", dir, rows[i].trial);
    if (!cr_file_exists(photo) || !cr_file_exists(overlay)) continue;
    if (!shown++)
      fputs("<h2 id='images'>Trials with images</h2><p>Left: the synthetic photo; right: the "
            "registered render's edges (red) on the prepared photo.</p>\n",
            f);
    const cr_exp_row *r = &rows[i];
    fprintf(f, "<div class='trial-images'><h3>trial %ld (", r->trial);
    cr_exp_html_escape(f, r->method);
    fprintf(f,
            ")</h3><p>initial mTRE %.2f mm &rarr; final %.3f mm (%s); depth error %.3f mm, "
            "in-plane %.3f mm = %.2f px</p>\n<div class='shot'>photo<img class='shot-img' "
            "alt='photo' src='data:image/png;base64,",
            r->init_mtre_mm, r->final_mtre_mm, r->success ? "success" : "failure", r->depth_err_mm,
            r->inplane_err_mm, r->inplane_err_px);
    rc = put_base64_file(f, photo);
    fputs("'></div><div class='shot'>registered overlay<img class='shot-img' alt='overlay' "
          "src='data:image/png;base64,",
          f);
    if (!rc) rc = put_base64_file(f, overlay);
    fputs("'></div></div>\n", f);
  }
  return rc;
}

int cr_exp_report_write(const char *dir, const char *out_path, const cr_exp_report_options *opt) {
  cr_exp_report_options o = opt ? *opt : cr_exp_report_defaults();
  cr_exp_meta meta;
  cr_exp_row *rows;
  long n;
  int n_files, rc = cr_exp_results_load_dir(dir, &meta, &rows, &n, &n_files);
  if (rc) return rc;
  struct stat st;
  char base[4096];
  snprintf(base, sizeof base, "%s", dir);
  if (!stat(dir, &st) && !S_ISDIR(st.st_mode)) { // a CSV: its folder holds config and images
    char *slash = strrchr(base, '/');
    if (slash)
      *slash = 0;
    else
      snprintf(base, sizeof base, ".");
  }
  double success_mm = o.success_mm;
  char *config = read_config(base, &success_mm);
  cr_exp_method_summary *m = NULL;
  int nm = 0;
  rc = cr_exp_summarize(rows, n, &m, &nm);
  cr_atomic_file af;
  if (!rc) rc = cr_atomic_begin(&af, out_path, 1);
  if (rc) {
    free(rows), free(config), free(m);
    return rc;
  }
  FILE *f = af.fp;
  const char *title = o.title ? o.title : base;
  fputs("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>camreg experiment: ",
        f);
  cr_exp_html_escape(f, title);
  fprintf(f, "</title><style>%s</style><script>%s</script></head><body>\n<h1>Experiment ", css, js);
  cr_exp_html_escape(f, title);
  fprintf(f, "</h1>\n<p>camreg %s; config ", meta.version);
  cr_exp_html_escape(f, meta.config_path);
  fprintf(f,
          " (hash %016llx); %ld of %ld trials from %d results file%s%s; success: final mTRE "
          "&lt; %g mm.</p>\n",
          (unsigned long long)meta.config_hash, n, meta.total, n_files, n_files == 1 ? "" : "s",
          meta.total && n < meta.total ? " (incomplete run)" : "", success_mm);
  fputs("<h2 id='summary-h'>Summary per method</h2>\n", f);
  summary_table(f, m, nm);
  fputs("<h2 id='figures'>Figures</h2><div class='figs'>\n", f);
  cr_exp_report_figures(f, rows, n, m, nm, success_mm);
  fputs("</div>\n", f);
  rc = images_section(f, base, rows, n, o.max_images);
  fputs("<h2 id='trials-h'>Trials</h2>\n", f);
  trial_table(f, rows, n);
  fputs("<h2 id='config'>Configuration</h2>\n", f);
  if (config) {
    fputs("<pre>", f);
    cr_exp_html_escape(f, config);
    fputs("</pre>\n", f);
  } else
    fputs("<p>(no config.cfg beside the results)</p>\n", f);
  fputs("</body></html>\n", f);
  if (!rc)
    rc = cr_atomic_commit(&af);
  else
    cr_atomic_abort(&af);
  free(rows), free(config), free(m);
  return rc;
}
