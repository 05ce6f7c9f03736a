// Results CSV: row format, append with fsync, resume, read, merge.
#include "experiments/results.h"

#include "core/atomic_file.h"
#include "core/error.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct cr_exp_results {
  FILE *fp;
  char path[4096];
};

static const char header[] =
    "trial,sample,method,status,bin_lo_mm,bin_hi_mm,init_mtre_mm,final_mtre_mm,init_proj_px,"
    "final_proj_px,rot_err_deg,trans_err_mm,success,evals,time_s,gt_rx,gt_ry,gt_rz,gt_tx,gt_ty,"
    "gt_tz,final_rx,final_ry,final_rz,final_tx,final_ty,final_tz,depth_err_mm,inplane_err_mm,"
    "inplane_err_px";
#define N_COLUMNS 30

const char *cr_exp_csv_header(void) {
  return header;
}

int cr_exp_row_format(const cr_exp_row *r, char *buf, size_t cap) {
  int n = snprintf(
      buf, cap,
      "%ld,%ld,%s,%d,%.10g,%.10g,%.10g,%.10g,%.10g,%.10g,%.10g,%.10g,%d,%ld,%.6f,"
      "%.10g,%.10g,%.10g,%.10g,%.10g,%.10g,%.10g,%.10g,%.10g,%.10g,%.10g,%.10g,%.10g,%.10g,%.10g\n",
      r->trial, r->sample, r->method, r->status, r->bin_lo_mm, r->bin_hi_mm, r->init_mtre_mm,
      r->final_mtre_mm, r->init_proj_px, r->final_proj_px, r->rot_err_deg, r->trans_err_mm,
      r->success, r->evals, r->time_s, r->gt_rvec[0], r->gt_rvec[1], r->gt_rvec[2], r->gt_tvec[0],
      r->gt_tvec[1], r->gt_tvec[2], r->final_rvec[0], r->final_rvec[1], r->final_rvec[2],
      r->final_tvec[0], r->final_tvec[1], r->final_tvec[2], r->depth_err_mm, r->inplane_err_mm,
      r->inplane_err_px);
  return n < 0 || (size_t)n >= cap ? -1 : n;
}

static int parse_long(const char *s, long *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (end == s || *end || errno) return -1;
  *out = v;
  return 0;
}

static int parse_dbl(const char *s, double *out) {
  char *end;
  double v = strtod(s, &end);
  if (end == s || *end) return -1;
  *out = v;
  return 0;
}

int cr_exp_row_parse(const char *line, cr_exp_row *r) {
  char buf[CR_EXP_CSV_LINE_MAX], *f[N_COLUMNS + 1];
  size_t len = strcspn(line, "\r\n");
  if (len >= sizeof buf) return cr_error(CR_EFORMAT, "row too long");
  memcpy(buf, line, len);
  buf[len] = 0;
  int n = 0;
  for (char *p = buf; n <= N_COLUMNS;) {
    f[n++] = p;
    char *c = strchr(p, ',');
    if (!c) break;
    *c = 0;
    p = c + 1;
  }
  if (n != N_COLUMNS) return cr_error(CR_EFORMAT, "row has %d fields, expected %d", n, N_COLUMNS);
  memset(r, 0, sizeof *r);
  long st, succ;
  double *dst[] = {&r->bin_lo_mm,    &r->bin_hi_mm,     &r->init_mtre_mm, &r->final_mtre_mm,
                   &r->init_proj_px, &r->final_proj_px, &r->rot_err_deg,  &r->trans_err_mm};
  int bad = parse_long(f[0], &r->trial) || parse_long(f[1], &r->sample) || parse_long(f[3], &st) ||
            parse_long(f[12], &succ) || parse_long(f[13], &r->evals) ||
            parse_dbl(f[14], &r->time_s) || strlen(f[2]) >= sizeof r->method || !f[2][0];
  for (int i = 0; i < 8 && !bad; i++) bad = parse_dbl(f[4 + i], dst[i]);
  for (int i = 0; i < 3 && !bad; i++)
    bad = parse_dbl(f[15 + i], &r->gt_rvec[i]) || parse_dbl(f[18 + i], &r->gt_tvec[i]) ||
          parse_dbl(f[21 + i], &r->final_rvec[i]) || parse_dbl(f[24 + i], &r->final_tvec[i]);
  if (!bad)
    bad = parse_dbl(f[27], &r->depth_err_mm) || parse_dbl(f[28], &r->inplane_err_mm) ||
          parse_dbl(f[29], &r->inplane_err_px);
  if (bad || r->trial < 0) return cr_error(CR_EFORMAT, "malformed row");
  snprintf(r->method, sizeof r->method, "%s", f[2]);
  r->status = (int)st, r->success = (int)succ;
  return 0;
}

// Reads a whole file into a NUL-terminated buffer.
static int slurp(const char *path, char **out, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return cr_error(CR_EIO, "%s: cannot open: %s", path, strerror(errno));
  size_t cap = 1 << 16, n = 0;
  char *b = malloc(cap);
  size_t got;
  while (b && (got = fread(b + n, 1, cap - n - 1, f)) > 0) {
    n += got;
    if (cap - n - 1 == 0) {
      char *nb = realloc(b, cap * 2);
      if (!nb) free(b);
      b = nb, cap *= 2;
    }
  }
  int err = ferror(f);
  fclose(f);
  if (!b) return cr_error(CR_ENOMEM, "%s: out of memory", path);
  if (err) {
    free(b);
    return cr_error(CR_EIO, "%s: read error", path);
  }
  b[n] = 0;
  *out = b, *len = n;
  return 0;
}

static void parse_meta_line(const char *line, cr_exp_meta *m) {
  unsigned long long h;
  if (sscanf(line, "# camreg_version: %31s", m->version) == 1) return;
  if (sscanf(line, "# config_hash: %llx", &h) == 1)
    m->config_hash = h;
  else if (sscanf(line, "# trials_total: %ld", &m->total) == 1)
    return;
  else if (sscanf(line, "# shard: %d/%d", &m->shard_k, &m->shard_n) == 2)
    return;
  else if (!strncmp(line, "# config: ", 10))
    snprintf(m->config_path, sizeof m->config_path, "%.*s", (int)strcspn(line + 10, "\n"),
             line + 10);
}

int cr_exp_results_read(const char *path, cr_exp_meta *meta, cr_exp_row **rows, long *n_rows,
                        int *n_truncated) {
  char *buf = NULL;
  size_t len;
  *rows = NULL, *n_rows = 0;
  if (n_truncated) *n_truncated = 0;
  memset(meta, 0, sizeof *meta);
  int rc = slurp(path, &buf, &len);
  if (rc) return rc;
  long cap = 0, n = 0, lineno = 0;
  int seen_header = 0;
  cr_exp_row *r = NULL;
  for (char *p = buf; *p && !rc;) {
    char *nl = strchr(p, '\n');
    lineno++;
    if (!nl) { // the last line without its newline: a write cut short
      if (n_truncated) *n_truncated = 1;
      break;
    }
    *nl = 0;
    if (p[0] == '#')
      parse_meta_line(p, meta);
    else if (!seen_header) {
      if (strcmp(p, header))
        rc = cr_error(CR_EFORMAT,
                      strncmp(p, header, strlen("trial,sample,method"))
                          ? "%s:%ld: not a camreg results header"
                          : "%s:%ld: results of another camreg version (its columns differ: "
                            "re-run into a new folder)",
                      path, lineno);
      seen_header = 1;
    } else if (p[0]) {
      if (n == cap) {
        cap = cap ? 2 * cap : 256;
        cr_exp_row *nr = realloc(r, (size_t)cap * sizeof *r);
        if (!nr) {
          rc = cr_error(CR_ENOMEM, "%s: out of memory", path);
          break;
        }
        r = nr;
      }
      if ((rc = cr_exp_row_parse(p, &r[n])))
        cr_error(CR_EFORMAT, "%s:%ld: malformed row", path, lineno);
      else
        n++;
    }
    p = nl + 1;
  }
  free(buf);
  if (!rc && !seen_header) rc = cr_error(CR_EFORMAT, "%s: no results header", path);
  if (rc) {
    free(r);
    return rc;
  }
  *rows = r, *n_rows = n;
  return 0;
}

static int write_head(FILE *fp, const cr_exp_meta *m) {
  return fprintf(fp,
                 "# camreg experiment results\n# camreg_version: %s\n# config: %s\n"
                 "# config_hash: %016" PRIx64 "\n# trials_total: %ld\n# shard: %d/%d\n%s\n",
                 m->version, m->config_path, m->config_hash, m->total, m->shard_k, m->shard_n,
                 header) < 0;
}

// Rewrites path atomically with the meta lines and the given rows.
static int rewrite(const char *path, const cr_exp_meta *m, const cr_exp_row *rows, long n) {
  cr_atomic_file af;
  int rc = cr_atomic_begin(&af, path, 1);
  if (rc) return rc;
  int bad = write_head(af.fp, m);
  char line[CR_EXP_CSV_LINE_MAX];
  for (long i = 0; i < n && !bad; i++)
    bad = cr_exp_row_format(&rows[i], line, sizeof line) < 0 || fputs(line, af.fp) < 0;
  if (bad) {
    cr_atomic_abort(&af);
    return cr_error(CR_EIO, "%s: write failed", path);
  }
  return cr_atomic_commit(&af);
}

// Checks an existing file's rows against the run and marks done[]; rewrites it if a
// truncated line must go.
static int resume_existing(const char *path, const cr_exp_meta *meta, unsigned char *done,
                           long *n_done) {
  cr_exp_meta old;
  cr_exp_row *rows;
  long n;
  int trunc, rc = cr_exp_results_read(path, &old, &rows, &n, &trunc);
  if (rc) return rc;
  if (old.config_hash != meta->config_hash)
    rc = cr_error(CR_EINVAL,
                  "%s: made by another config (hash %016" PRIx64 ", this one %016" PRIx64
                  "); use a new output folder",
                  path, old.config_hash, meta->config_hash);
  else if (old.total != meta->total || old.shard_k != meta->shard_k || old.shard_n != meta->shard_n)
    rc = cr_error(CR_EINVAL, "%s: made for shard %d/%d of %ld trials, not shard %d/%d of %ld", path,
                  old.shard_k, old.shard_n, old.total, meta->shard_k, meta->shard_n, meta->total);
  for (long i = 0; i < n && !rc; i++) {
    long t = rows[i].trial;
    if (t >= meta->total || (meta->shard_n > 0 && t % meta->shard_n != meta->shard_k - 1))
      rc = cr_error(CR_EFORMAT, "%s: trial %ld does not belong to this run", path, t);
    else if (done[t])
      rc = cr_error(CR_EFORMAT, "%s: trial %ld appears twice", path, t);
    else
      done[t] = 1, (*n_done)++;
  }
  if (!rc && trunc) rc = rewrite(path, meta, rows, n);
  free(rows);
  return rc;
}

int cr_exp_results_open(const char *path, const cr_exp_meta *meta, unsigned char *done,
                        long *n_done, cr_exp_results **out) {
  *out = NULL;
  *n_done = 0;
  memset(done, 0, (size_t)meta->total);
  int rc = cr_file_exists(path) ? resume_existing(path, meta, done, n_done)
                                : rewrite(path, meta, NULL, 0);
  if (rc) return rc;
  cr_exp_results *r = calloc(1, sizeof *r);
  if (!r) return cr_error(CR_ENOMEM, "out of memory");
  snprintf(r->path, sizeof r->path, "%s", path);
  r->fp = fopen(path, "ab");
  if (!r->fp) {
    free(r);
    return cr_error(CR_EIO, "%s: cannot append: %s", path, strerror(errno));
  }
  *out = r;
  return 0;
}

int cr_exp_results_append(cr_exp_results *res, const char *line) {
  size_t len = strlen(line);
  if (fwrite(line, 1, len, res->fp) != len || fflush(res->fp) || fsync(fileno(res->fp)))
    return cr_error(CR_EIO, "%s: write failed: %s", res->path, strerror(errno));
  return 0;
}

int cr_exp_results_close(cr_exp_results *res) {
  if (!res) return 0;
  int bad = fclose(res->fp);
  int rc = bad ? cr_error(CR_EIO, "%s: close failed", res->path) : 0;
  free(res);
  return rc;
}

static int by_trial(const void *a, const void *b) {
  long x = ((const cr_exp_row *)a)->trial, y = ((const cr_exp_row *)b)->trial;
  return (x > y) - (x < y);
}

int cr_exp_merge(const char *const *paths, int n_paths, const char *out_path) {
  if (n_paths < 1) return cr_error(CR_EINVAL, "nothing to merge");
  cr_exp_row *all = NULL;
  long n_all = 0;
  cr_exp_meta first = {0};
  int rc = 0;
  for (int i = 0; i < n_paths && !rc; i++) {
    cr_exp_meta m;
    cr_exp_row *rows;
    long n;
    int trunc;
    if ((rc = cr_exp_results_read(paths[i], &m, &rows, &n, &trunc))) break;
    if (i == 0) first = m;
    if (trunc)
      rc = cr_error(CR_EFORMAT, "%s: ends with a truncated row: finish the run first", paths[i]);
    else if (m.config_hash != first.config_hash || m.total != first.total)
      rc = cr_error(CR_EFORMAT,
                    "%s: another experiment (config hash %016" PRIx64
                    ", %ld trials) than %s (%016" PRIx64 ", %ld)",
                    paths[i], m.config_hash, m.total, paths[0], first.config_hash, first.total);
    cr_exp_row *na = rc ? NULL : realloc(all, (size_t)(n_all + n + 1) * sizeof *all);
    if (na)
      all = na;
    else if (!rc)
      rc = cr_error(CR_ENOMEM, "out of memory");
    for (long j = 0; j < n && !rc; j++) all[n_all++] = rows[j];
    free(rows);
  }
  if (!rc) {
    qsort(all, (size_t)n_all, sizeof *all, by_trial);
    for (long j = 0; j < n_all && !rc; j++) {
      if (all[j].trial != j) {
        if (all[j].trial < j)
          rc = cr_error(CR_EFORMAT, "trial %ld appears more than once in the inputs", all[j].trial);
        else
          rc = cr_error(CR_EFORMAT, "trial %ld is missing from the inputs", j);
      }
    }
    if (!rc && n_all != first.total)
      rc = cr_error(CR_EFORMAT, "the inputs hold %ld of %ld trials; trial %ld is missing", n_all,
                    first.total, n_all);
  }
  if (!rc) {
    first.shard_k = first.shard_n = 0;
    rc = rewrite(out_path, &first, all, n_all);
  }
  free(all);
  return rc;
}
