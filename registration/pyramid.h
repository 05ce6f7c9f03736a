// Image pyramid for multi-resolution registration: level l has scale 0.5^l, its camera
// is cr_camera_scaled(camera, 0.5^l) (pixel-centre convention kept) and its photo and
// mask are area-averaged (cr_image_resize_area) to exactly that camera's size.
#ifndef CR_REG_PYRAMID_H
#define CR_REG_PYRAMID_H

#include "core/camera.h"
#include "core/image.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CR_REG_MAX_LEVELS 8

typedef struct cr_reg_pyramid {
  int levels;                          // level 0 = full resolution
  cr_camera camera[CR_REG_MAX_LEVELS]; // per level
  cr_image *photo[CR_REG_MAX_LEVELS];  // owned; level 0 is a copy of the input
  cr_image *mask[CR_REG_MAX_LEVELS];   // owned, NULL without mask; values in [0, 1]
} cr_reg_pyramid;

// The camera of level `level` (scale 0.5^level).
cr_camera cr_reg_level_camera(const cr_camera *camera, int level);

// Builds `levels` (1..CR_REG_MAX_LEVELS) levels. The photo must have the camera's size;
// the mask (may be NULL) too, 1 channel, non-zero = inside (stored as 0/1 at level 0,
// area fractions below). Fails with CR_EINVAL naming the sizes, CR_EEMPTY for a mask
// without any inside pixel, or CR_EINVAL if a level would be smaller than 4x4 pixels.
int cr_reg_pyramid_build(const cr_camera *camera, const cr_image *photo, const cr_image *mask,
                         int levels, cr_reg_pyramid **out);
void cr_reg_pyramid_free(cr_reg_pyramid *pyr);

#ifdef __cplusplus
}
#endif
#endif
