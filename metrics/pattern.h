// A textured analytic test image for metric tests and benchmarks: a soft-edged
// "brain" disc with smooth blobs, a fine sinusoidal texture and dark curved "sulci",
// on a zero background, values about 0..1. Defined in continuous coordinates, so a
// rigid 2-D motion of the content is exact (no resampling).
#ifndef CR_METRICS_PATTERN_H
#define CR_METRICS_PATTERN_H

#include "core/image.h"

#ifdef __cplusplus
extern "C" {
#endif

// The pattern on a w x h grid after moving its content by (tx_px, ty_px) and rotating it
// by angle_rad about the image centre (positive: x towards y), then scaling the content
// by `scale` about the centre. NULL on allocation failure.
cr_image *cr_metrics_pattern(int w, int h, double tx_px, double ty_px, double angle_rad,
                             double scale);

#ifdef __cplusplus
}
#endif
#endif
