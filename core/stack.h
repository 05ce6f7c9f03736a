// A volume from a stack of 2-D images (sections, OCT B-scans, exported slices): each
// image is one slice at a known position along the slice axis; the volume is sampled
// on a regular grid along that axis by interpolating between the slices.
#ifndef CR_STACK_H
#define CR_STACK_H

#include "core/image.h"
#include "core/volume.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cr_stack_interp {
  CR_STACK_NEAREST, // the nearest slice's value (the baseline)
  CR_STACK_LINEAR,  // linear between the two neighbouring slices
  CR_STACK_CUBIC,   // natural cubic spline through all slices (GSL), clamped to the data range
  CR_STACK_SHAPE,   // shape-based, for masks and label maps: per label, the in-plane signed
                    // distance to its boundary interpolated across slices (monotone cubic,
                    // GSL Steffen), the label whose distance is most negative wins
} cr_stack_interp;

typedef struct cr_stack_options {
  double pixel_mm[2]; // image column (u) and row (v) pixel size (default 1, 1)
  double slice_mm;    // output spacing along the slice axis (default 0: pixel_mm[0])
  double origin[3];   // world place (mm) of pixel (0, 0) at slice-axis position 0
  double axes[3][3];  // world unit directions of u, v and the slice axis (default R, A, S)
  cr_stack_interp interp;
} cr_stack_options;

cr_stack_options cr_stack_defaults(void);

// Parses "nearest", "linear", "cubic", "shape" (CR_EINVAL naming the known ones).
int cr_stack_interp_parse(const char *name, cr_stack_interp *out);

// Builds the volume from n >= 1 single-channel slices of equal size at `position_mm`
// (strictly increasing, along the slice axis). The output's k-th slice lies at
// position_mm[0] + k * slice_mm, up to position_mm[n-1]; voxel (i, j, k) maps to world
// origin + i px axes[0] + j py axes[1] + (position_mm[0] + k slice_mm) axes[2].
// Different sizes, multi-channel slices, unsorted positions or non-orthonormal axes are
// CR_EINVAL naming the slice. Shape-based interpolation treats values as integer labels
// (0 = background).
int cr_stack_build(const cr_image *const *slices, int n, const double *position_mm,
                   const cr_stack_options *opt, cr_volume **out);

// Natural order of file names: digit runs compare as numbers ("s2" < "s10"), the rest
// byte by byte. For qsort-style use.
int cr_natural_compare(const char *a, const char *b);

#ifdef __cplusplus
}
#endif
#endif
