// A toy render mode that a test adds to the renderer's table at run time (toy_mode.c):
// an extension made of one cr_render_mode_type row and its kernel, nothing else.
#ifndef CR_TEST_TOY_MODE_H
#define CR_TEST_TOY_MODE_H

#include "render/render.h"

// "toy": image (and depth) = the camera-frame z (mm) at which each pixel's ray enters
// the volume's box (voxel centres +- half a voxel); background and depth 0 where the
// ray misses the box; hit = 1 where it meets it. Needs a volume.
extern const cr_render_mode_type toy_render_mode;

#endif
