// Results CSV: one row per trial, appended and flushed to disk (fsync) as each trial
// completes; comment lines above the header store the software version, the config
// (path and hash), the number of trials and the shard. Resuming reads the rows already
// there (a truncated last line from a crash is dropped), merging joins shard files
// (same config hash, every trial exactly once) and the summary tabulates per method.
#ifndef CR_EXP_RESULTS_H
#define CR_EXP_RESULTS_H

#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CR_EXP_CSV_LINE_MAX 2048

// One trial's row. Poses as OpenCV rvec (rad) / tvec (mm), cam_from_world.
typedef struct cr_exp_row {
  long trial, sample;
  char method[48];
  int status; // 0 ok, else the trial's negative cr_status
  double bin_lo_mm, bin_hi_mm;
  double init_mtre_mm, final_mtre_mm;
  double init_proj_px, final_proj_px;
  double rot_err_deg, trans_err_mm;
  int success;
  long evals;
  double time_s; // wall time of the trial (the only non-deterministic column)
  double gt_rvec[3], gt_tvec[3], final_rvec[3], final_tvec[3];
  // the final error split in the true camera's axes (docs/design.md, "Error split"):
  // mean |displacement along the optical axis| and mean in-plane displacement, mm and px
  double depth_err_mm, inplane_err_mm, inplane_err_px;
} cr_exp_row;

// The header line (column names, no newline).
const char *cr_exp_csv_header(void);
// Formats a row as one CSV line with '\n'. Returns the length, or -1 if it does not fit.
int cr_exp_row_format(const cr_exp_row *row, char *buf, size_t cap);
// Parses one line (with or without '\n'). CR_EFORMAT if a field is missing or malformed.
int cr_exp_row_parse(const char *line, cr_exp_row *row);

// What the comment lines above the header say.
typedef struct cr_exp_meta {
  char version[32];
  char config_path[4096];
  uint64_t config_hash;
  long total;           // trials of the whole experiment (all shards)
  int shard_k, shard_n; // 1/1 when not sharded; 0/0 in a merged file
} cr_exp_meta;

// A results file opened for appending rows.
typedef struct cr_exp_results cr_exp_results;

// Opens `path` for a run described by *meta. A missing file is created with the meta
// lines and the header. An existing file must have the same config hash, total and
// shard (else CR_EINVAL naming the file and the difference); its complete rows are kept
// (the file is rewritten atomically without a truncated last line) and their trial
// indices marked in done[] (caller array of meta->total bytes, set to 0/1). *n_done
// receives their count. A row of another shard or a duplicate is CR_EFORMAT.
int cr_exp_results_open(const char *path, const cr_exp_meta *meta, unsigned char *done,
                        long *n_done, cr_exp_results **out);
// Appends one formatted line, flushes and fsyncs. Not thread-safe: serialize calls.
int cr_exp_results_append(cr_exp_results *res, const char *line);
// Closes the file; NULL is a no-op. Returns CR_EIO if closing failed.
int cr_exp_results_close(cr_exp_results *res);

// Reads a results file: meta and complete rows (a truncated last line is ignored and
// counted in *n_truncated, which may be NULL). *rows is malloc'ed (free it).
int cr_exp_results_read(const char *path, cr_exp_meta *meta, cr_exp_row **rows, long *n_rows,
                        int *n_truncated);

// Merges result files (shards of one experiment) into `out_path` (written atomically):
// all must carry the same config hash and total; rows sorted by trial; every trial
// 0..total-1 exactly once, else CR_EFORMAT naming the missing or duplicated trial. Rows
// are re-formatted from their parsed values, which reproduces the input text exactly.
int cr_exp_merge(const char *const *paths, int n_paths, const char *out_path);

// The summary of one method's rows (a failed trial counts as infinitely wrong in the
// error quantiles).
typedef struct cr_exp_method_summary {
  char method[48];
  long trials, failed, successes;
  double success_pct;          // 100 * successes / trials
  double median_mm, p90_mm;    // final mTRE
  double capture_mm;           // cr_exp_capture_range over the method's bins (95%)
  double median_s, mean_evals; // wall time, cost evaluations
  double median_depth_mm;      // error split (docs/design.md): along the optical axis
  double median_inplane_mm, median_inplane_px; // and across it
} cr_exp_method_summary;

// Summarizes rows per method, in order of first appearance by trial index (rows need
// not be sorted). *out is malloc'ed (free it), *n_methods its length (0 for no rows).
int cr_exp_summarize(const cr_exp_row *rows, long n_rows, cr_exp_method_summary **out,
                     int *n_methods);

// Prints the summary table per method (in order of first appearance by trial index):
// trials, failures (status != 0), success rate, median and 90th percentile final mTRE,
// capture range (bins by their upper edge, success rate >= 95%), median time.
// Rows need not be sorted.
int cr_exp_summary_print(FILE *out, const cr_exp_row *rows, long n_rows);

#ifdef __cplusplus
}
#endif
#endif
