// A render moved to a nearby pose without tracing rays again. A render at pose A gives
// every pixel its world point (the surface it hit); through pose B that point lands
// d(p) = project_B(x(p)) - p further. The render at B at pixel y then shows what A's
// render shows at the pixel s with s + d(s) = y, taken as s = y - d(y) (one fixed-point
// step: exact for motions that move every pixel alike, else off by ~|d| |grad d|, e.g.
// 0.02 px for a 1 deg roll), A's world point and normal there (bilinear) shaded anew for
// B's light (cr_render_surface_shade) as the surface mode shades. What a new render
// would show differently: surfaces that come into view at B (they stay misses), that
// error and resampling - all vanish as B approaches A, so a minimizer that renders again
// at its result until the cost stops falling ends where the cost's own minimum is
// (registration/register.c; the `warp` key of registration/method.h).
#ifndef CR_REG_WARP_H
#define CR_REG_WARP_H

#include "core/camera.h"
#include "core/image.h"
#include "core/pose.h"

#ifdef __cplusplus
extern "C" {
#endif

// A render at pose A, kept for warping (one allocation, reused for every A).
typedef struct cr_reg_warp cr_reg_warp;

cr_reg_warp *cr_reg_warp_new(void);
void cr_reg_warp_free(cr_reg_warp *w);

// Keeps A's render seen by `cam`: `image` (1 channel, NaN where it missed), its world
// points `xyz` (3 channels, NaN where it missed) and, for a shaded image, its `normal`s (3
// channels; then the warped image is the shading, NULL: the image moved as it is). All
// of the camera's size (CR_EINVAL otherwise); CR_ENOMEM.
int cr_reg_warp_set(cr_reg_warp *w, const cr_camera *cam, const cr_image *image,
                    const cr_image *xyz, const cr_image *normal);

// The render at pose B (cam_from_world) with the light at `light_world` (world mm; the
// headlight: B's camera centre) into `image` (1 channel, NaN where nothing maps) and
// optionally `xyz` (3 channels, NaN where nothing) and `depth` (z in B's frame, 0 where
// nothing: the renderer's miss values), at the pixels `pixels` marks (width * height
// bytes, NULL = all; the others get the miss values). Allocates nothing; OpenMP over rows.
// CR_EINVAL for images of another size than the camera's or before cr_reg_warp_set.
int cr_reg_warp_to(const cr_reg_warp *w, const cr_pose *cam_from_world, const double light_world[3],
                   const unsigned char *pixels, cr_image *image, cr_image *xyz, cr_image *depth);

#ifdef __cplusplus
}
#endif

#endif
