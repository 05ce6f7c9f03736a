// The experiment report: one self-contained HTML file for a results folder (camreg
// experiment report DIR -o report.html). It holds the configuration, the summary table
// per method (with the depth / in-plane error split), figures drawn as inline SVG, a
// sortable table of every trial and, for the trials that saved images (camreg experiment
// run --images N), the photo and the registered overlay as inline PNG (base64) with the
// trial's error split. No external URL: the file opens offline in any browser.
#ifndef CR_EXP_REPORT_H
#define CR_EXP_REPORT_H

#include "experiments/results.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cr_exp_report_options {
  double success_mm; // success threshold drawn in the figures when DIR/config.cfg has no
                     // success_mm (default 2)
  int max_images;    // at most this many trials with images are embedded (default 24)
  const char *title; // page title (NULL: the folder name)
} cr_exp_report_options;

// Defaults: success 2 mm, 24 trials with images, title from the folder.
cr_exp_report_options cr_exp_report_defaults(void);

// Reads the results of a run folder: DIR/results.csv if it exists (an unsharded or a
// merged run), else every DIR/results-shard*.csv (a sharded run, complete or not),
// which must share one config hash and total (else CR_EFORMAT naming the file); a trial
// present twice is CR_EFORMAT. `dir` may also name one results CSV. Rows sorted by
// trial into *rows (malloc'ed); *n_files receives the number of files read (may be NULL).
// CR_EIO when the folder has no results file.
int cr_exp_results_load_dir(const char *dir, cr_exp_meta *meta, cr_exp_row **rows, long *n_rows,
                            int *n_files);

// Writes the report of the run in `dir` to `out_path` (written atomically: a failure
// leaves no file). Images are read from DIR/images/trial_NNNN_{photo,overlay}.png.
int cr_exp_report_write(const char *dir, const char *out_path, const cr_exp_report_options *opt);

#ifdef __cplusplus
}
#endif
#endif
