// Private to registration/.
// The photo side of a registration cost, per pyramid level: the level's camera, the
// binary mask, the prepared photo, the metric built on it and a render buffer. Shared
// by every view of the registration cost (cost.c).
#ifndef CR_REG_LEVELS_H
#define CR_REG_LEVELS_H

#include "core/camera.h"
#include "core/image.h"
#include "metrics/metric.h"
#include "registration/prepare.h"
#include "registration/pyramid.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cr_reg_levels {
  int levels;
  cr_camera cam[CR_REG_MAX_LEVELS];
  cr_image *photo[CR_REG_MAX_LEVELS];  // prepared
  cr_image *mask[CR_REG_MAX_LEVELS];   // 0/1, NULL without mask
  cr_image *render[CR_REG_MAX_LEVELS]; // 1-channel, camera-sized
  cr_metric *metric[CR_REG_MAX_LEVELS];
} cr_reg_levels;

// Photo preparation options of a level: vesselness scales follow the image scale.
cr_reg_prep_options cr_reg_level_prep(const cr_reg_prep_options *p, int level);

// Builds `levels` levels (coarsest last) from a camera-sized photo and optional mask
// (1 channel): masks are binarized where at least half of a pixel is inside. On failure
// everything built is released and the status returned.
int cr_reg_levels_build(cr_reg_levels *lv, const cr_camera *camera, const cr_image *photo,
                        const cr_image *mask, int levels, const cr_reg_prep_options *prep,
                        const cr_metric_type *metric, const cr_metric_options *metric_opt);
// Releases every level (the struct itself is the caller's).
void cr_reg_levels_free(cr_reg_levels *lv);

#ifdef __cplusplus
}
#endif
#endif
