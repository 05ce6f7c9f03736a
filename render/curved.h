// Curved reslicing: slices perpendicular to a smooth curve through world points, stacked
// into a straightened volume (curved planar reformat), and the way back.
//
// The curve is the natural cubic spline (GSL) through the control points, parametrized
// by chord length (a straight line for two points), resampled every `step_mm` of arc
// length. Slice frames are rotation-minimizing (double reflection, Wang et al., ACM TOG
// 2008), so the slices do not twist about the curve.
//
// Slice k is an image of w x h pixels of `spacing_mm`; pixel (u, v) lies at world
//   x = world_from_pixel[k] * (u, v, 0, 1),
// whose columns are e_u * spacing, e_v * spacing, t * step and the place of pixel (0, 0):
// t is the unit tangent, e_v = -up (the frame's up vector; image v runs down) and
// e_u = e_v x t, so (e_u, e_v, t) is right-handed and the slice looks like a camera
// looking along the curve sees it (the convention of cr_render_reslice). The slice
// centre ((w-1)/2, (h-1)/2) lies on the curve.
//
// The straightened volume has voxel (u, v, k) = pixel (u, v) of slice k. Its own
// voxel->world matrix is slice 0's matrix (it extends straight along the first tangent):
// the volume sits where the curve starts.
#ifndef CR_RENDER_CURVED_H
#define CR_RENDER_CURVED_H

#include "core/image.h"
#include "core/volume.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cr_curve_slices_options {
  int width, height; // slice size, pixels (default 128 x 128)
  double spacing_mm; // pixel size (default 1)
  double step_mm;    // arc length between slices (default: spacing_mm)
  double up[3];      // world direction the first slice's "up" leans to (default 0,0,1;
                     // 0,1,0 when the first tangent is nearly along it)
} cr_curve_slices_options;

cr_curve_slices_options cr_curve_slices_defaults(void);

// The slices along a curve: n slices, world_from_pixel[k] as described above.
typedef struct cr_curve_slices {
  int n, width, height;
  double spacing_mm, step_mm, length_mm; // length_mm: arc length of the curve
  double (*world_from_pixel)[4][4];      // n matrices, row-major
  double *arc_mm;                        // n: arc length of slice k from the start
} cr_curve_slices;

// Builds the slices along the curve through `n_points` control points (xyz, world RAS
// mm). CR_EINVAL (naming the point) for fewer than two points, a non-finite coordinate,
// or two consecutive points closer than 1e-6 mm (a zero-length segment); CR_EINVAL for
// bad options. *out NULL on failure.
int cr_curve_slices_build(const double *points, int n_points, const cr_curve_slices_options *opt,
                          cr_curve_slices **out);
// Slices from n given matrices (for instance read back from a transforms file).
cr_curve_slices *cr_curve_slices_new(int n, int width, int height, const double (*M)[4][4]);
void cr_curve_slices_free(cr_curve_slices *s);

// Samples `vol` (trilinear, or nearest with `nearest`) on every slice into `out`, a
// width x height x n volume whose voxel->world matrix is set to slice 0's (the
// straightened volume). Points outside the volume get `outside`.
int cr_curve_reslice(const cr_volume *vol, const cr_curve_slices *s, int nearest, float outside,
                     cr_volume **out);

// The displacement field of the straightened volume: for voxel (u, v, k) of the
// straightened grid, d = world_from_pixel[k] (u, v, 0) - (straightened voxel->world)
// (u, v, k), world RAS mm. `disp` holds 3 * w * h * n floats, planar (all x, then all
// y, then all z), x fastest, as a NIfTI vector volume stores them.
int cr_curve_displacement(const cr_curve_slices *s, float *disp);

// Maps a volume on the straightened grid (w x h x n, as made by cr_curve_reslice) back
// onto the grid of `reference`: every reference voxel inside the swept region takes the
// straightened volume's value (trilinear, or nearest for label maps) at the inverse of
// the (trilinearly interpolated) curved mapping; other voxels get `outside`. *out has
// reference's grid. *n_inside (may be NULL) counts the voxels of the swept region.
int cr_curve_unreslice(const cr_volume *straight, const cr_curve_slices *s,
                       const cr_volume *reference, int nearest, float outside, cr_volume **out,
                       long *n_inside);

// The inverse of the curved mapping at one world point: (u, v, k) continuous indices of
// the straightened grid, or 0 if the point is outside the swept region.
int cr_curve_locate(const cr_curve_slices *s, const double x[3], double uvk[3]);

// The panoramic view: the maximum (mip 1) or the line integral in intensity * mm (mip
// 0) of the straightened volume along its u (axis 0) or v (axis 1) direction, within
// +-slab_mm/2 of the curve (slab_mm <= 0: the whole slice). `out` is n columns (arc
// length) by h (axis 0) or w (axis 1) rows, allocated here.
int cr_curve_panorama(const cr_volume *straight, const cr_curve_slices *s, int axis, int mip,
                      double slab_mm, cr_image **out);

#ifdef __cplusplus
}
#endif
#endif
