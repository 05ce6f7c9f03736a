// Named colour maps and their inversion: a colour-mapped picture (a plot exported as
// PNG) back to the scalar it shows, by the nearest colour on the map.
#ifndef CR_COLORMAP_H
#define CR_COLORMAP_H

#include "core/image.h"

#ifdef __cplusplus
extern "C" {
#endif

// A colour map: the polyline through n control colours (RGB 0..1) at positions t
// (0..1, increasing). Rows of cr_colormap_find are static.
typedef struct cr_colormap {
  const char *name;
  int n;
  const float *t;
  const float (*rgb)[3];
} cr_colormap;

// The map called `name` (gray, jet, parula, viridis; case-insensitive), or NULL with
// CR_EINVAL naming the known maps. jet is MATLAB's (dark blue 0.5 to dark red 0.5);
// parula is MATLAB R2014b's and viridis matplotlib's, both from their 256-entry tables
// sampled every 8th entry (colour within 0.01 of the full table).
const cr_colormap *cr_colormap_find(const char *name);
// "gray, jet, parula, viridis"
const char *cr_colormap_names(void);

// The colour at t (clamped to 0..1), RGB 0..1.
void cr_colormap_apply(const cr_colormap *m, double t, double rgb[3]);
// The t (0..1) of the nearest colour on the map to rgb (0..1): the nearest point of the
// polyline, so colours between control points invert continuously. *dist (may be NULL)
// gets the RGB distance to the map (0..sqrt(3)).
double cr_colormap_invert(const cr_colormap *m, const double rgb[3], double *dist);

// A single-channel image of the scalar shown by an RGB(A) image with colour map m:
// lo + t * (hi - lo), where `full_scale` is the value of full intensity in the file
// (255 for 8-bit, 65535 for 16-bit). *max_dist (may be NULL) gets the largest RGB
// distance of a pixel to the map (a picture that was not made with m shows large ones).
// NULL with an error for a single-channel input.
cr_image *cr_colormap_to_scalar(const cr_image *img, const cr_colormap *m, double full_scale,
                                double lo, double hi, double *max_dist);

#ifdef __cplusplus
}
#endif
#endif
