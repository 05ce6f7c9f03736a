// Private to metrics/: helpers shared by the metric implementations.
#ifndef CR_METRICS_INTERNAL_H
#define CR_METRICS_INTERNAL_H

#include <math.h>

#include "core/error.h"
#include "metrics/metric.h"

// The type tables, defined in each metric's file (the public pointers point here).
extern const cr_metric_type mx_ssd_type, mx_ncc_type, mx_lncc_type, mx_mi_type, mx_nmi_type,
    mx_gc_type, mx_gd_type, mx_pi_type, mx_ngf_type, mx_edge_type, mx_dice_type;

// Fills m->cur (fixed-valid and moving finite) and returns the number of set pixels.
long mx_current_valid(cr_metric *m, const cr_image *moving);
// Fills m->cur3 from m->cur (3x3 neighbourhood all set; image border pixels never) and
// returns the number of set pixels.
long mx_current_valid3(cr_metric *m);
// Sums the first k per-row partial sums of m->row_sums in row order into out[k].
void mx_reduce_rows(const cr_metric *m, int k, double *out);
// Sobel gradient of a packed image at interior pixel i (3x3 stencil), unscaled (/8).
static inline void mx_sobel(const float *p, int w, long i, float *gx, float *gy) {
  const float *a = p + i - w, *b = p + i, *c = p + i + w;
  *gx = ((a[1] - a[-1]) + 2.0f * (b[1] - b[-1]) + (c[1] - c[-1])) * 0.125f;
  *gy = ((c[-1] - a[-1]) + 2.0f * (c[0] - a[0]) + (c[1] - a[1])) * 0.125f;
}
// Sobel gradient of row-strided image data at (x, y) (interior), unscaled (/8).
static inline void mx_sobel_img(const cr_image *img, int x, int y, float *gx, float *gy) {
  const float *a = cr_image_row(img, y - 1) + x, *b = cr_image_row(img, y) + x,
              *c = cr_image_row(img, y + 1) + x;
  *gx = ((a[1] - a[-1]) + 2.0f * (b[1] - b[-1]) + (c[1] - c[-1])) * 0.125f;
  *gy = ((c[-1] - a[-1]) + 2.0f * (c[0] - a[0]) + (c[1] - a[1])) * 0.125f;
}
// Pearson correlation from s = {n, sum f, sum m, sum ff, sum mm, sum fm}; 0 when either
// side is constant.
double mx_ncc_from_moments(const double *s);
// Min and max of the moving image over m->cur pixels (both 0 when none).
void mx_moving_range(const cr_metric *m, const cr_image *moving, float *lo, float *hi);

#endif
