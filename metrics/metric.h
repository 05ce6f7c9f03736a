// Similarity metrics between a fixed image (the photo) and moving images (renders).
//
// One interface, GSL-style: a metric is a const table (cr_metric_type) of create /
// eval / destroy functions. cr_metric_new() precomputes everything that depends only on
// the fixed image and the mask (gradients, histogram bins, Canny edges and their
// distance transform, intensity ranges, ...) and allocates all workspaces, so
// cr_metric_eval() does no allocation (except the edge metric, whose Canny and distance
// transform run inside OpenCV) and is fast.
//
// Images are 1-channel (convert colour with cr_image_to_grey, or evaluate a colour
// render directly with cr_metric_eval_channel). The moving image must have the fixed
// image's size. Intensities are any float unit; keep |values| below ~1e15 (squares of
// gradients are formed in float).
//
// Valid pixels. A pixel takes part when the mask is non-zero there (no mask = all),
// the fixed value is finite and the moving value is finite: a NaN in the moving image
// (a render's background / ray miss) is excluded like a masked-out pixel. Metrics that
// look at neighbours (gradients: gc, gd, ngf; edge) use a pixel only when its whole 3x3
// neighbourhood is valid; lncc and pi only combine valid pixels. Hence changing pixels
// outside the mask, in either image, never changes the value. Fixed-image normalizers
// (mi/nmi fixed bin range, pi sigma, gd gradient variances, ngf fixed eps) are computed
// once over the mask and stay constant across evaluations, so a moving NaN removes
// pixels from the sums but not from those normalizers (for ssd, ncc, lncc, gc, dice and
// edge a NaN is exactly equivalent to a smaller mask).
//
// Determinism: kernels run with OpenMP (for images of at least opt.parallel_min_px
// pixels); partial sums are kept per image row (or as integer histograms) and combined
// in a fixed order, so values are bit-identical for any number of threads.
#ifndef CR_METRICS_METRIC_H
#define CR_METRICS_METRIC_H

#include <stddef.h>

#include "core/image.h"

#ifdef __cplusplus
extern "C" {
#endif

// Joint-histogram kernels for mi / nmi. The fixed image is binned hard (its bin
// index is precomputed); the moving intensity is spread over neighbouring bins:
typedef enum cr_metric_hist {
  CR_HIST_BSPLINE = 0, // cubic B-spline Parzen window (4 bins; Mattes et al. 2003)
  CR_HIST_LINEAR = 1,  // linear / partial-volume split between the 2 nearest bins
} cr_metric_hist;

typedef struct cr_metric_options {
  int bins;              // mi/nmi: bins per image (default 32, 4..256)
  cr_metric_hist hist;   // mi/nmi: histogram kernel (default CR_HIST_BSPLINE)
  int lncc_radius_px;    // lncc: half-width of the square window (default 4)
  int pi_radius_px;      // pi: neighbourhood radius (default 3, as Penney 1998)
  double pi_sigma;       // pi: sigma in fixed intensity units; <= 0: 4% of the
                         //     fixed range in the mask (Penney: 10 of ~255)
  double ngf_eta;        // ngf: edge parameter eps = eta * mean |gradient| (0.1)
  double canny_low;      // edge: Canny thresholds on images mapped to 0..255
  double canny_high;     //       by their min..max in the valid region (30, 90)
  double dice_threshold; // dice: foreground where value > threshold (0.5)
  long parallel_min_px;  // run kernels with OpenMP only for images of at least this
                         // many pixels (default 1 << 17: below, a single core
                         // evaluates a 256^2 pair in < 1 ms and fork/join on a busy
                         // machine costs more); 0 = always
} cr_metric_options;

// The defaults listed above.
cr_metric_options cr_metric_defaults(void);

typedef struct cr_metric cr_metric;

// A metric algorithm. `create` fills m->state from m's fixed image and mask,
// `eval` computes the value for a moving image (already checked: same size, one
// channel) using m's workspace, `destroy` releases m->state.
typedef struct cr_metric_type {
  const char *name;        // as typed on the command line: "ncc"
  const char *description; // one line
  int larger_is_better;    // 1: maximize, 0: minimize
  int (*create)(cr_metric *m);
  int (*eval)(cr_metric *m, const cr_image *moving, double *value);
  void (*destroy)(cr_metric *m);
} cr_metric_type;

// The metrics (see each file in metrics/ for the exact formula):
extern const cr_metric_type *const cr_metric_ssd;  // mean squared difference (min)
extern const cr_metric_type *const cr_metric_ncc;  // Pearson correlation (max, <= 1)
extern const cr_metric_type *const cr_metric_lncc; // mean windowed NCC (max, <= 1)
extern const cr_metric_type *const cr_metric_mi;   // mutual information, nats (max)
extern const cr_metric_type *const cr_metric_nmi;  // (H(F)+H(M))/H(F,M) (max, 1..2)
extern const cr_metric_type *const cr_metric_gc;   // gradient correlation (max, <= 1)
extern const cr_metric_type *const cr_metric_gd;   // gradient difference (max, <= 2)
extern const cr_metric_type *const cr_metric_pi;   // pattern intensity (max, <= 1)
extern const cr_metric_type *const cr_metric_ngf;  // normalized gradient fields (max)
extern const cr_metric_type *const cr_metric_edge; // symmetric chamfer distance, px (min)
extern const cr_metric_type *const cr_metric_dice; // Dice of thresholded images (max)

// All metric types in a fixed order, NULL-terminated.
extern const cr_metric_type *const cr_metric_types[];

// The metric type called `name` (case-sensitive, e.g. "ncc"), or NULL.
const cr_metric_type *cr_metric_find(const char *name);

// The fixed image's metric state. The instance (public for metric implementations;
// callers treat it as opaque).
struct cr_metric {
  const cr_metric_type *type;
  cr_metric_options opt;
  int width, height;
  float *fixed;               // width*height packed copy of the fixed image
  unsigned char *valid;       // width*height: 1 = mask non-zero and fixed finite
  unsigned char *valid3;      // width*height: 1 = the 3x3 neighbourhood is all valid
  long n_valid;               // number of valid pixels
  int par;                    // kernels use OpenMP (image size >= opt.parallel_min_px)
  float fixed_min, fixed_max; // over valid pixels
  unsigned char *cur;         // workspace: valid && moving finite, for the current eval
  unsigned char *cur3;        // workspace: 3x3 neighbourhood of cur all set
  double *row_sums;           // workspace: height * CR_METRIC_ROW_SUMS partial sums
  cr_image *grey;             // workspace: colour moving images converted to one channel
  void *state;                // the metric type's own data
};

// Number of per-row partial sums available in row_sums.
#define CR_METRIC_ROW_SUMS 16

// Creates a metric of `type` for the 1-channel `fixed` image with an optional mask
// (any channel count, same size; channel 0 non-zero = use). `opt` NULL = defaults.
// Borrowed inputs are copied. NULL on failure with cr_last_error(): CR_EINVAL for a
// multi-channel fixed image, a size mismatch or bad options, CR_EEMPTY when no pixel
// is valid.
cr_metric *cr_metric_new(const cr_metric_type *type, const cr_image *fixed, const cr_image *mask,
                         const cr_metric_options *opt);
// Releases the metric; NULL is a no-op.
void cr_metric_free(cr_metric *m);

// The metric value for `moving` (1 channel, the fixed image's size) into *value.
// Returns 0, CR_EINVAL (wrong size / channels) or CR_EEMPTY (no valid pixel left
// once the moving image's NaNs are excluded; *value is then NaN).
int cr_metric_eval(cr_metric *m, const cr_image *moving, double *value);

// cr_metric_eval for a moving image with any channel count (a colour render): channel
// `channel` (0-based), or with channel = -1 the BT.601 grey 0.299 R + 0.587 G + 0.114 B
// (or the weighted sum with `weights`, 3 values), as cr_image_to_grey, converted into
// the metric's own workspace (no allocation). 1-channel images are used as they are.
int cr_metric_eval_channel(cr_metric *m, const cr_image *moving, int channel, const float *weights,
                           double *value);

// The cost convention for optimizers (smaller is better): -value for metrics where
// larger is better, value otherwise.
double cr_metric_cost(const cr_metric_type *type, double value);
// cr_metric_eval followed by cr_metric_cost.
int cr_metric_eval_cost(cr_metric *m, const cr_image *moving, double *cost);

// Values for n moving images (a landscape, a batch of candidate poses) into values[n].
// Colour images are evaluated as their BT.601 grey (cr_metric_eval_channel with -1).
// Stops at the first failure and returns its status.
int cr_metric_eval_many(cr_metric *m, const cr_image *const *moving, int n, double *values);

// Values for n moving images produced one at a time by `make(ctx, i, &img)` (e.g. a
// renderer at the i-th pose of a landscape; colour images count as BT.601 grey). `make` returns 0
// and an image that the caller's `release(ctx, img)` (may be NULL) frees after evaluation, or a
// negative status that stops the loop and is returned. A NaN-only render gives values[i] = NaN and
// the loop continues.
int cr_metric_eval_generated(cr_metric *m, int n, int (*make)(void *ctx, int i, cr_image **img),
                             void (*release)(void *ctx, cr_image *img), void *ctx, double *values);

// Index of the best of n values for `type` (NaN values are skipped; -1 if all NaN).
int cr_metric_best_index(const cr_metric_type *type, const double *values, int n);

#ifdef __cplusplus
}
#endif
#endif
