// Overlay of a registration result: the prepared photo in grey with the Canny edges of
// the render at the registered pose in red, the picture users check a registration by.
#ifndef CR_REG_OVERLAY_H
#define CR_REG_OVERLAY_H

#include "core/image.h"

#ifdef __cplusplus
extern "C" {
#endif

// photo: prepared photo (1 channel, values 0..1); render: the render at the pose
// (1 channel, NaN where nothing is hit), same size. Fills rgb (3 channels, same size,
// 0..255). CR_EINVAL on size mismatch.
int cr_reg_overlay(const cr_image *photo, const cr_image *render, cr_image *rgb);

#ifdef __cplusplus
}
#endif
#endif
