// Photo consistency of two views of one surface (docs/design.md, "Photo consistency"). The
// appearance of the cortex (vessels, texture, albedo) is on the surface, so where view A's
// render at a pose sees the surface at world point X, view B's photo at X's projection shows
// what A's photo shows at that pixel: at the true pose the two photos agree point by point,
// at a pose off along the optical axis they are compared at the wrong points. Unlike the
// metric between a photo and a render, this compares photo with photo, so it does not rest
// on how well the render models the photo's appearance; it is how a stereo microscope pins
// depth (one pixel of disparity is z^2 / (f B) of depth).
#ifndef CR_REG_CONSISTENCY_H
#define CR_REG_CONSISTENCY_H

#include "core/camera.h"
#include "core/image.h"
#include "core/pose.h"

#ifdef __cplusplus
extern "C" {
#endif

// How far (mm) behind the surface view B sees at a pixel a point counts as hidden.
#define CR_REG_CONSISTENCY_HIDDEN_MM 2.0

typedef struct cr_reg_consistency_in {
  const cr_image *xyz;     // view A's render: world xyz (mm, 3 channels), NaN where it missed
  const cr_image *photo_a; // view A's photo (1 channel, xyz's size)
  const cr_image *mask_a;  // view A's mask (non-zero = inside), NULL = every pixel
  const cr_camera *cam_b;  // view B's camera (its size is photo_b's)
  cr_pose b_from_world;    // view B's pose
  const cr_image *photo_b; // view B's photo (1 channel), sampled bilinearly
  const cr_image *mask_b;  // view B's mask, NULL = every pixel
  const cr_image *depth_b; // view B's render depth at the pose (camera z, mm; a miss, 0 as
                           // the renderer writes it or NaN, matches nothing), NULL: no test
                           // for hidden points
  int tile_px;             // side of the tiles of A (px; < 1 counts as 1)
} cr_reg_consistency_in;

// Tiles of a width x height image in tiles of tile_px (the workspace holds 2 per tile).
long cr_reg_consistency_tiles(int width, int height, int tile_px);

// 1 - the mean over view A's mask pixels of the normalized cross-correlation of A's photo
// with B's photo at the projections, per tile of A (a gain and an offset per tile cancel:
// vignetting, lighting, colour that differ smoothly between the cameras). A pixel matched
// nowhere (no hit, outside B's view or mask, behind B's camera, hidden by more than
// CR_REG_CONSISTENCY_HIDDEN_MM in B, or in a tile of fewer than 16 matched pixels) counts
// as unrelated (correlation 0), so a pose that shows B little of what A sees is not
// rewarded: 0 = the photos agree, 1 = unrelated, up to 2. `ws` holds
// 2 * cr_reg_consistency_tiles doubles; *n_matched (may be NULL) gets the pixels that
// entered a correlation. Tiles run in parallel (OpenMP over tile rows) and are summed in
// order: the value does not depend on the thread count.
double cr_reg_consistency(const cr_reg_consistency_in *in, double *ws, long *n_matched);

#ifdef __cplusplus
}
#endif
#endif
